"""RRsets to ExternalDNS endpoints and back, without loss."""

from __future__ import annotations

import json

import pytest
from dnssync_webhook.endpoints import (
    Endpoint,
    EndpointError,
    parse_endpoints,
    parse_txt_target,
    to_endpoint,
    to_rrset,
)
from hypothesis import given
from hypothesis import strategies as st

from dnssync.errors import InvalidRecordError
from dnssync.model.names import DomainName
from dnssync.model.records import Alias, RecordType, RRset, Text
from dnssync.testing.builders import ownership_txt, rrset


def round_trip(record: RRset, kept: Endpoint | None = None) -> RRset | None:
    wire = json.loads(to_endpoint(record, kept).encoded())
    return to_rrset(Endpoint.from_json(wire))


@pytest.mark.parametrize(
    "record",
    [
        rrset("a.example.test", "A", "192.0.2.1", "192.0.2.2", ttl=60),
        rrset("v6.example.test", "AAAA", "2001:db8::1"),
        rrset("www.example.test", "CNAME", "lb-1.elb.example.net."),
        rrset("_kerberos._udp.example.test", "SRV", "0 100 88 kdc.example.test.", "10 5 750 b.x."),
        rrset("t.example.test", "TXT", '"v=spf1 include:x ~all"', '"a \\"quoted\\" value"'),
        rrset("long.example.test", "TXT", "k=" + "x" * 600),
        ownership_txt("kdc.example.test", "A", "service/krb/kdc"),
        rrset("zero.example.test", "A", "192.0.2.9", ttl=0),
    ],
    ids=lambda r: f"{r.rtype.value}-{r.name.text}",
)
def test_each_type_round_trips(record: RRset) -> None:
    assert round_trip(record) == record


def test_wire_form_is_what_externaldns_sends() -> None:
    txt = ownership_txt("kdc.example.test", "A", "service/krb/kdc", owner_id="c1")
    assert to_endpoint(txt).to_json() == {
        "dnsName": "a-kdc.example.test",
        "targets": [
            '"heritage=external-dns,external-dns/owner=c1,external-dns/resource=service/krb/kdc"'
        ],
        "recordType": "TXT",
        "recordTTL": 300,
    }
    srv = rrset("_kerberos._udp.example.test", "SRV", "0 50 88 kdc.example.test.")
    assert to_endpoint(srv).targets == ("0 50 88 kdc.example.test.",)
    cname = rrset("www.example.test", "CNAME", "lb.example.net.")
    assert to_endpoint(cname).targets == ("lb.example.net",)


def test_ttl_zero_is_left_out_and_read_as_zero() -> None:
    record = rrset("a.example.test", "A", "192.0.2.1", ttl=0)
    assert "recordTTL" not in to_endpoint(record).to_json()
    read = to_rrset(
        Endpoint.from_json(
            {"dnsName": "a.example.test", "recordType": "A", "targets": ["192.0.2.1"]}
        )
    )
    assert read is not None and read.ttl == 0


def test_extras_of_a_kept_endpoint_survive_an_update() -> None:
    kept = Endpoint.from_json(
        {
            "dnsName": "a.example.test",
            "recordType": "A",
            "targets": ["192.0.2.1"],
            "setIdentifier": "eu",
            "labels": {"owner": "c1", "resource": "service/a/b"},
            "providerSpecific": [{"name": "webhook/proxied", "value": "true"}],
        }
    )
    new = rrset("a.example.test", "A", "192.0.2.2")
    sent = to_endpoint(new, kept).to_json()
    assert sent["setIdentifier"] == "eu"
    assert sent["labels"] == {"owner": "c1", "resource": "service/a/b"}
    assert sent["providerSpecific"] == [{"name": "webhook/proxied", "value": "true"}]
    assert sent["targets"] == ["192.0.2.2"]


def test_keys_are_read_case_insensitively_as_go_does() -> None:
    read = Endpoint.from_json(
        {"DNSName": "A.Example.Test.", "RecordType": "a", "Targets": ["192.0.2.1"], "RecordTTL": 5}
    )
    assert to_rrset(read) == rrset("a.example.test", "A", "192.0.2.1", ttl=5)


def test_unmanaged_types_are_skipped_not_errors() -> None:
    mx = Endpoint.from_json(
        {"dnsName": "x.example.test", "recordType": "MX", "targets": ["10 mail.example.test"]}
    )
    assert to_rrset(mx) is None


def test_alias_endpoints_are_read_as_aliases_and_never_written() -> None:
    alias = Endpoint.from_json(
        {
            "dnsName": "example.test",
            "recordType": "A",
            "targets": ["lb-1.elb.amazonaws.com"],
            "providerSpecific": [{"name": "alias", "value": "true"}],
        }
    )
    read = to_rrset(alias)
    assert read is not None and read.is_alias
    with pytest.raises(InvalidRecordError, match="cannot write alias"):
        to_endpoint(
            RRset.of(
                DomainName.parse("example.test"),
                RecordType.A,
                300,
                [Alias(DomainName.parse("lb.example.net"))],
            )
        )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"recordType": "A", "targets": ["192.0.2.1"]}, "without a dnsName"),
        ({"dnsName": "a.example.test", "targets": ["192.0.2.1"]}, "no recordType"),
        (
            {"dnsName": "a.example.test", "recordType": "A", "targets": "192.0.2.1"},
            "list of strings",
        ),
        ({"dnsName": "a.example.test", "recordType": "A", "recordTTL": -1}, "recordTTL"),
        ({"dnsName": "a.example.test", "recordType": "A", "labels": ["x"]}, "labels"),
        ("just text", "JSON object"),
    ],
)
def test_malformed_endpoints_are_named(raw: object, message: str) -> None:
    with pytest.raises(EndpointError, match=message):
        Endpoint.from_json(raw)


@pytest.mark.parametrize(
    ("target", "problem"),
    [("not-an-ip", "not an IPv4"), ("1 2 3", "SRV data")],
)
def test_unreadable_targets_name_the_endpoint(target: str, problem: str) -> None:
    rtype = "A" if problem.startswith("not") else "SRV"
    bad = Endpoint.from_json(
        {"dnsName": "b.example.test", "recordType": rtype, "targets": [target]}
    )
    with pytest.raises(EndpointError, match=rf"b\.example\.test {rtype}.*{problem}"):
        to_rrset(bad)


def test_null_list_is_empty_as_go_encodes_a_nil_slice() -> None:
    assert parse_endpoints(None, "GET /records") == []
    with pytest.raises(EndpointError, match="must be a JSON list"):
        parse_endpoints({"endpoints": []}, "GET /records")


@pytest.mark.parametrize(
    ("target", "text"),
    [
        (
            '"heritage=external-dns,external-dns/owner=x"',
            "heritage=external-dns,external-dns/owner=x",
        ),
        (
            "heritage=external-dns,external-dns/owner=x",
            "heritage=external-dns,external-dns/owner=x",
        ),
        ('a \\"quoted\\" value, with=commas', 'a "quoted" value, with=commas'),  # Go DNS print form
        ("v=spf1 include:x ~all", "v=spf1 include:x ~all"),
    ],
)
def test_txt_targets_quoted_or_not(target: str, text: str) -> None:
    assert parse_txt_target(target) == Text.of(text)


def test_txt_strings_are_kept_exactly() -> None:
    assert parse_txt_target('"part one" "part two"') == Text((b"part one", b"part two"))
    assert parse_txt_target('"caf\\195\\169"') == Text(("café".encode(),))
    # A webhook that joins a record's strings into one: cut again at 255 octets.
    assert parse_txt_target('"' + "y" * 300 + '"') == Text((b"y" * 255, b"y" * 45))
    assert parse_txt_target("z" * 256) == Text((b"z" * 255, b"z"))


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_name = st.lists(_label, min_size=1, max_size=3).map(lambda ls: ".".join([*ls, "example.test"]))
_txt_string = st.binary(min_size=0, max_size=255)


@st.composite
def _rrsets(draw: st.DrawFn) -> RRset:
    name = draw(_name)
    ttl = draw(st.integers(min_value=0, max_value=2147483647))
    kind = draw(st.sampled_from(["A", "AAAA", "CNAME", "SRV", "TXT"]))
    if kind == "A":
        values = draw(st.lists(st.ip_addresses(v=4).map(str), min_size=1, max_size=4))
    elif kind == "AAAA":
        values = draw(st.lists(st.ip_addresses(v=6).map(str), min_size=1, max_size=4))
    elif kind == "CNAME":
        values = [draw(_name) + "."]
    elif kind == "SRV":
        port = st.integers(min_value=0, max_value=65535)
        values = [
            f"{draw(port)} {draw(port)} {draw(port)} {draw(_name)}."
            for _ in range(draw(st.integers(min_value=1, max_value=3)))
        ]
    else:
        texts = draw(
            st.lists(st.lists(_txt_string, min_size=1, max_size=3), min_size=1, max_size=3)
        )
        return RRset.of(
            DomainName.parse(name), RecordType.TXT, ttl, [Text(tuple(t)) for t in texts]
        )
    return rrset(name, kind, *values, ttl=ttl)


@given(_rrsets())
def test_any_rrset_survives_the_wire(record: RRset) -> None:
    assert round_trip(record) == record
