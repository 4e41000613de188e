"""Gateways and the routes attached to them (Gateway API)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dnssync.errors import InvalidNameError
from dnssync.model.diagnostics import Diagnostic, for_object
from dnssync.model.names import DomainName
from dnssync.rules.hostnames import intersect
from dnssync.rules.listenersets import (
    ListenerSetIndex,
    admission_problem,
    listener_problem,
    listener_set_addresses,
    parent_gateway_key,
)
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
    ListenerSetObject,
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
    # Set when the listener is a ListenerSet's (the route's parentRef is the ListenerSet).
    listener_set: ListenerSetObject | None = None


@dataclass(frozen=True, slots=True)
class AttachResult:
    attachments: tuple[Attachment, ...]
    # Why parents or listeners were not attached to (design 3b: said when nothing is).
    problems: tuple[Diagnostic, ...] = ()


def route_attachments(
    route: RouteObject,
    gateways: Mapping[tuple[str, str], tuple[GatewayObject, ObjectSettings]],
    namespace_labels: Mapping[str, dict[str, str]],
    listener_sets: ListenerSetIndex | None = None,
) -> list[Attachment]:
    """Listeners of accepted parents (Gateways, ListenerSets) this route attaches to."""
    return list(attach_route(route, gateways, namespace_labels, listener_sets).attachments)


def attach_route(
    route: RouteObject,
    gateways: Mapping[tuple[str, str], tuple[GatewayObject, ObjectSettings]],
    namespace_labels: Mapping[str, dict[str, str]],
    listener_sets: ListenerSetIndex | None = None,
) -> AttachResult:
    """The attachments, and the reason for each parent that gave none.

    A parentRef of kind Gateway attaches only to the Gateway's own ``spec.listeners``; one
    of kind ListenerSet only to that ListenerSet's listeners (Gateway API GEP-1713).
    """
    attachments: list[Attachment] = []
    problems: list[Diagnostic] = []
    if route.parent_refs and not route.accepted_parents:
        problems.append(
            for_object(
                route.ref,
                "status.parents",
                "no parent has accepted the route (status.parents[].conditions Accepted is "
                "not True): its Gateway controller has not attached it",
                reason="RouteNotAccepted",
            )
        )
    for parent in route.accepted_parents:
        if parent.group != GATEWAY_GROUP or parent.kind not in ("Gateway", "ListenerSet"):
            continue
        if not _in_spec(parent, route):
            continue
        if parent.kind == "Gateway":
            found = gateways.get((parent.namespace, parent.name))
            if found is None:
                problems.append(_parent_missing(route, parent))
                continue
            gateway, gw_settings = found
            candidates: list[tuple[Listener, Diagnostic | None]] = [
                (ln, None) for ln in gateway.listeners
            ]
            owner_namespace = gateway.ref.namespace
            addresses = gateway_addresses(gateway, gw_settings)
            listener_set: ListenerSetObject | None = None
        else:
            found_set = (listener_sets or {}).get((parent.namespace, parent.name))
            if found_set is None:
                problems.append(_parent_missing(route, parent))
                continue
            listener_set, ls_settings = found_set
            key = parent_gateway_key(listener_set)
            found = gateways.get(key) if key is not None else None
            problem = admission_problem(
                listener_set, found[0] if found else None, namespace_labels, route.ref
            )
            if problem is not None:
                problems.append(problem)
                continue
            assert found is not None
            gateway, gw_settings = found
            candidates = [
                (ln, listener_problem(listener_set, ln, route.ref)) for ln in listener_set.listeners
            ]
            owner_namespace = listener_set.ref.namespace
            addresses = listener_set_addresses(ls_settings, gateway, gw_settings)
        matched, rejected = _match_listeners(
            route, parent, candidates, owner_namespace, namespace_labels
        )
        attachments.extend(Attachment(gateway, ln, addresses, listener_set) for ln in matched)
        if not matched:
            problems.extend(rejected)
    return AttachResult(tuple(attachments), tuple(problems))


def _parent_missing(route: RouteObject, parent: ParentRef) -> Diagnostic:
    return for_object(
        route.ref,
        "spec.parentRefs",
        f"parent {parent.kind} {parent.namespace}/{parent.name} is not found",
        reason="ParentNotFound",
    )


# How far a listener got before it was refused: the furthest stage is the one reported.
_NAME, _PROTOCOL, _KIND, _NAMESPACE, _STATUS = range(5)


def _match_listeners(
    route: RouteObject,
    parent: ParentRef,
    candidates: list[tuple[Listener, Diagnostic | None]],
    owner_namespace: str,
    namespace_labels: Mapping[str, dict[str, str]],
) -> tuple[list[Listener], list[Diagnostic]]:
    matched: list[Listener] = []
    refused: list[tuple[int, Diagnostic | None]] = []
    kind = route.ref.kind
    where = f"{parent.kind} {parent.namespace}/{parent.name}"
    for listener, status_problem in candidates:
        if parent.section_name is not None and listener.name != parent.section_name:
            refused.append((_NAME, None))
            continue
        if parent.port is not None and listener.port != parent.port:
            refused.append((_NAME, None))
            continue
        if listener.protocol not in ROUTE_PROTOCOLS[kind]:
            refused.append((_PROTOCOL, None))
            continue
        if listener.allowed_kinds and kind not in listener.allowed_kinds:
            refused.append(
                (
                    _KIND,
                    for_object(
                        route.ref,
                        "spec.parentRefs",
                        f"listener {listener.name} of {where} does not admit kind {kind} "
                        f"(allowedRoutes.kinds: {', '.join(listener.allowed_kinds)})",
                        reason="KindNotAllowed",
                    ),
                )
            )
            continue
        if not _namespace_allowed(listener, owner_namespace, route, namespace_labels):
            refused.append(
                (
                    _NAMESPACE,
                    for_object(
                        route.ref,
                        "spec.parentRefs",
                        f"listener {listener.name} of {where} does not admit routes from "
                        f"namespace {route.ref.namespace} (allowedRoutes.namespaces.from: "
                        f"{listener.namespaces_from.value})",
                        reason="NamespaceNotAllowed",
                    ),
                )
            )
            continue
        if status_problem is not None:
            refused.append((_STATUS, status_problem))
            continue
        matched.append(listener)
    if matched or not refused:
        if not matched:
            return [], [_no_listener(route, parent, where)]
        return matched, []
    furthest = max(stage for stage, _ in refused)
    if furthest <= _PROTOCOL:
        return [], [_no_listener(route, parent, where)]
    found = [d for stage, d in refused if stage == furthest and d is not None]
    return [], list(dict.fromkeys(found))


def _no_listener(route: RouteObject, parent: ParentRef, where: str) -> Diagnostic:
    wanted = []
    if parent.section_name is not None:
        wanted.append(f"named {parent.section_name}")
    if parent.port is not None:
        wanted.append(f"on port {parent.port}")
    wanted.append(f"with protocol {' or '.join(ROUTE_PROTOCOLS[route.ref.kind])}")
    return for_object(
        route.ref,
        "spec.parentRefs",
        f"{where} has no listener {', '.join(wanted)} for a {route.ref.kind}",
        reason="NoMatchingListener",
    )


def _in_spec(parent: ParentRef, route: RouteObject) -> bool:
    return any(
        p.name == parent.name
        and p.namespace == parent.namespace
        and p.section_name == parent.section_name
        and p.kind == parent.kind
        and p.group == parent.group
        for p in route.parent_refs
    )


def _namespace_allowed(
    listener: Listener,
    owner_namespace: str,
    route: RouteObject,
    namespace_labels: Mapping[str, dict[str, str]],
) -> bool:
    """``owner_namespace``: of the Gateway or ListenerSet that holds the listener."""
    if listener.namespaces_from is NamespacesFrom.ALL:
        return True
    if listener.namespaces_from is NamespacesFrom.SAME:
        return route.ref.namespace == owner_namespace
    if listener.namespaces_from is NamespacesFrom.NONE:
        return False
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
    "AttachResult",
    "Attachment",
    "ChosenAddresses",
    "attach_route",
    "gateway_claims",
    "route_attachments",
    "route_claims",
]
