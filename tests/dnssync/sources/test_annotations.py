"""Annotation keys (ours and ExternalDNS's) and their typed parsing."""

from __future__ import annotations

import ipaddress

import pytest

from dnssync.model.names import DomainName
from dnssync.model.refs import ObjectRef
from dnssync.sources.annotations import (
    SrvServiceMapping,
    lookup,
    parse_settings,
    parse_srv_service,
    parse_targets,
    parse_ttl,
    parse_uint16,
)
from dnssync.sources.objects import Address

REF = ObjectRef("service", "krb", "kdc")


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("300", 300),
        (" 60 ", 60),
        ("1", 1),
        ("2147483647", 2147483647),
        ("5m", 300),
        ("1h", 3600),
        ("1h30m", 5400),
        ("90s", 90),
        ("1.5m", 90),
        ("1m30s", 90),
        ("2000ms", 2),
    ],
)
def test_ttl(raw: str, seconds: int) -> None:
    assert parse_ttl(raw) == seconds


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        ("0", "outside"),
        ("0s", "outside"),
        ("2147483648", "outside"),
        ("-5", "neither|outside"),
        ("5 minutes", "neither"),
        ("abc", "neither"),
        ("5d", "neither"),
        ("1m-1s", "neither"),
        ("1500ms", "whole"),
        ("300.5", "neither|whole"),
    ],
)
def test_bad_ttl(raw: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_ttl(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("192.0.2.1", (Address(ip=ipaddress.ip_address("192.0.2.1")),)),
        (
            "192.0.2.1, 2001:db8::1",
            (
                Address(ip=ipaddress.ip_address("192.0.2.1")),
                Address(ip=ipaddress.ip_address("2001:db8::1")),
            ),
        ),
        ("lb.example.net", (Address(hostname="lb.example.net"),)),
        ("lb.example.net.", (Address(hostname="lb.example.net."),)),
    ],
)
def test_targets(raw: str, expected: tuple[Address, ...]) -> None:
    assert parse_targets(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " , ",
        "a.example.net,b.example.net",
        "192.0.2.1,lb.example.net",
        "not a host!",
        "1.2.3.4:80",
    ],
)
def test_bad_targets(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_targets(raw)


@pytest.mark.parametrize(
    ("raw", "mapping", "labels"),
    [
        (
            "kerberos",
            SrvServiceMapping(default="kerberos"),
            {None: "kerberos", "kpasswd": "kpasswd"},
        ),
        ("_Kerberos", SrvServiceMapping(default="kerberos"), {None: "kerberos"}),
        (
            "krb-tcp=kerberos, krb-udp=_kerberos",
            SrvServiceMapping(by_port_name=(("krb-tcp", "kerberos"), ("krb-udp", "kerberos"))),
            {"krb-tcp": "kerberos", "krb-udp": "kerberos", "kpasswd": "kpasswd", None: None},
        ),
    ],
)
def test_srv_service(
    raw: str, mapping: SrvServiceMapping, labels: dict[str | None, str | None]
) -> None:
    parsed = parse_srv_service(raw)
    assert parsed == mapping
    for port_name, label in labels.items():
        assert parsed.label_for(port_name) == label


@pytest.mark.parametrize(
    "raw", ["", "a,b", "=kerberos", "krb=", "krb=bad label", "krb=-x", "a" * 64, "krb=a.b"]
)
def test_bad_srv_service(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_srv_service(raw)


@pytest.mark.parametrize(("raw", "value"), [("0", 0), ("65535", 65535), (" 10 ", 10)])
def test_uint16(raw: str, value: int) -> None:
    assert parse_uint16(raw) == value


@pytest.mark.parametrize("raw", ["-1", "65536", "ten", "", "1.5"])
def test_bad_uint16(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_uint16(raw)


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        ({"dnssync.io/ttl": "1"}, ("dnssync.io/ttl", "1")),
        ({"external-dns.kubernetes.io/ttl": "2"}, ("external-dns.kubernetes.io/ttl", "2")),
        (
            {"external-dns.alpha.kubernetes.io/ttl": "3"},
            ("external-dns.alpha.kubernetes.io/ttl", "3"),
        ),
        (
            {
                "external-dns.alpha.kubernetes.io/ttl": "3",
                "external-dns.kubernetes.io/ttl": "2",
                "dnssync.io/ttl": "1",
            },
            ("dnssync.io/ttl", "1"),
        ),
        ({}, None),
    ],
)
def test_lookup_prefers_ours(annotations: dict[str, str], expected: tuple[str, str] | None) -> None:
    assert lookup(annotations, "ttl") == expected


@pytest.mark.parametrize("suffix", ["srv-domain", "srv-service", "srv-priority", "srv-weight"])
def test_srv_keys_are_only_ours(suffix: str) -> None:
    assert lookup({f"external-dns.kubernetes.io/{suffix}": "x"}, suffix) is None


def test_settings_all_good() -> None:
    settings, found = parse_settings(
        REF,
        (
            ("dnssync.io/hostname", "KDC.example.com., kdc.example.com, kdc2.example.com"),
            ("dnssync.io/ttl", "5m"),
            ("dnssync.io/target", "192.0.2.1"),
            ("dnssync.io/controller", " dnssync "),
            ("dnssync.io/srv-domain", "example.com"),
            ("dnssync.io/srv-service", "kerberos"),
            ("dnssync.io/srv-priority", "1"),
            ("dnssync.io/srv-weight", "2"),
        ),
    )
    assert found == []
    assert settings.hostnames == (
        DomainName.parse("kdc.example.com"),
        DomainName.parse("kdc2.example.com"),
    )
    assert settings.ttl == 300
    assert settings.targets == (Address(ip=ipaddress.ip_address("192.0.2.1")),)
    assert settings.controller == "dnssync"
    assert settings.srv_domains == (DomainName.parse("example.com"),)
    assert settings.srv_service == SrvServiceMapping(default="kerberos")
    assert (settings.srv_priority, settings.srv_weight) == (1, 2)


def test_settings_defaults() -> None:
    settings, found = parse_settings(REF, ())
    assert found == []
    assert settings.hostnames == ()
    assert settings.ttl is None
    assert settings.targets is None
    assert (settings.srv_priority, settings.srv_weight) == (0, 100)


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("dnssync.io/ttl", "soon", "neither seconds nor a duration"),
        ("external-dns.kubernetes.io/ttl", "0", "outside"),
        ("dnssync.io/target", "192.0.2.1,lb.example.net", "IP addresses or exactly one hostname"),
        ("external-dns.alpha.kubernetes.io/target", "bad host!", "neither an IP"),
        ("dnssync.io/srv-priority", "70000", "outside 0..65535"),
        ("dnssync.io/srv-weight", "heavy", "not an integer"),
        ("dnssync.io/srv-service", "a,b", "one label"),
        ("dnssync.io/hostname", "bad_host!.example.com", "invalid name"),
        ("external-dns.kubernetes.io/hostname", "a..example.com", "invalid name"),
        ("dnssync.io/srv-domain", "x" * 64 + ".example.com", "invalid name"),
    ],
)
def test_bad_values_name_object_and_annotation(key: str, value: str, fragment: str) -> None:
    _settings, found = parse_settings(REF, ((key, value),))
    assert len(found) == 1
    (problem,) = found
    assert problem.subject == "service/krb/kdc"
    assert problem.field == f"metadata.annotations[{key}]"
    assert problem.reason == "InvalidAnnotation"
    assert problem.ref == REF
    assert fragment in problem.message
    assert str(problem).startswith(f"service/krb/kdc: metadata.annotations[{key}]: ")


def test_one_bad_hostname_keeps_the_others() -> None:
    settings, found = parse_settings(
        REF, (("dnssync.io/hostname", "good.example.com, bad!.example.com, ok.example.com"),)
    )
    assert settings.hostnames == (
        DomainName.parse("good.example.com"),
        DomainName.parse("ok.example.com"),
    )
    assert len(found) == 1
    assert "bad!.example.com" in found[0].message
