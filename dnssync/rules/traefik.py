"""Traefik IngressRouteTCP/IngressRouteUDP: addresses and ports from Traefik's own Services.

A route names entry points; Traefik's Helm chart exposes each entry point as a port of its
LoadBalancer Service(s) (``<name>``, and ``<name>-udp`` for UDP entry points) named after
the entry point, lower-cased and cut to 15 characters (docs/sources/traefik.md). The route
gets the status addresses of the Services holding its entry points (or its ``target``
annotation), address records at its ``hostname`` names and ``HostSNI`` hosts, and SRV
records under ``srv-domain`` for each entry point (label: the entry point's name unless
``srv-service`` maps it; port: the Service's port; proto: the route's protocol).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dnssync.errors import InvalidNameError
from dnssync.model.diagnostics import Diagnostic, for_object
from dnssync.model.names import DomainName
from dnssync.rules.per_object import (
    Claims,
    address_claims,
    choose_addresses,
    srv_claims,
)
from dnssync.sources.annotations import ObjectSettings, annotation_field, lookup
from dnssync.sources.objects import Address, Port, Protocol, ServiceObject, TraefikRouteObject
from dnssync.sources.projection import TRAEFIK_LEGACY_GROUP

ServiceKey = tuple[str, str]  # (namespace, name)
# Kubernetes port names are IANA service names: at most 15 characters.
MAX_PORT_NAME = 15
LEGACY_FLAG = "--traefik-legacy"


@dataclass(frozen=True, slots=True)
class TraefikSettings:
    """``--traefik-service`` (in order) and ``--traefik-legacy``."""

    services: tuple[ServiceKey, ...] = ()
    legacy: bool = False


def entry_point_port_name(entry_point: str) -> str:
    """The name Traefik's chart gives the Service port of an entry point."""
    return entry_point.lower()[:MAX_PORT_NAME]


def route_protocol(route: TraefikRouteObject) -> Protocol:
    return Protocol.UDP if route.ref.kind == "ingressrouteudp" else Protocol.TCP


@dataclass(frozen=True, slots=True)
class _Exposed:
    """An entry point of the route found on one Traefik Service."""

    service: ServiceObject
    port: Port  # the Service's port, named after the entry point as the route writes it


@dataclass
class TraefikResult:
    claims: Claims
    # False when part of the route could not be read: its records are kept as they are.
    usable: bool = True


def traefik_route_claims(
    route: TraefikRouteObject,
    settings: ObjectSettings,
    traefik: TraefikSettings,
    services: Mapping[ServiceKey, ServiceObject],
    default_ttl: int,
) -> TraefikResult:
    """The claims of one route; ``services`` holds the Traefik Services that exist."""
    result = TraefikResult(Claims())
    diagnostics = result.claims.diagnostics
    if route.group == TRAEFIK_LEGACY_GROUP and not traefik.legacy:
        diagnostics.append(
            for_object(
                route.ref,
                "apiVersion",
                f"{TRAEFIK_LEGACY_GROUP} is Traefik's legacy API group: pass {LEGACY_FLAG} "
                "to publish it",
                reason="LegacyTraefikGroup",
            )
        )
        return result
    for field, problem in route.rule_problems:
        result.usable = False
        diagnostics.append(
            for_object(
                route.ref,
                field,
                f"{problem}; its HostSNI names are not known, so the route's records are "
                "kept as they are",
                reason="InvalidRule",
            )
        )
    if not (settings.hostnames or route.sni_hosts or settings.srv_domains):
        return result  # nothing asked of DNS (e.g. HostSNI(`*`) and no annotations)
    exposed = _entry_points(route, traefik, services, diagnostics)
    annotations = dict(route.annotations)
    ttl = settings.ttl or default_ttl
    if settings.targets is not None:
        found = lookup(annotations, "target")
        status_field = annotation_field(found[0]) if found else "metadata.annotations"
        addresses: tuple[Address, ...] = settings.targets
    else:
        status_field = "spec.entryPoints"
        addresses = _addresses(route, exposed, diagnostics)
    if not addresses:
        return result
    names = _names(route, settings, annotations, diagnostics)
    chosen = choose_addresses(route.ref, addresses, status_field, result.claims)
    ports = frozenset((e.port.port, e.port.protocol) for e in exposed)
    result.claims.addresses.extend(address_claims(route.ref, names, chosen, ports, ttl))
    first = names[0][0] if names else None
    by_service: dict[ServiceKey, list[_Exposed]] = {}
    for item in exposed:
        by_service.setdefault((item.service.ref.namespace, item.service.ref.name), []).append(item)
    for items in by_service.values():
        if settings.targets is None:
            # Each Service's SRV targets its own load balancer (an AWS hostname differs).
            service_chosen = choose_addresses(
                route.ref, items[0].service.addresses, status_field, Claims()
            )
        else:
            service_chosen = chosen
        srv_ports = [i.port for i in items]
        srv_claims(
            route.ref, settings, annotations, srv_ports, service_chosen, first, ttl, result.claims
        )
    _dedupe(diagnostics)
    return result


def _entry_points(
    route: TraefikRouteObject,
    traefik: TraefikSettings,
    services: Mapping[ServiceKey, ServiceObject],
    diagnostics: list[Diagnostic],
) -> list[_Exposed]:
    protocol = route_protocol(route)
    if not route.entry_points:
        diagnostics.append(
            for_object(
                route.ref,
                "spec.entryPoints",
                "no entry points: Traefik then uses its default entry points, which dnssync "
                "cannot see; list them in spec.entryPoints",
                reason="UnknownEntryPoint",
            )
        )
        return []
    exposed: list[_Exposed] = []
    present = [services[key] for key in traefik.services if key in services]
    missing = [f"{ns}/{name}" for ns, name in traefik.services if (ns, name) not in services]
    for index, entry_point in enumerate(route.entry_points):
        port_name = entry_point_port_name(entry_point)
        found = [
            _Exposed(service, Port(port.port, port.protocol, entry_point))
            for service in present
            for port in service.ports
            if port.name == port_name and port.protocol is protocol
        ]
        if found:
            exposed.extend(found)
            continue
        other = [
            f"{port.protocol.value} on Service {service.ref.namespace}/{service.ref.name}"
            for service in present
            for port in service.ports
            if port.name == port_name
        ]
        if other:
            problem = (
                f"entry point {entry_point!r} is {', '.join(other)}, not {protocol.value}: "
                f"an {route.ref.kind} cannot use it"
            )
        elif not traefik.services:
            problem = (
                f"entry point {entry_point!r} cannot be looked up: no Traefik Service is "
                "named (--traefik-service NAMESPACE/NAME)"
            )
        else:
            named = ", ".join(f"{ns}/{name}" for ns, name in traefik.services)
            problem = (
                f"entry point {entry_point!r} is not a {protocol.value} port named "
                f"{port_name!r} of the Traefik Service(s) {named}"
            )
            if missing:
                problem += f" (not found, or not of type LoadBalancer: {', '.join(missing)})"
        diagnostics.append(
            for_object(route.ref, f"spec.entryPoints[{index}]", problem, reason="UnknownEntryPoint")
        )
    return exposed


def _addresses(
    route: TraefikRouteObject, exposed: list[_Exposed], diagnostics: list[Diagnostic]
) -> tuple[Address, ...]:
    """The status addresses of the Services holding the route's entry points, in order."""
    addresses: dict[Address, None] = {}
    empty: list[str] = []
    for item in exposed:
        service = item.service
        shown = f"{service.ref.namespace}/{service.ref.name}"
        if not service.addresses and shown not in empty:
            empty.append(shown)
        for address in service.addresses:
            addresses.setdefault(address, None)
    if addresses:
        return tuple(addresses)
    if not empty:
        return ()  # no entry point was found: its own Warning says why
    message = (
        f"Traefik Service(s) {', '.join(empty)} have no address in "
        "status.loadBalancer.ingress yet: nothing is published (set the target "
        "annotation to publish other addresses)"
    )
    diagnostics.append(for_object(route.ref, "spec.entryPoints", message, reason="NoAddress"))
    return ()


def _names(
    route: TraefikRouteObject,
    settings: ObjectSettings,
    annotations: dict[str, str],
    diagnostics: list[Diagnostic],
) -> list[tuple[DomainName, str]]:
    found = lookup(annotations, "hostname")
    name_field = annotation_field(found[0]) if found else ""
    names: dict[DomainName, str] = {n: name_field for n in settings.hostnames}
    if route.sni_hosts and not route.tls:
        for field in dict.fromkeys(h.field for h in route.sni_hosts):
            diagnostics.append(
                for_object(
                    route.ref,
                    field,
                    "HostSNI names a host only on TLS connections and this route has no "
                    "spec.tls (Traefik refuses it; plain TCP routes use HostSNI(`*`)): its "
                    "hosts are not published",
                    reason="HostSNIWithoutTLS",
                )
            )
        return list(names.items())
    for host in route.sni_hosts:
        try:
            name = DomainName.parse(host.host)
        except InvalidNameError as exc:
            diagnostics.append(
                for_object(
                    route.ref,
                    host.field,
                    f"HostSNI host {host.host[:100]!r} is not a DNS name: {exc}",
                    reason="InvalidHostname",
                )
            )
            continue
        names.setdefault(name, host.field)
    return list(names.items())


def _dedupe(diagnostics: list[Diagnostic]) -> None:
    unique = list(dict.fromkeys(diagnostics))
    diagnostics[:] = unique
