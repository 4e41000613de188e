"""Projected source objects for rule and desired-state tests, in one line each."""

from __future__ import annotations

import ipaddress

from dnssync.model.refs import ObjectRef
from dnssync.sources.objects import (
    Address,
    GatewayObject,
    LabelSelector,
    Listener,
    NamespaceObject,
    NamespacesFrom,
    ParentRef,
    Port,
    Protocol,
    RouteObject,
    ServiceObject,
)

HOSTNAME = "dnssync.io/hostname"
SRV_DOMAIN = "dnssync.io/srv-domain"
HTTP = Listener("http", 80, "HTTP")
KERBEROS = Port(88, Protocol.TCP, "kerberos")
PROD = LabelSelector(match_labels=(("env", "prod"),))
FROM_PROD = Listener(
    "http", 80, "HTTP", namespaces_from=NamespacesFrom.SELECTOR, namespace_selector=PROD
)


def addresses(*values: str) -> tuple[Address, ...]:
    found = []
    for value in values:
        try:
            found.append(Address(ip=ipaddress.ip_address(value)))
        except ValueError:
            found.append(Address(hostname=value))
    return tuple(found)


def service(
    name: str,
    hostname: str | None,
    *ips: str,
    namespace: str = "apps",
    srv_domain: str | None = None,
    port: Port = KERBEROS,
    annotations: dict[str, str] | None = None,
) -> ServiceObject:
    notes = dict(annotations or {})
    if hostname is not None:
        notes[HOSTNAME] = hostname
    if srv_domain is not None:
        notes[SRV_DOMAIN] = srv_domain
    return ServiceObject(
        ObjectRef("service", namespace, name),
        tuple(sorted(notes.items())),
        (),
        (port,),
        addresses(*ips),
    )


def gateway(
    name: str,
    namespace: str = "infra",
    *ips: str,
    listeners: tuple[Listener, ...] = (
        Listener("http", 80, "HTTP", namespaces_from=NamespacesFrom.ALL),
    ),
) -> GatewayObject:
    return GatewayObject(
        ObjectRef("gateway", namespace, name),
        (),
        (),
        listeners,
        addresses(*(ips or ("203.0.113.1",))),
    )


def httproute(
    name: str, hostname: str, *parents: tuple[str, str], namespace: str = "apps"
) -> RouteObject:
    """An HTTPRoute for ``hostname``, accepted by each (namespace, name) parent Gateway."""
    refs = tuple(ParentRef(gw, ns) for ns, gw in parents)
    return RouteObject(ObjectRef("httproute", namespace, name), (), (), (hostname,), refs, refs)


def namespace(name: str, **labels: str) -> NamespaceObject:
    return NamespaceObject(name, tuple(sorted(labels.items())))
