"""Merging claims of several objects (docs/rules.md, "When objects share a name")."""

from __future__ import annotations

import ipaddress

from dnssync.model.names import DomainName
from dnssync.model.records import Service
from dnssync.model.refs import ObjectRef
from dnssync.rules.claims import AddressClaim, SrvClaim
from dnssync.rules.merge import merge
from dnssync.sources.objects import Protocol
from dnssync.testing.scenarios import desired_lines, problems

N = DomainName.parse
TCP88 = frozenset({(88, Protocol.TCP)})
UDP88 = frozenset({(88, Protocol.UDP)})
BOTH = TCP88 | UDP88
FIELD = "metadata.annotations[dnssync.io/hostname]"


def ref(name: str) -> ObjectRef:
    return ObjectRef("Service", "krb", name)


def ips(
    name: str,
    who: str,
    *addresses: str,
    ports: frozenset[tuple[int, Protocol]] = TCP88,
    ttl: int = 300,
) -> AddressClaim:
    parsed = [ipaddress.ip_address(a) for a in addresses]
    return AddressClaim(
        N(name),
        ref(who),
        FIELD,
        ttl,
        frozenset(a for a in parsed if isinstance(a, ipaddress.IPv4Address)),
        frozenset(a for a in parsed if isinstance(a, ipaddress.IPv6Address)),
        None,
        ports,
    )


def cname(
    name: str, who: str, target: str, ports: frozenset[tuple[int, Protocol]] = TCP88
) -> AddressClaim:
    return AddressClaim(N(name), ref(who), FIELD, 300, frozenset(), frozenset(), N(target), ports)


def srv(
    name: str, who: str, target: str, via: str | None, port: int = 88, ttl: int = 300
) -> SrvClaim:
    return SrvClaim(
        N(name),
        ref(who),
        "metadata.annotations[dnssync.io/srv-domain]",
        ttl,
        Service(0, 100, port, N(target)),
        N(via) if via else None,
    )


def test_replicas_with_the_same_ports_are_merged() -> None:
    result = merge(
        [
            ips("kdc.example.com", "a", "192.0.2.1", ports=UDP88),
            ips("kdc.example.com", "b", "192.0.2.2", "2001:db8::2", ports=UDP88, ttl=60),
        ],
        [],
    )
    assert desired_lines(result) == [
        "kdc.example.com. 60 A 192.0.2.1, 192.0.2.2",
        "kdc.example.com. 60 AAAA 2001:db8::2",
    ]
    assert not result.diagnostics
    assert not result.refused


def test_different_ports_on_the_same_address_are_one_lb() -> None:
    result = merge(
        [
            ips("kdc.example.com", "tcp", "192.0.2.1", ports=TCP88),
            ips("kdc.example.com", "udp", "192.0.2.1", ports=UDP88),
        ],
        [],
    )
    assert desired_lines(result) == ["kdc.example.com. 300 A 192.0.2.1"]
    assert not result.diagnostics


def test_protocol_split_done_wrong_is_refused_with_a_warning_to_each_object() -> None:
    result = merge(
        [
            ips("kdc.example.com", "tcp", "192.0.2.1", ports=TCP88),
            ips("kdc.example.com", "udp", "192.0.2.2", ports=UDP88),
            ips("other.example.com", "other", "192.0.2.9"),
        ],
        [],
    )
    assert desired_lines(result) == ["other.example.com. 300 A 192.0.2.9"]
    assert result.refused == {N("kdc.example.com")}
    assert problems(result.diagnostics) == [
        ("service/krb/tcp", FIELD, "ProtocolSplitConflict"),
        ("service/krb/udp", FIELD, "ProtocolSplitConflict"),
    ]
    message = result.diagnostics[0].message
    assert "dnssync.io/hostname" in message and "dnssync.io/srv-domain" in message


def test_a_third_object_breaking_replicas_refuses_the_name() -> None:
    result = merge(
        [
            ips("kdc.example.com", "a", "192.0.2.1", ports=UDP88),
            ips("kdc.example.com", "b", "192.0.2.2", ports=UDP88),
            ips("kdc.example.com", "c", "192.0.2.3", ports=BOTH),
        ],
        [],
    )
    assert desired_lines(result) == []
    assert [d.subject for d in result.diagnostics] == [
        "service/krb/a",
        "service/krb/b",
        "service/krb/c",
    ]


def test_cname_never_shares_a_name() -> None:
    result = merge(
        [
            cname("app.example.com", "lb", "lb.elb.amazonaws.com"),
            ips("app.example.com", "ip", "192.0.2.1"),
        ],
        [],
    )
    assert desired_lines(result) == []
    assert problems(result.diagnostics) == [
        ("service/krb/ip", FIELD, "CnameConflict"),
        ("service/krb/lb", FIELD, "CnameConflict"),
    ]


def test_same_cname_from_two_objects() -> None:
    result = merge(
        [
            cname("app.example.com", "a", "lb.elb.amazonaws.com", ports=TCP88),
            cname("app.example.com", "b", "lb.elb.amazonaws.com", ports=UDP88),
        ],
        [],
    )
    assert desired_lines(result) == ["app.example.com. 300 CNAME lb.elb.amazonaws.com."]
    (record,) = result.records.values()
    assert [str(c.ref) for c in record.contributors] == ["service/krb/a", "service/krb/b"]


def test_cname_and_srv_at_one_name() -> None:
    result = merge(
        [cname("_x._tcp.example.com", "lb", "lb.elb.amazonaws.com")],
        [srv("_x._tcp.example.com", "s", "lb2.elb.amazonaws.com", None)],
    )
    assert desired_lines(result) == []
    assert {d.reason for d in result.diagnostics} == {"CnameConflict"}
    assert {d.subject for d in result.diagnostics} == {"service/krb/lb", "service/krb/s"}


def test_srv_union_and_smallest_ttl() -> None:
    result = merge(
        [],
        [
            srv("_kerberos._udp.example.com", "a", "kdc1.example.com", "kdc1.example.com", ttl=600),
            srv("_kerberos._udp.example.com", "b", "kdc2.example.com", "kdc2.example.com", ttl=60),
            srv("_kerberos._udp.example.com", "c", "kdc2.example.com", "kdc2.example.com"),
        ],
    )
    assert desired_lines(result) == [
        "_kerberos._udp.example.com. 60 SRV 0 100 88 kdc1.example.com., 0 100 88 kdc2.example.com."
    ]


def test_srv_pointing_at_a_refused_name_is_not_written() -> None:
    result = merge(
        [
            ips("kdc.example.com", "tcp", "192.0.2.1", ports=TCP88),
            ips("kdc.example.com", "udp", "192.0.2.2", ports=UDP88),
            ips("kdc2.example.com", "ok", "192.0.2.3", ports=UDP88),
        ],
        [
            srv("_kerberos._tcp.example.com", "tcp", "kdc.example.com", "kdc.example.com"),
            srv("_kerberos._udp.example.com", "udp", "kdc.example.com", "kdc.example.com"),
            srv("_kerberos._udp.example.com", "ok", "kdc2.example.com", "kdc2.example.com"),
            srv("_kerberos._udp.example.com", "lb", "lb.elb.amazonaws.com", None),
        ],
    )
    assert desired_lines(result) == [
        "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc2.example.com., "
        "0 100 88 lb.elb.amazonaws.com.",
        "kdc2.example.com. 300 A 192.0.2.3",
    ]
    assert [(d.subject, d.reason) for d in result.diagnostics if d.reason.startswith("Srv")] == [
        ("service/krb/tcp", "SrvTargetConflict"),
        ("service/krb/udp", "SrvTargetConflict"),
    ]
