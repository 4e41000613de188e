"""Turn a Kubernetes object (a plain dict, as YAML or the API gives it) into its projection.

Malformed fields raise :class:`ProjectionError` naming the field; the caller reports it
against the object and goes on with the others.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Mapping
from typing import Any

from dnssync.model.refs import ObjectRef
from dnssync.sources.addresses import parse_ip
from dnssync.sources.annotations import RELEVANT_PREFIXES
from dnssync.sources.ingress_nginx import parse_stream_services
from dnssync.sources.objects import (
    ROUTE_KINDS,
    TRAEFIK_KINDS,
    Address,
    AllowedListeners,
    BackendServiceObject,
    GatewayObject,
    IngressHost,
    IngressObject,
    LabelSelector,
    Listener,
    ListenerSetObject,
    ListenerStatus,
    NamespaceObject,
    NamespacesFrom,
    ParentRef,
    Port,
    Protocol,
    RouteObject,
    ServiceObject,
    SniHost,
    SourceObject,
    TraefikRouteObject,
)
from dnssync.sources.traefik_rule import RuleError, sni_hosts

GATEWAY_GROUP = "gateway.networking.k8s.io"
TRAEFIK_GROUP = "traefik.io"
TRAEFIK_LEGACY_GROUP = "traefik.containo.us"
SUPPORTED_KINDS = (
    "service",
    "gateway",
    "namespace",
    "listenerset",
    "ingress",
    *ROUTE_KINDS,
    *TRAEFIK_KINDS,
)
# Read only when a setting names it (ingress-nginx's TCP/UDP services ConfigMaps).
CONFIGMAP = "configmap"
# The legacy way to name an Ingress's class (before spec.ingressClassName).
INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


class ProjectionError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def kind_of(obj: Mapping[str, Any]) -> str:
    # Interned, as namespaces and port names below: tens of thousands of objects repeat a
    # few of them, and the projections live as long as the cache (docs/engine.md).
    return sys.intern(str(obj.get("kind") or "").lower())


def ref_of(obj: Mapping[str, Any], default_namespace: str = "default") -> ObjectRef:
    meta = _mapping(obj.get("metadata"), "metadata")
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise ProjectionError("metadata.name", "missing")
    namespace = meta.get("namespace") or default_namespace
    return ObjectRef(kind_of(obj), sys.intern(str(namespace)), name)


def project(obj: Mapping[str, Any], default_namespace: str = "default") -> SourceObject | None:
    """The projection of obj, or None for objects no rule reads (Services that are not
    LoadBalancers and carry none of our annotations)."""
    kind = kind_of(obj)
    if kind == "namespace":
        meta = _mapping(obj.get("metadata"), "metadata")
        return NamespaceObject(str(meta.get("name", "")), _string_pairs(meta.get("labels")))
    ref = ref_of(obj, default_namespace)
    if kind == "service":
        return _service(ref, obj)
    if kind == "gateway":
        return _gateway(ref, obj)
    if kind in ROUTE_KINDS:
        return _route(ref, obj)
    if kind == CONFIGMAP:
        return parse_stream_services(ref, _mapping(obj.get("data"), "data"))
    if kind in TRAEFIK_KINDS:
        return _traefik_route(ref, obj)
    if kind == "listenerset":
        return _listener_set(ref, obj)
    if kind == "ingress":
        return _ingress(ref, obj)
    raise ProjectionError("kind", f"unsupported kind {obj.get('kind')!r}")


def _service(ref: ObjectRef, obj: Mapping[str, Any]) -> ServiceObject | BackendServiceObject | None:
    spec = _mapping(obj.get("spec"), "spec")
    if spec.get("type") != "LoadBalancer":
        return _backend_service(ref, obj, spec)
    ports = []
    for index, raw in enumerate(_list(spec.get("ports"), "spec.ports")):
        where = f"spec.ports[{index}]"
        item = _mapping(raw, where)
        ports.append(
            Port(
                port=_port(item.get("port"), f"{where}.port"),
                protocol=_protocol(item.get("protocol", "TCP"), f"{where}.protocol"),
                name=sys.intern(str(item["name"])) if item.get("name") else None,
            )
        )
    external = _external_ips(spec)
    if external:
        # Bare-metal clusters set them by hand; they replace the status, as in ExternalDNS.
        return ServiceObject(
            ref, _annotations(obj), _labels(obj), tuple(ports), external, "spec.externalIPs"
        )
    addresses = _load_balancer_addresses(obj)
    return ServiceObject(ref, _annotations(obj), _labels(obj), tuple(ports), addresses)


def _load_balancer_addresses(obj: Mapping[str, Any]) -> tuple[Address, ...]:
    """``status.loadBalancer.ingress[]`` of a Service or an Ingress (same shape)."""
    status = _mapping(obj.get("status"), "status")
    lb = _mapping(status.get("loadBalancer"), "status.loadBalancer")
    addresses = []
    for index, raw in enumerate(_list(lb.get("ingress"), "status.loadBalancer.ingress")):
        where = f"status.loadBalancer.ingress[{index}]"
        item = _mapping(raw, where)
        ip = _ip(item["ip"], f"{where}.ip") if item.get("ip") else None
        hostname = str(item["hostname"]) if item.get("hostname") else None
        if ip is not None or hostname is not None:
            addresses.append(Address(ip=ip, hostname=hostname))
    return tuple(addresses)


def _ingress(ref: ObjectRef, obj: Mapping[str, Any]) -> IngressObject:
    """Hosts of spec.rules and spec.tls (ExternalDNS reads both), empty ones left out."""
    spec = _mapping(obj.get("spec"), "spec")
    hosts: list[IngressHost] = []
    for index, raw in enumerate(_list(spec.get("rules"), "spec.rules")):
        host = _mapping(raw, f"spec.rules[{index}]").get("host")
        if host:
            field = f"spec.rules[{index}].host"
            hosts.append(IngressHost(_text(host, field), field))
    for index, raw in enumerate(_list(spec.get("tls"), "spec.tls")):
        where = f"spec.tls[{index}].hosts"
        listed = _list(_mapping(raw, f"spec.tls[{index}]").get("hosts"), where)
        for position, host in enumerate(listed):
            if host:
                field = f"{where}[{position}]"
                hosts.append(IngressHost(_text(host, field), field, from_tls=True))
    class_name = spec.get("ingressClassName")
    if not class_name:
        meta = _mapping(obj.get("metadata"), "metadata")
        class_name = _mapping(meta.get("annotations"), "metadata.annotations").get(
            INGRESS_CLASS_ANNOTATION
        )
    return IngressObject(
        ref,
        _annotations(obj),
        _labels(obj),
        tuple(hosts),
        str(class_name) if class_name else None,
        _load_balancer_addresses(obj),
    )


def _text(raw: Any, where: str) -> str:
    if not isinstance(raw, str):
        raise ProjectionError(where, f"expected a string, got {type(raw).__name__}")
    return raw


def _backend_service(
    ref: ObjectRef, obj: Mapping[str, Any], spec: Mapping[str, Any]
) -> BackendServiceObject | None:
    """A Service an ingress controller may expose (docs/sources/ingress-nginx.md). Only
    with our annotations can it have names: without them it is not kept (a small cache)."""
    annotations = _annotations(obj)
    if not annotations:
        return None
    ports = []
    for index, raw in enumerate(_list(spec.get("ports"), "spec.ports")):
        where = f"spec.ports[{index}]"
        item = _mapping(raw, where)
        ports.append(
            Port(
                port=_port(item.get("port"), f"{where}.port"),
                protocol=_protocol(item.get("protocol", "TCP"), f"{where}.protocol"),
                name=str(item["name"]) if item.get("name") else None,
            )
        )
    return BackendServiceObject(ref, annotations, _labels(obj), tuple(ports))


def _external_ips(spec: Mapping[str, Any]) -> tuple[Address, ...]:
    found: list[Address] = []
    for index, raw in enumerate(_list(spec.get("externalIPs"), "spec.externalIPs")):
        address = Address(ip=_ip(raw, f"spec.externalIPs[{index}]"))
        if address not in found:
            found.append(address)
    return tuple(found)


def _gateway(ref: ObjectRef, obj: Mapping[str, Any]) -> GatewayObject:
    spec = _mapping(obj.get("spec"), "spec")
    listeners = _listeners(spec)
    allowed = _mapping(spec.get("allowedListeners"), "spec.allowedListeners")
    namespaces = _mapping(allowed.get("namespaces"), "spec.allowedListeners.namespaces")
    where = "spec.allowedListeners.namespaces"
    allowed_listeners = AllowedListeners(
        _namespaces_from(namespaces.get("from", "None"), f"{where}.from"),
        _selector(namespaces["selector"], f"{where}.selector")
        if namespaces.get("selector") is not None
        else None,
    )
    status = _mapping(obj.get("status"), "status")
    addresses = []
    for index, raw in enumerate(_list(status.get("addresses"), "status.addresses")):
        where = f"status.addresses[{index}]"
        item = _mapping(raw, where)
        value = item.get("value")
        if not isinstance(value, str) or not value:
            raise ProjectionError(f"{where}.value", "missing")
        kind = item.get("type", "IPAddress")
        if kind == "IPAddress":
            addresses.append(Address(ip=_ip(value, f"{where}.value")))
        elif kind == "Hostname":
            addresses.append(Address(hostname=value))
        else:
            raise ProjectionError(f"{where}.type", f"address type {kind!r} is not supported")
    return GatewayObject(
        ref, _annotations(obj), _labels(obj), listeners, tuple(addresses), allowed_listeners
    )


def _listeners(spec: Mapping[str, Any]) -> tuple[Listener, ...]:
    listeners = []
    for index, raw in enumerate(_list(spec.get("listeners"), "spec.listeners")):
        where = f"spec.listeners[{index}]"
        item = _mapping(raw, where)
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise ProjectionError(f"{where}.name", "missing")
        allowed = _mapping(item.get("allowedRoutes"), f"{where}.allowedRoutes")
        namespaces = _mapping(allowed.get("namespaces"), f"{where}.allowedRoutes.namespaces")
        namespaces_from = _namespaces_from(
            namespaces.get("from", "Same"), f"{where}.allowedRoutes.namespaces.from"
        )
        if namespaces_from is NamespacesFrom.NONE:
            raise ProjectionError(f"{where}.allowedRoutes.namespaces.from", "unknown value 'None'")
        selector = None
        if namespaces.get("selector") is not None:
            selector = _selector(
                namespaces["selector"], f"{where}.allowedRoutes.namespaces.selector"
            )
        kinds = tuple(
            str(_mapping(k, f"{where}.allowedRoutes.kinds").get("kind", "")).lower()
            for k in _list(allowed.get("kinds"), f"{where}.allowedRoutes.kinds")
        )
        listeners.append(
            Listener(
                name=name,
                port=_port(item.get("port"), f"{where}.port"),
                protocol=str(item.get("protocol", "")).upper(),
                hostname=str(item["hostname"]) if item.get("hostname") else None,
                namespaces_from=namespaces_from,
                namespace_selector=selector,
                allowed_kinds=kinds,
            )
        )
    return tuple(listeners)


def _namespaces_from(raw: Any, where: str) -> NamespacesFrom:
    try:
        return NamespacesFrom(raw)
    except ValueError:
        raise ProjectionError(where, f"unknown value {raw!r}") from None


def _listener_set(ref: ObjectRef, obj: Mapping[str, Any]) -> ListenerSetObject:
    spec = _mapping(obj.get("spec"), "spec")
    listeners = _listeners(spec)
    if spec.get("parentRef") is None:
        raise ProjectionError("spec.parentRef", "missing")
    parent = _parent_ref(spec.get("parentRef"), "spec.parentRef", ref.namespace)
    status = _mapping(obj.get("status"), "status")
    accepted = _condition(status, "status", "Accepted")
    listener_status = []
    for index, raw in enumerate(_list(status.get("listeners"), "status.listeners")):
        where = f"status.listeners[{index}]"
        item = _mapping(raw, where)
        listener_status.append(
            ListenerStatus(
                str(item.get("name") or ""),
                accepted=_condition(item, where, "Accepted"),
                conflicted=_condition(item, where, "Conflicted"),
            )
        )
    return ListenerSetObject(
        ref,
        _annotations(obj),
        _labels(obj),
        parent,
        listeners,
        accepted,
        tuple(listener_status),
    )


def _condition(holder: Mapping[str, Any], where: str, kind: str) -> bool:
    """True when ``holder.conditions`` has a ``kind`` condition with status True."""
    conditions = _list(holder.get("conditions"), f"{where}.conditions")
    return any(
        isinstance(c, Mapping) and c.get("type") == kind and c.get("status") == "True"
        for c in conditions
    )


def _route(ref: ObjectRef, obj: Mapping[str, Any]) -> RouteObject:
    spec = _mapping(obj.get("spec"), "spec")
    hostnames = tuple(str(h) for h in _list(spec.get("hostnames"), "spec.hostnames"))
    parents = tuple(
        _parent_ref(raw, f"spec.parentRefs[{i}]", ref.namespace)
        for i, raw in enumerate(_list(spec.get("parentRefs"), "spec.parentRefs"))
    )
    status = _mapping(obj.get("status"), "status")
    accepted = []
    for index, raw in enumerate(_list(status.get("parents"), "status.parents")):
        where = f"status.parents[{index}]"
        item = _mapping(raw, where)
        parent = _parent_ref(item.get("parentRef"), f"{where}.parentRef", ref.namespace)
        if _condition(item, where, "Accepted"):
            accepted.append(parent)
    return RouteObject(ref, _annotations(obj), _labels(obj), hostnames, parents, tuple(accepted))


def _traefik_route(ref: ObjectRef, obj: Mapping[str, Any]) -> TraefikRouteObject:
    """IngressRouteTCP/UDP: entry points, and the HostSNI hosts of a TCP route's rules.

    A rule that cannot be read is kept as a problem of the object (the rules report it and
    keep its records), so that one bad rule does not hide the object's other names.
    """
    group = str(obj.get("apiVersion") or "").partition("/")[0]
    if group not in (TRAEFIK_GROUP, TRAEFIK_LEGACY_GROUP):
        raise ProjectionError("apiVersion", f"{obj.get('apiVersion')!r} is not a Traefik group")
    spec = _mapping(obj.get("spec"), "spec")
    entry_points = []
    for index, raw in enumerate(_list(spec.get("entryPoints"), "spec.entryPoints")):
        if not isinstance(raw, str) or not raw:
            raise ProjectionError(f"spec.entryPoints[{index}]", "expected an entry point name")
        entry_points.append(raw)
    hosts: list[SniHost] = []
    problems: list[tuple[str, str]] = []
    for index, raw in enumerate(_list(spec.get("routes"), "spec.routes")):
        where = f"spec.routes[{index}]"
        item = _mapping(raw, where)
        if ref.kind != "ingressroutetcp" or item.get("match") is None:
            continue
        match = item["match"]
        if not isinstance(match, str):
            problems.append((f"{where}.match", f"expected a string, got {type(match).__name__}"))
            continue
        try:
            found = sni_hosts(match)
        except RuleError as exc:
            problems.append((f"{where}.match", f"cannot be read: {exc}"))
            continue
        hosts.extend(SniHost(h, f"{where}.match") for h in found if h != "*")
    return TraefikRouteObject(
        ref,
        group,
        _annotations(obj),
        _labels(obj),
        tuple(dict.fromkeys(entry_points)),
        tuple(hosts),
        tuple(problems),
        spec.get("tls") is not None,
    )


def _parent_ref(raw: Any, where: str, namespace: str) -> ParentRef:
    item = _mapping(raw, where)
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise ProjectionError(f"{where}.name", "missing")
    port = item.get("port")
    return ParentRef(
        name=name,
        namespace=str(item.get("namespace") or namespace),
        section_name=str(item["sectionName"]) if item.get("sectionName") else None,
        port=_port(port, f"{where}.port") if port is not None else None,
        group=str(item.get("group", GATEWAY_GROUP)),
        kind=str(item.get("kind", "Gateway")),
    )


def _selector(raw: Any, where: str) -> LabelSelector:
    item = _mapping(raw, where)
    expressions = []
    for index, expr in enumerate(_list(item.get("matchExpressions"), f"{where}.matchExpressions")):
        e = _mapping(expr, f"{where}.matchExpressions[{index}]")
        expressions.append(
            (
                str(e.get("key", "")),
                str(e.get("operator", "")),
                tuple(str(v) for v in _list(e.get("values"), "values")),
            )
        )
    return LabelSelector(_string_pairs(item.get("matchLabels")), tuple(expressions))


def _annotations(obj: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Only ours (a small informer cache); the others are never even stringified."""
    raw = _mapping(obj.get("metadata"), "metadata").get("annotations")
    if not isinstance(raw, Mapping):
        return ()
    return tuple(
        sorted(
            (k, "" if v is None else str(v))
            for k, v in raw.items()
            if isinstance(k, str) and k.startswith(RELEVANT_PREFIXES)
        )
    )


def _labels(obj: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return _string_pairs(_mapping(obj.get("metadata"), "metadata").get("labels"))


def _string_pairs(raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, Mapping):
        return ()
    return tuple(sorted((str(k), "" if v is None else str(v)) for k, v in raw.items()))


def _mapping(raw: Any, where: str) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ProjectionError(where, f"expected a mapping, got {type(raw).__name__}")
    return raw


def _list(raw: Any, where: str) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ProjectionError(where, f"expected a list, got {type(raw).__name__}")
    return raw


def _port(raw: Any, where: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 65535:
        raise ProjectionError(where, f"{raw!r} is not a port number 1..65535")
    return raw


def _protocol(raw: Any, where: str) -> Protocol:
    try:
        return Protocol(str(raw).upper())
    except ValueError:
        raise ProjectionError(where, f"unknown protocol {raw!r}") from None


def _ip(raw: Any, where: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if not isinstance(raw, str):
        raise ProjectionError(where, f"{raw!r} is not an IP address")
    try:
        return parse_ip(raw)
    except ValueError as exc:
        raise ProjectionError(where, str(exc)) from None
