"""The ExternalDNS TXT registry: names and content, exactly."""

from __future__ import annotations

import pytest

from dnssync.errors import ConfigError, OwnershipError
from dnssync.model.names import DomainName
from dnssync.model.records import RecordType
from dnssync.ownership.txt import Ownership, TxtRegistry, parse_ownership

N = DomainName.parse
ZONE = N("example.com")
LONG61 = "k" * 61
LONG62 = "k" * 62


@pytest.mark.parametrize(
    ("prefix", "suffix", "name", "rtype", "txt"),
    [
        ("", "", "app.example.com", "A", "a-app.example.com"),
        ("", "", "app.example.com", "AAAA", "aaaa-app.example.com"),
        ("", "", "app.example.com", "CNAME", "cname-app.example.com"),
        ("", "", "_kerberos._udp.example.com", "SRV", "srv-_kerberos._udp.example.com"),
        ("", "", "a.b.example.com", "A", "a-a.b.example.com"),
        ("_extdns.", "", "app.example.com", "CNAME", "_extdns.cname-app.example.com"),
        ("extdns-", "", "app.example.com", "A", "extdns-a-app.example.com"),
        ("%{record_type}-extdns.", "", "app.example.com", "A", "a-extdns.app.example.com"),
        ("dnssync-%{record_type}.", "", "app.example.com", "SRV", "dnssync-srv.app.example.com"),
        ("dnssync-%{record_type}.", "", "example.com", "A", "dnssync-a.example.com"),
        ("dnssync-%{record_type}.", "", "example.com", "AAAA", "dnssync-aaaa.example.com"),
        ("", "-extdns", "app.example.com", "A", "a-app-extdns.example.com"),
        ("", "-%{record_type}", "app.example.com", "CNAME", "app-cname.example.com"),
        ("", "", LONG61 + ".example.com", "A", "a-" + LONG61 + ".example.com"),
        ("Own-", "", "App.Example.com", "A", "own-a-app.example.com"),
    ],
)
def test_txt_name(prefix: str, suffix: str, name: str, rtype: str, txt: str) -> None:
    registry = TxtRegistry("default", prefix, suffix)
    record, kind = N(name), RecordType.parse(rtype)
    assert registry.txt_name(record, kind, ZONE) == N(txt)
    # And back: the TXT name maps to the record it owns.
    assert (record, kind) in registry.record_keys_for(N(txt))


@pytest.mark.parametrize(
    ("prefix", "suffix", "name", "rtype", "fragments"),
    [
        ("", "", "example.com", "A", ["outside zone example.com.", "--txt-prefix"]),
        ("", "", "example.com", "CNAME", ["cname-example.com.", "dnssync-%{record_type}."]),
        ("apex-", "", "example.com", "A", ["outside zone"]),
        ("", "-x", "example.com", "A", ["outside zone"]),
        ("", "", LONG62 + ".example.com", "A", ["63 octets", "--txt-prefix"]),
        ("", "", "k" * 58 + ".example.com", "CNAME", ["63 octets"]),
        ("", "-owner", LONG61 + ".example.com", "A", ["63 octets"]),
        (
            "",
            "",
            ".".join(["k" * 10, "k" * 60, "k" * 60, "k" * 60, "k" * 45]) + ".example.com",
            "AAAA",
            ["253 octets"],
        ),
    ],
)
def test_txt_name_refused(
    prefix: str, suffix: str, name: str, rtype: str, fragments: list[str]
) -> None:
    registry = TxtRegistry("default", prefix, suffix)
    with pytest.raises(OwnershipError) as caught:
        registry.txt_name(N(name), RecordType.parse(rtype), ZONE)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_62_octet_label_fits_with_a_dotted_prefix() -> None:
    registry = TxtRegistry("default", "dnssync-%{record_type}.")
    name = N(LONG62 + ".example.com")
    assert registry.txt_name(name, RecordType.A, ZONE) == N("dnssync-a." + LONG62 + ".example.com")


def test_content_exactly() -> None:
    registry = TxtRegistry("cluster-1")
    content = registry.content("service/krb/kdc-tcp")
    assert content.joined == (
        "heritage=external-dns,external-dns/owner=cluster-1,"
        "external-dns/resource=service/krb/kdc-tcp"
    )
    assert content.to_text() == (
        '"heritage=external-dns,external-dns/owner=cluster-1,'
        'external-dns/resource=service/krb/kdc-tcp"'
    )
    assert TxtRegistry().content("gateway/infra/gw").joined == (
        "heritage=external-dns,external-dns/owner=default,external-dns/resource=gateway/infra/gw"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "heritage=external-dns,external-dns/owner=default,external-dns/resource=service/a/b",
            Ownership("default", "service/a/b"),
        ),
        (
            '"heritage=external-dns,external-dns/owner=x,external-dns/resource=tcproute/a/b"',
            Ownership("x", "tcproute/a/b"),
        ),
        ("heritage=external-dns,external-dns/owner=x", Ownership("x", None)),
        (
            "external-dns/resource=service/a/b,heritage=external-dns,external-dns/owner=x",
            Ownership("x", "service/a/b"),
        ),
        (
            "heritage=external-dns,external-dns/owner=x,external-dns/ownedRecord=a.example.com",
            Ownership("x", None, (("external-dns/ownedRecord", "a.example.com"),)),
        ),
        ("heritage=other,external-dns/owner=x", None),
        ("external-dns/owner=x,external-dns/resource=service/a/b", None),
        ("heritage=external-dns,external-dns/resource=service/a/b", None),
        ("v=spf1 include:_spf.example.com ~all", None),
        ("", None),
        ("google-site-verification=abc", None),
    ],
)
def test_parse_ownership(text: str, expected: Ownership | None) -> None:
    assert parse_ownership(text) == expected


@pytest.mark.parametrize("owner", ["", "a,b", "a=b", 'a"b', "a b", "a\\b"])
def test_bad_owner_id(owner: str) -> None:
    with pytest.raises(ConfigError, match="--owner-id"):
        TxtRegistry(owner)


def test_prefix_and_suffix_are_exclusive() -> None:
    with pytest.raises(ConfigError, match="--txt-prefix and --txt-suffix"):
        TxtRegistry("default", "p-", "-s")


def test_record_keys_for_ignores_unrelated_names() -> None:
    registry = TxtRegistry()
    assert registry.record_keys_for(N("app.example.com")) == []
    assert registry.record_keys_for(N("a-app.example.com")) == [
        (N("app.example.com"), RecordType.A)
    ]
    suffixed = TxtRegistry("default", "", "-own")
    assert suffixed.record_keys_for(N("a-app.example.com")) == []
    assert suffixed.record_keys_for(N("a-app-own.example.com")) == [
        (N("app.example.com"), RecordType.A)
    ]
