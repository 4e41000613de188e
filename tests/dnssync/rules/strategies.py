"""Hypothesis strategies for projected source objects and for event sequences over them.

Small pools of names, addresses and ports, so that objects collide: replicas, CNAME and
protocol-split conflicts, SRV records whose target is refused, routes on Gateways with
label-selected namespaces, routes under ListenerSets that their Gateway may or may not
admit, bad annotations. Every object has one of a fixed set of keys,
so a sequence of events keeps adding, changing and deleting the same few objects.
"""

from __future__ import annotations

import ipaddress

from hypothesis import strategies as st

from dnssync.model.refs import ObjectRef
from dnssync.rules.evaluate import ObjectKey
from dnssync.rules.settings import RuleSettings
from dnssync.sources.filters import ObjectFilter
from dnssync.sources.objects import (
    Address,
    AllowedListeners,
    GatewayObject,
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
    SourceObject,
)

SERVICES: tuple[ObjectKey, ...] = (
    ("service", "apps", "s1"),
    ("service", "apps", "s2"),
    ("service", "infra", "s3"),
)
GATEWAYS: tuple[ObjectKey, ...] = (("gateway", "infra", "gw1"), ("gateway", "apps", "gw2"))
ROUTES: tuple[ObjectKey, ...] = (
    ("httproute", "apps", "r1"),
    ("tcproute", "apps", "r2"),
    ("udproute", "infra", "r3"),
    ("tlsroute", "apps", "r4"),
)
NAMESPACES: tuple[ObjectKey, ...] = (("namespace", "", "apps"), ("namespace", "", "infra"))
LISTENERSETS: tuple[ObjectKey, ...] = (
    ("listenerset", "apps", "ls1"),
    ("listenerset", "infra", "ls2"),
)
KEYS = SERVICES + GATEWAYS + ROUTES + NAMESPACES + LISTENERSETS

PROD = LabelSelector(match_labels=(("env", "prod"),))

names = st.sampled_from(
    [
        *("a.example.com", "a.example.com", "b.example.com", "a.example.com,b.example.com"),
        *("*.w.example.com", "x..y"),
    ]
)
ips = st.sampled_from(["192.0.2.1", "192.0.2.2", "2001:db8::1"]).map(
    lambda text: Address(ip=ipaddress.ip_address(text))
)
lb_hostnames = st.sampled_from(["lb1.example.net", "lb2.example.net"]).map(
    lambda text: Address(hostname=text)
)
# Mostly one IP; sometimes none, two, or an LB hostname (a CNAME).
addresses = st.lists(st.one_of(ips, ips, ips, lb_hostnames), max_size=2).map(tuple)


def _optional(
    key: str, values: list[str], out_of: int
) -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
    """The annotation with one of ``values`` in about len(values)/out_of of the draws."""
    choices: list[str | None] = [*values, *([None] * (out_of - len(values)))]
    return st.sampled_from(choices).map(lambda v: () if v is None else ((key, v),))


@st.composite
def annotations(draw: st.DrawFn, srv: bool = True) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    hostname = draw(st.one_of(st.none(), names, names, names))
    if hostname is not None:
        key = draw(
            st.sampled_from(["dnssync.io/hostname", "external-dns.alpha.kubernetes.io/hostname"])
        )
        found.append((key, hostname))
    found += draw(_optional("dnssync.io/ttl", ["60", "300", "soon"], 20))
    found += draw(_optional("dnssync.io/target", ["192.0.2.9", "lb3.example.net", "bad!"], 30))
    found += draw(_optional("dnssync.io/controller", ["dnssync", "other"], 20))
    if srv:
        found += draw(
            _optional("dnssync.io/srv-domain", ["example.com", "a.example.com", "s.example.com"], 6)
        )
        found += draw(_optional("dnssync.io/srv-service", ["kerberos", "http=web", "=bad"], 20))
        found += draw(_optional("dnssync.io/srv-priority", ["10", "70000"], 20))
    return tuple(found)


ports = st.lists(
    st.builds(
        Port,
        st.sampled_from([80, 88]),
        st.sampled_from([Protocol.TCP, Protocol.UDP]),
        st.sampled_from([None, "http", "kerberos"]),
    ),
    max_size=2,
    unique_by=lambda p: (p.port, p.protocol),
).map(tuple)


def service(key: ObjectKey) -> st.SearchStrategy[SourceObject]:
    labels = st.sampled_from([(), (("team", "blue"),)])
    return st.builds(
        ServiceObject, st.just(ObjectRef(*key)), annotations(), labels, ports, addresses
    )


listeners = st.lists(
    st.builds(
        Listener,
        st.sampled_from(["l1", "l2"]),
        st.sampled_from([80, 88]),
        st.sampled_from(["HTTP", "HTTPS", "TCP", "UDP", "TLS"]),
        st.sampled_from([None, None, "a.example.com", "*.example.com"]),
        st.sampled_from(list(NamespacesFrom)),
        st.sampled_from([None, PROD, PROD]),
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda ln: ln.name,
).map(tuple)


allowed_listeners = st.sampled_from(
    [
        AllowedListeners(),
        AllowedListeners(NamespacesFrom.SAME),
        AllowedListeners(NamespacesFrom.ALL),
        AllowedListeners(NamespacesFrom.SELECTOR, PROD),
    ]
)


def gateway(key: ObjectKey) -> st.SearchStrategy[SourceObject]:
    return st.builds(
        GatewayObject,
        st.just(ObjectRef(*key)),
        annotations(srv=False),
        st.just(()),
        listeners,
        addresses,
        allowed_listeners,
    )


@st.composite
def listener_set(draw: st.DrawFn, key: ObjectKey) -> SourceObject:
    found = draw(listeners)
    status = tuple(
        ListenerStatus(
            ln.name, *draw(st.sampled_from([(True, False), (True, False), (False, True)]))
        )
        for ln in found
        if draw(st.sampled_from([True, True, True, False]))
    )
    parent = draw(
        st.sampled_from(
            [ParentRef("gw1", "infra"), ParentRef("gw2", "apps"), ParentRef("gw9", "apps")]
        )
    )
    return ListenerSetObject(
        ObjectRef(*key),
        draw(annotations(srv=False)),
        (),
        parent,
        found,
        draw(st.sampled_from([True, True, True, False])),
        status,
    )


parents = st.sampled_from(
    [
        ParentRef("gw1", "infra"),
        ParentRef("gw2", "apps"),
        ParentRef("gw1", "infra", section_name="l1"),
        ParentRef("gw2", "apps", port=88),
        ParentRef("gw9", "apps"),
        ParentRef("ls1", "apps", kind="ListenerSet"),
        ParentRef("ls2", "infra", section_name="l1", kind="ListenerSet"),
        ParentRef("ls9", "apps", kind="ListenerSet"),
    ]
)


@st.composite
def route(draw: st.DrawFn, key: ObjectKey) -> SourceObject:
    parent_refs = tuple(draw(st.lists(parents, min_size=1, max_size=2, unique=True)))
    accepted = tuple(p for p in parent_refs if draw(st.sampled_from([True, True, True, False])))
    hostnames = tuple(
        draw(
            st.lists(
                st.sampled_from(["a.example.com", "c.example.com", "*.example.com"]), max_size=2
            )
        )
    )
    return RouteObject(ObjectRef(*key), draw(annotations()), (), hostnames, parent_refs, accepted)


def namespace(key: ObjectKey) -> st.SearchStrategy[SourceObject]:
    return st.builds(NamespaceObject, st.just(key[2]), st.sampled_from([(), (("env", "prod"),)]))


def object_for(key: ObjectKey) -> st.SearchStrategy[SourceObject]:
    if key in SERVICES:
        return service(key)
    if key in GATEWAYS:
        return gateway(key)
    if key in ROUTES:
        return route(key)
    if key in LISTENERSETS:
        return listener_set(key)
    return namespace(key)


@st.composite
def event(draw: st.DrawFn) -> tuple[ObjectKey, SourceObject | None]:
    """One add/update (an object) or delete (None) of one of the keys."""
    key = draw(st.sampled_from(KEYS))
    obj = draw(st.one_of(st.none(), object_for(key)))
    return key, obj


@st.composite
def populate(draw: st.DrawFn) -> list[tuple[ObjectKey, SourceObject | None]]:
    """Most of the keys at once (the first list, or a relist)."""
    return [(key, draw(object_for(key))) for key in KEYS if draw(st.integers(0, 4))]


# A first batch that creates most objects, then small batches of events.
batches = st.tuples(
    populate(), st.lists(st.lists(event(), min_size=1, max_size=3), min_size=1, max_size=12)
).map(lambda found: [found[0], *found[1]])

rule_settings = st.sampled_from(
    [
        RuleSettings(),
        RuleSettings(default_ttl=42),
        RuleSettings(object_filter=ObjectFilter(namespaces=("apps",))),
        RuleSettings(object_filter=ObjectFilter(label_selector=LabelSelector((("team", "blue"),)))),
    ]
)
