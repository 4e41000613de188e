"""Gateways and the routes attached to them (Gateway API)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dnssync.errors import InvalidNameError
from dnssync.model.diagnostics import for_object
from dnssync.model.names import DomainName
from dnssync.rules.hostnames import intersect
from dnssync.rules.per_object import (
    ChosenAddresses,
    Claims,
    address_claims,
    choose_addresses,
    srv_claims,
    srv_target_name,
)
from dnssync.sources.annotations import ObjectSettings, annotation_field, lookup
from dnssync.sources.objects import (
    Address,
    GatewayObject,
    Listener,
    NamespacesFrom,
    ParentRef,
    Port,
    Protocol,
    RouteObject,
)
from dnssync.sources.projection import GATEWAY_GROUP

# Listener protocols each route kind can attach to.
ROUTE_PROTOCOLS = {
    "httproute": ("HTTP", "HTTPS"),
    "tlsroute": ("TLS",),
    "tcproute": ("TCP", "TLS"),
    "udproute": ("UDP",),
}
# Route kinds whose spec.hostnames name DNS records.
HOSTNAME_ROUTES = ("httproute", "tlsroute")
SRV_ROUTES = ("tcproute", "udproute", "tlsroute")


def listener_protocol(listener: Listener) -> Protocol:
    return Protocol.UDP if listener.protocol == "UDP" else Protocol.TCP


def gateway_addresses(gateway: GatewayObject, settings: ObjectSettings) -> tuple[Address, ...]:
    """The Gateway's addresses, replaced by its own ``target`` annotation when set."""
    return settings.targets if settings.targets is not None else gateway.addresses


def gateway_claims(gateway: GatewayObject, settings: ObjectSettings, default_ttl: int) -> Claims:
    claims = Claims()
    annotations = dict(gateway.annotations)
    chosen = choose_addresses(
        gateway.ref, gateway_addresses(gateway, settings), "status.addresses", claims
    )
    found = lookup(annotations, "hostname")
    name_field = annotation_field(found[0]) if found else ""
    ports = frozenset((ln.port, listener_protocol(ln)) for ln in gateway.listeners)
    names = [(n, name_field) for n in settings.hostnames]
    claims.addresses.extend(
        address_claims(gateway.ref, names, chosen, ports, settings.ttl or default_ttl)
    )
    return claims


@dataclass(frozen=True, slots=True)
class Attachment:
    gateway: GatewayObject
    listener: Listener
    addresses: tuple[Address, ...]


def route_attachments(
    route: RouteObject,
    gateways: Mapping[tuple[str, str], tuple[GatewayObject, ObjectSettings]],
    namespace_labels: Mapping[str, dict[str, str]],
) -> list[Attachment]:
    """Listeners of accepted parent Gateways that this route is allowed to attach to."""
    attachments: list[Attachment] = []
    for parent in route.accepted_parents:
        if parent.group != GATEWAY_GROUP or parent.kind != "Gateway":
            continue
        if not _in_spec(parent, route):
            continue
        found = gateways.get((parent.namespace, parent.name))
        if found is None:
            continue
        gateway, gw_settings = found
        for listener in gateway.listeners:
            if parent.section_name is not None and listener.name != parent.section_name:
                continue
            if parent.port is not None and listener.port != parent.port:
                continue
            if listener.protocol not in ROUTE_PROTOCOLS[route.ref.kind]:
                continue
            if listener.allowed_kinds and route.ref.kind not in listener.allowed_kinds:
                continue
            if not _namespace_allowed(listener, gateway, route, namespace_labels):
                continue
            attachments.append(
                Attachment(gateway, listener, gateway_addresses(gateway, gw_settings))
            )
    return attachments


def _in_spec(parent: ParentRef, route: RouteObject) -> bool:
    return any(
        p.name == parent.name
        and p.namespace == parent.namespace
        and p.section_name == parent.section_name
        for p in route.parent_refs
    )


def _namespace_allowed(
    listener: Listener,
    gateway: GatewayObject,
    route: RouteObject,
    namespace_labels: Mapping[str, dict[str, str]],
) -> bool:
    if listener.namespaces_from is NamespacesFrom.ALL:
        return True
    if listener.namespaces_from is NamespacesFrom.SAME:
        return route.ref.namespace == gateway.ref.namespace
    selector = listener.namespace_selector
    labels = namespace_labels.get(route.ref.namespace, {})
    return selector is not None and selector.matches(labels)


def route_claims(
    route: RouteObject,
    settings: ObjectSettings,
    attachments: list[Attachment],
    default_ttl: int,
) -> Claims:
    """Address records at the route's names and SRV records for its listeners.

    A name from the ``hostname`` annotation gets the addresses of every attachment; a
    ``spec.hostnames`` entry only those of the listeners whose hostname allows it.
    """
    claims = Claims()
    if not attachments:
        return claims
    annotations = dict(route.annotations)
    ttl = settings.ttl or default_ttl
    found = lookup(annotations, "hostname")
    name_field = annotation_field(found[0]) if found else ""
    every = frozenset(range(len(attachments)))
    names: list[tuple[DomainName, str, frozenset[int]]] = [
        (n, name_field, every) for n in settings.hostnames
    ]
    if route.ref.kind in HOSTNAME_ROUTES:
        taken = {n for n, _, _ in names}
        for name, matched in _spec_hostnames(route, attachments, claims):
            if name not in taken:
                names.append((name, "spec.hostnames", matched))
    if settings.targets is not None:
        found = lookup(annotations, "target")
        status_field = annotation_field(found[0]) if found else ""
    else:
        status_field = "status.parents"
    chosen_by_group: dict[frozenset[int], ChosenAddresses] = {}

    def chosen_for(group: frozenset[int]) -> ChosenAddresses:
        if group not in chosen_by_group:
            if settings.targets is not None:
                addresses: tuple[Address, ...] = settings.targets
            else:
                addresses = tuple(a for i in sorted(group) for a in attachments[i].addresses)
            found = Claims()
            chosen_by_group[group] = choose_addresses(route.ref, addresses, status_field, found)
            claims.diagnostics.extend(d for d in found.diagnostics if d not in claims.diagnostics)
        return chosen_by_group[group]

    for group in sorted({g for _, _, g in names}, key=sorted):
        ports = frozenset(
            (attachments[i].listener.port, listener_protocol(attachments[i].listener))
            for i in group
        )
        in_group = [(n, f) for n, f, g in names if g == group]
        claims.addresses.extend(address_claims(route.ref, in_group, chosen_for(group), ports, ttl))
    if route.ref.kind in SRV_ROUTES:
        srv_ports = sorted(
            {
                Port(a.listener.port, listener_protocol(a.listener), a.listener.name)
                for a in attachments
            }
        )
        first = srv_target_name(n for n, _f, _g in names)
        chosen = chosen_for(every)
        srv_claims(route.ref, settings, annotations, srv_ports, chosen, first, ttl, claims)
    return claims


def _spec_hostnames(
    route: RouteObject, attachments: list[Attachment], claims: Claims
) -> list[tuple[DomainName, frozenset[int]]]:
    """Each name from spec.hostnames (or the listener hostname) and the attachments
    whose listener allows it, in first-seen order."""
    found: dict[DomainName, set[int]] = {}
    invalid: set[str] = set()
    candidates: list[str | None] = list(route.hostnames) or [None]
    for index, attachment in enumerate(attachments):
        listener_host = attachment.listener.hostname
        for host in candidates:
            matched = listener_host if host is None else intersect(listener_host, host)
            if matched is None:
                continue
            try:
                name = DomainName.parse_hostname(matched)
            except InvalidNameError as exc:
                if matched not in invalid:
                    invalid.add(matched)
                    claims.diagnostics.append(
                        for_object(route.ref, "spec.hostnames", f"invalid hostname: {exc}")
                    )
                continue
            found.setdefault(name, set()).add(index)
    return [(name, frozenset(indices)) for name, indices in found.items()]


__all__ = [
    "Attachment",
    "ChosenAddresses",
    "gateway_claims",
    "route_attachments",
    "route_claims",
]
