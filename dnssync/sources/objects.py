"""The projected form of Kubernetes objects: only the fields the record rules read.

Both the manifest source and the Kubernetes informers produce these values, so the rules
run unchanged on either, and the informer cache stays small.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from typing import Union

from dnssync.model.refs import ObjectRef

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]


class Protocol(enum.Enum):
    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"

    @property
    def srv_label(self) -> str:
        return "_" + self.value.lower()


@dataclass(frozen=True, slots=True, order=True)
class Port:
    """An exposed port: a Service port, or the Gateway listener a route is attached to."""

    port: int
    protocol: Protocol
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    """One status address: an IP or a hostname (as an AWS load balancer reports)."""

    ip: IPAddress | None = None
    hostname: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceObject:
    ref: ObjectRef
    annotations: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    ports: tuple[Port, ...]
    addresses: tuple[Address, ...]
    # Where the addresses come from: non-empty spec.externalIPs replace the status (as in
    # ExternalDNS; docs/annotations.md "Addresses").
    address_field: str = "status.loadBalancer.ingress"


@dataclass(frozen=True, slots=True)
class BackendServiceObject:
    """A Service that is not a LoadBalancer but carries our annotations: an ingress
    controller (ingress-nginx's TCP/UDP ConfigMaps) may expose it on its own addresses."""

    ref: ObjectRef
    annotations: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    ports: tuple[Port, ...]


@dataclass(frozen=True, slots=True, order=True)
class StreamEntry:
    """One valid ingress-nginx TCP/UDP services entry: ``"<port>": "<ns>/<svc>:<port>..."``."""

    key: str  # the ConfigMap key as written
    port: int  # the port the controller exposes
    namespace: str
    service: str
    backend_port: str  # the backend Service port, by number or name, as written
    proxy_decode: bool = False
    proxy_encode: bool = False


@dataclass(frozen=True, slots=True, order=True)
class StreamEntryProblem:
    """An entry the controller would skip (or read differently than it looks): why."""

    key: str
    message: str
    skipped: bool = True


@dataclass(frozen=True, slots=True)
class StreamServicesObject:
    """A ConfigMap read as ingress-nginx's ``--tcp-services-configmap`` or
    ``--udp-services-configmap`` (which of the two is the settings' business)."""

    ref: ObjectRef  # kind: configmap
    entries: tuple[StreamEntry, ...]
    problems: tuple[StreamEntryProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A Kubernetes label selector (matchLabels and matchExpressions)."""

    match_labels: tuple[tuple[str, str], ...] = ()
    # (key, operator, values): In, NotIn, Exists, DoesNotExist
    match_expressions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        if any(labels.get(k) != v for k, v in self.match_labels):
            return False
        for key, operator, values in self.match_expressions:
            present = key in labels
            if operator == "In" and not (present and labels[key] in values):
                return False
            if operator == "NotIn" and present and labels[key] in values:
                return False
            if operator == "Exists" and not present:
                return False
            if operator == "DoesNotExist" and present:
                return False
        return True


class NamespacesFrom(enum.Enum):
    SAME = "Same"
    ALL = "All"
    SELECTOR = "Selector"
    NONE = "None"  # only in a Gateway's allowedListeners, where it is the default


@dataclass(frozen=True, slots=True)
class Listener:
    name: str
    port: int
    protocol: str  # Gateway API protocol: HTTP, HTTPS, TLS, TCP, UDP or an implementation's
    hostname: str | None = None
    namespaces_from: NamespacesFrom = NamespacesFrom.SAME
    namespace_selector: LabelSelector | None = None
    allowed_kinds: tuple[str, ...] = ()  # empty: the protocol's default kinds


@dataclass(frozen=True, slots=True)
class AllowedListeners:
    """A Gateway's ``spec.allowedListeners``: which namespaces' ListenerSets it admits."""

    namespaces_from: NamespacesFrom = NamespacesFrom.NONE
    selector: LabelSelector | None = None


@dataclass(frozen=True, slots=True)
class GatewayObject:
    ref: ObjectRef
    annotations: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    listeners: tuple[Listener, ...]
    addresses: tuple[Address, ...]
    allowed_listeners: AllowedListeners = AllowedListeners()


@dataclass(frozen=True, slots=True)
class ParentRef:
    name: str
    namespace: str
    section_name: str | None = None
    port: int | None = None
    group: str = "gateway.networking.k8s.io"
    kind: str = "Gateway"


@dataclass(frozen=True, slots=True)
class RouteObject:
    ref: ObjectRef  # kind: httproute, tlsroute, tcproute, udproute
    annotations: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    hostnames: tuple[str, ...]
    parent_refs: tuple[ParentRef, ...]
    # Parents whose status has an Accepted=True condition.
    accepted_parents: tuple[ParentRef, ...]


@dataclass(frozen=True, slots=True)
class ListenerStatus:
    """The conditions of one listener, as its controller reported them."""

    name: str
    accepted: bool
    conflicted: bool


@dataclass(frozen=True, slots=True)
class ListenerSetObject:
    """A Gateway API ListenerSet: listeners added to ``parent``, on its addresses."""

    ref: ObjectRef  # kind: listenerset
    annotations: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    parent: ParentRef
    listeners: tuple[Listener, ...]
    accepted: bool  # status.conditions Accepted=True
    listener_status: tuple[ListenerStatus, ...] = ()

    def status_of(self, listener: str) -> ListenerStatus | None:
        return next((s for s in self.listener_status if s.name == listener), None)


@dataclass(frozen=True, slots=True)
class IngressHost:
    """A host an Ingress names in ``spec.rules`` or ``spec.tls`` (``field`` says where)."""

    name: str
    field: str
    from_tls: bool = False


@dataclass(frozen=True, slots=True)
class IngressObject:
    """A ``networking.k8s.io/v1`` Ingress (docs/sources/ingress.md): L7, so it has no
    ports and publishes address records only, never SRV."""

    ref: ObjectRef
    annotations: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    hosts: tuple[IngressHost, ...]
    # spec.ingressClassName, else the legacy kubernetes.io/ingress.class annotation.
    ingress_class: str | None
    addresses: tuple[Address, ...]


@dataclass(frozen=True, slots=True)
class NamespaceObject:
    name: str
    labels: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class SniHost:
    """One host of a ``HostSNI(...)`` matcher, and where it was written."""

    host: str
    field: str  # spec.routes[i].match


@dataclass(frozen=True, slots=True)
class TraefikRouteObject:
    """A Traefik IngressRouteTCP or IngressRouteUDP (docs/sources/traefik.md)."""

    ref: ObjectRef  # kind: ingressroutetcp, ingressrouteudp
    group: str  # traefik.io, or the legacy traefik.containo.us
    annotations: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    entry_points: tuple[str, ...]
    # HostSNI hosts other than ``*`` (IngressRouteTCP only).
    sni_hosts: tuple[SniHost, ...] = ()
    # Rules that could not be read: (field, problem). Their names are unknown.
    rule_problems: tuple[tuple[str, str], ...] = ()
    tls: bool = False  # spec.tls is set (HostSNI names a host only on TLS connections)


SourceObject = Union[
    ServiceObject,
    GatewayObject,
    RouteObject,
    NamespaceObject,
    BackendServiceObject,
    StreamServicesObject,
    TraefikRouteObject,
    ListenerSetObject,
    IngressObject,
]

ROUTE_KINDS = ("httproute", "tlsroute", "tcproute", "udproute")
TRAEFIK_KINDS = ("ingressroutetcp", "ingressrouteudp")
