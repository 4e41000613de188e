"""ingress-nginx TCP/UDP services: a backend Service published on the controller's addresses.

docs/sources/ingress-nginx.md. The backend Service named by an entry of the TCP or UDP services
ConfigMap carries the annotations; it is published as if it were a LoadBalancer Service
with the controller Service's addresses and, as its ports, the ports the controller
exposes (the ConfigMap keys, TCP or UDP by ConfigMap) under the names of the backend ports
they lead to. Records are owned by the backend Service (``service/<ns>/<name>``).

The rules read, for a backend, the two ConfigMaps and the controller Service
(:func:`backend_needs`), and nothing else: a change of either re-runs only the backends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from dnssync.model.diagnostics import Diagnostic, for_object
from dnssync.model.names import DomainName
from dnssync.model.refs import ObjectRef
from dnssync.rules.per_object import Claims, address_claims, choose_addresses, srv_claims
from dnssync.sources.annotations import ObjectSettings, annotation_field, lookup
from dnssync.sources.ingress_nginx import IngressNginxSettings, backend_port_number
from dnssync.sources.objects import (
    BackendServiceObject,
    Port,
    Protocol,
    ServiceObject,
    SourceObject,
    StreamEntry,
    StreamServicesObject,
)

# ConfigMap keys the API server accepts (and the sign Go's Atoi reads).
_PLAIN_KEY = re.compile(r"[-._a-zA-Z0-9+]{1,253}")

Lookup = Callable[[ObjectRef], SourceObject | None]
"""Finds an object by reference (kind, namespace, name); None when there is none."""


@dataclass(frozen=True, slots=True)
class Exposure:
    """One entry exposing the backend: which ConfigMap, which key, and the port it gives."""

    configmap: ObjectRef
    entry: StreamEntry
    port: Port  # the controller's port and protocol, named as the backend port


def backend_needs(settings: IngressNginxSettings) -> frozenset[ObjectRef]:
    """What a backend's records depend on besides itself."""
    found = {ref for ref, _ in settings.configmaps}
    if settings.controller is not None:
        found.add(settings.controller)
    return frozenset(found)


def exposed(backend: BackendServiceObject, settings: IngressNginxSettings, find: Lookup) -> bool:
    """True when an entry of the ConfigMaps names the backend (only then is it read)."""
    for ref, _ in settings.configmaps:
        configmap = find(ref)
        if isinstance(configmap, StreamServicesObject) and any(
            (e.namespace, e.service) == (backend.ref.namespace, backend.ref.name)
            for e in configmap.entries
        ):
            return True
    return False


def configmap_diagnostics(
    configmap: StreamServicesObject, settings: IngressNginxSettings
) -> list[Diagnostic]:
    """The entries the controller skips or reads differently, named by key."""
    if not any(ref == configmap.ref for ref, _ in settings.configmaps):
        return []
    return [
        for_object(
            configmap.ref,
            f"data[{_shown_key(problem.key)}]",
            problem.message,
            reason="InvalidStreamEntry" if problem.skipped else "IgnoredStreamField",
        )
        for problem in configmap.problems
    ]


def backend_claims(
    backend: BackendServiceObject,
    obj_settings: ObjectSettings,
    settings: IngressNginxSettings,
    find: Lookup,
    default_ttl: int,
) -> Claims:
    """The backend's records on the controller's addresses (none if no entry names it)."""
    claims = Claims()
    exposures = _exposures(backend, settings, find, claims)
    if not exposures:
        return claims
    controller_ref = settings.controller
    assert controller_ref is not None  # IngressNginxSettings.parse requires it
    controller = find(controller_ref)
    where = "spec.ports"
    if not isinstance(controller, ServiceObject):
        claims.diagnostics.append(
            for_object(
                backend.ref,
                where,
                f"is exposed through {_entries(exposures)}, but the controller Service "
                f"{_short(controller_ref)} (--ingress-nginx-controller) is not a LoadBalancer "
                "Service that dnssync can read; nothing is published",
                reason="ControllerNotFound",
            )
        )
        return claims
    reachable = _reachable(backend, exposures, controller, claims)
    if not reachable:
        return claims
    annotations = dict(backend.annotations)
    ttl = obj_settings.ttl or default_ttl
    if obj_settings.targets is not None:
        found = lookup(annotations, "target")
        status_field = annotation_field(found[0]) if found else "metadata.annotations"
        addresses = obj_settings.targets
    else:
        status_field, addresses = "status.loadBalancer.ingress", controller.addresses
    # Problems of the controller's status are the controller's own.
    where_status = controller.ref if obj_settings.targets is None else backend.ref
    chosen = choose_addresses(where_status, addresses, status_field, claims)
    if chosen.empty:
        claims.diagnostics.append(
            for_object(
                backend.ref,
                where,
                f"the controller Service {_short(controller.ref)} has no addresses in its "
                "status yet; nothing is published",
                reason="NoAddresses",
            )
        )
        return claims
    found = lookup(annotations, "hostname")
    name_field = annotation_field(found[0]) if found else ""
    names: list[tuple[DomainName, str]] = [(n, name_field) for n in obj_settings.hostnames]
    ports = [e.port for e in reachable]
    port_set = frozenset((p.port, p.protocol) for p in ports)
    claims.addresses.extend(address_claims(backend.ref, names, chosen, port_set, ttl))
    first = obj_settings.hostnames[0] if obj_settings.hostnames else None
    srv_claims(backend.ref, obj_settings, annotations, ports, chosen, first, ttl, claims)
    return claims


def _exposures(
    backend: BackendServiceObject,
    settings: IngressNginxSettings,
    find: Lookup,
    claims: Claims,
) -> list[Exposure]:
    """The entries naming the backend whose backend port exists, as the controller
    resolves it: by number (the Service ``port``) or by name, of the ConfigMap's protocol."""
    found: list[Exposure] = []
    for ref, protocol in settings.configmaps:
        configmap = find(ref)
        if not isinstance(configmap, StreamServicesObject):
            continue
        for entry in configmap.entries:
            if (entry.namespace, entry.service) != (backend.ref.namespace, backend.ref.name):
                continue
            port = _backend_port(backend, entry.backend_port, protocol)
            if port is None:
                claims.diagnostics.append(
                    for_object(
                        backend.ref,
                        "spec.ports",
                        f"{_short(ref)} key {entry.key!r} exposes port "
                        f"{entry.backend_port!r}, which is not a {protocol.value} port of "
                        "this Service (by number or name); the controller skips it",
                        reason="StreamPortNotFound",
                    )
                )
                continue
            found.append(Exposure(ref, entry, Port(entry.port, protocol, port.name)))
    return found


def _backend_port(backend: BackendServiceObject, text: str, protocol: Protocol) -> Port | None:
    number = backend_port_number(text)
    for port in backend.ports:
        if port.protocol is not protocol:
            continue
        if number is not None and port.port == number:
            return port
        # The controller compares names as written; an unnamed port has the name "".
        if number is None and (port.name or "") == text:
            return port
    return None


def _reachable(
    backend: BackendServiceObject,
    exposures: list[Exposure],
    controller: ServiceObject,
    claims: Claims,
) -> list[Exposure]:
    """The exposures whose port the controller Service opens for that protocol."""
    opened = {(p.port, p.protocol) for p in controller.ports}
    kept: list[Exposure] = []
    for exposure in exposures:
        if (exposure.port.port, exposure.port.protocol) in opened:
            kept.append(exposure)
            continue
        claims.diagnostics.append(
            for_object(
                backend.ref,
                "spec.ports",
                f"port {exposure.port.port}/{exposure.port.protocol.value} is in "
                f"{_short(exposure.configmap)} but not on Service {_short(controller.ref)}: "
                "unreachable; nothing is published for it (add the port to the controller "
                "Service)",
                reason="PortNotOnController",
            )
        )
    return kept


def _shown_key(key: str) -> str:
    """A key as the API server allows them, as is; anything else (a manifest can hold any
    text) quoted and cut, so a field name stays one short line."""
    if _PLAIN_KEY.fullmatch(key):
        return key
    text = ascii(key)
    return text if len(text) <= 64 else text[:60] + "...'"


def _short(ref: ObjectRef) -> str:
    return f"{ref.namespace}/{ref.name}"


def _entries(exposures: list[Exposure]) -> str:
    return ", ".join(f"{_short(e.configmap)} key {e.entry.key!r}" for e in exposures)
