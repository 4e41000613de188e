"""Annotation keys (ours and ExternalDNS's) and their typed parsing."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnssync.model.names import DomainName
from dnssync.model.refs import ObjectRef
from dnssync.sources.annotations import (
    MAX_NAMES_PER_OBJECT,
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
        ("0300", 300),
        ("1", 1),
        ("2147483647", 2147483647),
        ("5m", 300),
        ("1h", 3600),
        ("1h30m", 5400),
        ("90s", 90),
        ("1.5m", 90),
        ("1m30s", 90),
        ("2000ms", 2),
        ("0.1h", 360),
        ("1.m", 60),
        (".5m", 30),
        ("1h0m0s", 3600),
        ("2000000000000ns", 2000),
        ("2000000us", 2),
        ("2000000\u00b5s", 2),
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
        # Issue 13: Python's int()/float() accept these; the grammar does not.
        ("\uff13\uff10\uff10", "ASCII"),  # full-width digits
        ("\u0663\u0660\u0660", "ASCII"),  # Arabic-Indic digits
        ("3_00", "neither"),
        ("1e3", "neither"),
        ("+300", "neither"),
        ("0x12c", "neither"),
        (" 300 ", "spaces"),
        ("300\n", "spaces"),
        ("5\uff4d", "neither"),  # full-width m
        ("1h\u200b", "neither"),  # zero-width space
        ("inf", "neither"),
        ("nan", "neither"),
        ("-0", "neither"),
        ("1.5.5s", "neither"),
        ("s", "neither"),
        (".", "neither"),
        ("9" * 65, "longer than"),
        ("9" * 20 + "h", "too long"),
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
    ("raw", "fragment"),
    [
        # Issue 13: these became CNAMEs to numeric names.
        ("010.000.000.001", "legacy numeric form"),
        ("127.1", "legacy numeric form"),
        ("3405803777", "legacy numeric form"),
        ("0x7f.1", "legacy numeric form"),
        ("0x7f000001", "legacy numeric form"),
        ("1.2.3.4.5", "legacy numeric form"),
        ("lb.example.123", "last label '123' is all digits"),
        # Scoped IPv6 passed plan and crashed apply.
        ("fe80::1%eth0", r"zone id \(%eth0\)"),
        ("fe80::1%25eth0", "zone id"),
        ("192.0.2.1, fe80::1%1", r"zone id \(%1\)"),
        ("\uff11.\uff12.\uff13.\uff14", "legacy numeric form|neither"),
    ],
)
def test_targets_refused_with_the_reason(raw: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_targets(raw)


def test_target_that_is_the_objects_own_hostname_is_refused() -> None:
    settings, problems = parse_settings(
        REF,
        (
            ("dnssync.io/hostname", "a.example.com, self.example.com"),
            ("dnssync.io/target", "Self.Example.com."),
        ),
    )
    assert settings.targets is None
    assert "target" in settings.invalid
    assert [p.field for p in problems] == ["metadata.annotations[dnssync.io/target]"]
    assert "CNAME to itself" in problems[0].message


def test_many_names_are_bounded_and_deduplicated_in_linear_time() -> None:
    many = ",".join(f"h{i % 30000}.example.com" for i in range(40000))
    settings, problems = parse_settings(REF, (("dnssync.io/hostname", many),))
    assert len(settings.hostnames) == MAX_NAMES_PER_OBJECT
    assert settings.hostnames[0] == DomainName.parse("h0.example.com")
    assert "hostname" in settings.invalid
    assert "40000 names; only the first 1000" in problems[0].message
    duplicated = ",".join(["b.example.com", "a.example.com", "B.example.com."] * 300)
    settings, problems = parse_settings(REF, (("dnssync.io/hostname", duplicated),))
    assert settings.hostnames == (
        DomainName.parse("b.example.com"),
        DomainName.parse("a.example.com"),
    )
    assert problems == []


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
    "raw",
    [
        "",
        "a,b",
        "=kerberos",
        "krb=",
        "krb=bad label",
        "krb=-x",
        "a" * 64,
        "krb=a.b",
        "\u212aerberos",
    ],
)
def test_bad_srv_service(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_srv_service(raw)


@pytest.mark.parametrize(("raw", "value"), [("0", 0), ("65535", 65535), ("010", 10)])
def test_uint16(raw: str, value: int) -> None:
    assert parse_uint16(raw) == value


@pytest.mark.parametrize(
    "raw",
    ["-1", "65536", "ten", "", "1.5", " 10 ", "+5", "1_0", "\uff13", "0x10", "1e3", "0" * 6],
)
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


ANNOTATION_KEYS = [
    "dnssync.io/hostname",
    "dnssync.io/ttl",
    "dnssync.io/target",
    "dnssync.io/controller",
    "dnssync.io/srv-domain",
    "dnssync.io/srv-service",
    "dnssync.io/srv-priority",
    "dnssync.io/srv-weight",
    "external-dns.alpha.kubernetes.io/target",
]
HOSTILE_TEXT = st.one_of(
    st.text(max_size=80),
    st.lists(
        st.sampled_from(
            [
                "a.example.com",
                "fe80::1%eth0",
                "127.1",
                " ",
                ",",
                "=",
                "\x1b[31m",
                "\u202e",
                "\uff13",
                "1e3",
                "3_00",
                "0x7f",
                "_x",
                "..",
                "*",
                "\u212a",
                "192.0.2.1",
                "-",
            ]
        ),
        max_size=8,
    ).map("".join),
)


@given(st.dictionaries(st.sampled_from(ANNOTATION_KEYS), HOSTILE_TEXT, max_size=5))
def test_parsing_never_raises_on_any_text(annotations: dict[str, str]) -> None:
    settings, problems = parse_settings(REF, tuple(sorted(annotations.items())))
    # Either a value or a problem naming the annotation, for every key given.
    for problem in problems:
        assert problem.field.startswith("metadata.annotations[")
        assert problem.ref == REF
    assert {p.field for p in problems} <= {f"metadata.annotations[{k}]" for k in annotations}
    assert settings.ttl is None or 1 <= settings.ttl <= 2147483647
    assert 0 <= settings.srv_priority <= 65535 and 0 <= settings.srv_weight <= 65535
    for address in settings.targets or ():
        assert address.ip is None or getattr(address.ip, "scope_id", None) is None
