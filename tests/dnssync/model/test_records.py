"""Record data and RRsets: typed, canonical, immutable."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from dnssync.errors import InvalidRecordError
from dnssync.model.changes import Action, Change, ChangeGroup, Plan, ZonePlan
from dnssync.model.names import DomainName
from dnssync.model.records import (
    Alias,
    CanonicalName,
    IPv4,
    IPv6,
    RecordType,
    RRset,
    Service,
    Text,
    parse_rdata,
)
from dnssync.testing.builders import rrset

ZONE = DomainName.parse("example.com")


@pytest.mark.parametrize(
    ("rtype", "raw", "text"),
    [
        ("A", " 203.0.113.10 ", "203.0.113.10"),
        ("AAAA", "2001:0DB8:0000:0000::0001", "2001:db8::1"),
        ("CNAME", "LB-1.ELB.Amazonaws.com", "lb-1.elb.amazonaws.com."),
        ("SRV", "0 100 88 KDC-tcp.example.com", "0 100 88 kdc-tcp.example.com."),
        ("TXT", "plain", '"plain"'),
        ("TXT", '"heritage=external-dns,a=b"', '"heritage=external-dns,a=b"'),
        ("TXT", '"ab" "cd"', '"ab" "cd"'),
        ("TXT", '"caf\\195\\169" "\\000"', '"caf\\195\\169" "\\000"'),
        ("TXT", '"a\\"b\\\\c"', '"a\\"b\\\\c"'),
        ("NS", "NS1.Example.NET", "ns1.example.net."),
        ("DNAME", "target.example.net.", "target.example.net."),
        ("TXT", '"say \\"hi\\""', '"say \\"hi\\""'),
    ],
)
def test_parse_and_render(rtype: str, raw: str, text: str) -> None:
    value = parse_rdata(RecordType.parse(rtype), raw)
    assert value.to_text() == text
    assert parse_rdata(RecordType.parse(rtype), value.to_text()) == value


@pytest.mark.parametrize(
    ("rtype", "raw"),
    [
        ("A", "2001:db8::1"),
        ("A", "256.1.1.1"),
        ("AAAA", "203.0.113.1"),
        ("SRV", "0 100 88"),
        ("SRV", "0 x 88 a.example.com"),
        ("SRV", "0 100 70000 a.example.com"),
        ("SRV", "-1 100 88 a.example.com"),
        ("TXT", '"unterminated'),
        ("TXT", '"a" b'),
        ("TXT", '"\\256"'),
        ("TXT", '"' + "x" * 256 + '"'),
    ],
)
def test_parse_refuses(rtype: str, raw: str) -> None:
    with pytest.raises(InvalidRecordError):
        parse_rdata(RecordType.parse(rtype), raw)


def test_unknown_type() -> None:
    with pytest.raises(InvalidRecordError, match="MX"):
        RecordType.parse("MX")
    assert RecordType.parse("srv") is RecordType.SRV
    assert RecordType.SRV.lower() == "srv"


def test_long_txt_is_chunked_in_255_octets() -> None:
    value = Text.of("x" * 600)
    assert [len(c) for c in value.strings] == [255, 255, 90]
    assert Text.parse(value.to_text()) == value
    assert value.joined == "x" * 600


def test_txt_is_exact() -> None:
    # The split is part of the data: "a" "b" is not "ab" (foreign data is kept as it is).
    assert Text((b"a", b"b")) != Text((b"ab",))
    assert Text((b"a", b"b")).joined == "ab"
    assert Text.of("naïve").strings == ("naïve".encode(),)
    assert Text.of("naïve").joined == "naïve"
    assert Text((b"\xff",)).to_text() == '"\\255"'
    assert Text((b"\xff",)).to_text(escape_base=8) == '"\\377"'
    # Octets that are not UTF-8 never read as text that could match ours.
    assert Text((b"owner=\xff",)).joined != "owner=\xff"
    assert Text.of("") == Text((b"",))


@pytest.mark.parametrize(
    "strings",
    [(), (b"x" * 256,), ("text",), [b"a"]],
)
def test_txt_refuses(strings: object) -> None:
    with pytest.raises(InvalidRecordError):
        Text(strings)  # type: ignore[arg-type]


def test_rrset_values_are_sorted_and_deduplicated() -> None:
    one = rrset("app.example.com", "A", "192.0.2.2", "192.0.2.1", "192.0.2.2")
    two = rrset("APP.example.com.", "A", "192.0.2.1", "192.0.2.2")
    assert one == two
    assert one.value_texts() == ["192.0.2.1", "192.0.2.2"]
    assert str(one) == "app.example.com. 300 A 192.0.2.1, 192.0.2.2"


@pytest.mark.parametrize(
    "build",
    [
        lambda: RRset.of(ZONE, RecordType.A, 300, []),
        lambda: RRset.of(ZONE, RecordType.A, -1, [IPv4.parse("192.0.2.1")]),
        lambda: RRset.of(ZONE, RecordType.A, 2**31, [IPv4.parse("192.0.2.1")]),
        lambda: RRset.of(ZONE, RecordType.AAAA, 300, [IPv4.parse("192.0.2.1")]),
        lambda: RRset.of(
            ZONE,
            RecordType.CNAME,
            300,
            [CanonicalName.parse("a.example.net"), CanonicalName.parse("b.example.net")],
        ),
        lambda: RRset.of(ZONE, RecordType.CNAME, 300, [Alias(DomainName.parse("lb.example.net"))]),
        lambda: Service(0, 100, 65536, ZONE),
    ],
)
def test_invalid_rrsets(build: object) -> None:
    assert callable(build)
    with pytest.raises(InvalidRecordError):
        build()


def test_rrsets_are_immutable() -> None:
    record = rrset("app.example.com", "A", "192.0.2.1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.ttl = 60  # type: ignore[misc]
    assert record.with_ttl(60).ttl == 60
    assert record.ttl == 300
    assert record.same_data(rrset("app.example.com", "A", "192.0.2.1"))
    assert not record.same_data(record.with_ttl(60))


def test_alias_equality_ignores_provider_details() -> None:
    target = DomainName.parse("lb-1.elb.amazonaws.com")
    one = RRset.of(ZONE, RecordType.A, 300, [Alias(target)])
    two = RRset.of(ZONE, RecordType.A, 300, [Alias(target, "Z35SXDOTRQ7X7K", True)])
    assert one == two
    assert one.is_alias
    assert one.value_texts() == ["ALIAS lb-1.elb.amazonaws.com."]


def test_changes_and_plan_summary() -> None:
    old = rrset("app.example.com", "A", "192.0.2.1")
    new = rrset("app.example.com", "A", "192.0.2.2")
    create = Change(Action.CREATE, ZONE, new, None)
    update = Change(Action.UPDATE, ZONE, new, old)
    delete = Change(Action.DELETE, ZONE, None, old)
    with pytest.raises(ValueError):
        Change(Action.CREATE, ZONE, None, old)
    with pytest.raises(ValueError):
        Change(Action.UPDATE, ZONE, new, rrset("other.example.com", "A", "192.0.2.1"))
    plan = Plan((ZonePlan(ZONE, (ChangeGroup((create,)), ChangeGroup((update, delete)))),))
    assert plan.has_changes
    assert plan.summary() == {"create": 1, "update": 1, "delete": 1}
    assert Plan((ZonePlan(ZONE, ()),)).summary() == {"create": 0, "update": 0, "delete": 0}
    assert not Plan((ZonePlan(ZONE, ()),)).has_changes


@pytest.mark.parametrize("raw", ["fe80::1%eth0", "fe80::1%1", "2001:db8::1%x"])
def test_ipv6_with_a_zone_id_is_never_record_data(raw: str) -> None:
    # Issue 13: it passed plan and crashed apply in the provider.
    with pytest.raises(InvalidRecordError):
        IPv6.parse(raw)
    with pytest.raises(InvalidRecordError, match="zone id"):
        IPv6(ipaddress.IPv6Address(raw))
