"""DomainName: the one place names are normalised (case, trailing dot, IDNA, limits)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnssync.errors import InvalidNameError
from dnssync.model.names import DomainName, find_zone


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("example.com", "example.com"),
        ("example.com.", "example.com"),
        ("Kdc-TCP.Example.COM.", "kdc-tcp.example.com"),
        ("  app.example.com  ", "app.example.com"),
        ("_kerberos._udp.example.com", "_kerberos._udp.example.com"),
        ("*.apps.example.com", "*.apps.example.com"),
        ("bücher.example.com", "xn--bcher-kva.example.com"),
        ("Bücher.example.com.", "xn--bcher-kva.example.com"),
        ("xn--bcher-kva.example.com", "xn--bcher-kva.example.com"),
        ("a" * 63 + ".example.com", "a" * 63 + ".example.com"),
    ],
)
def test_parse_normalises(raw: str, text: str) -> None:
    name = DomainName.parse(raw)
    assert name.text == text
    assert name.fqdn == text + "."
    assert str(name) == text + "."
    assert DomainName.parse(name.fqdn) == name


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        (".", "empty"),
        ("a..example.com", "empty label"),
        ("a" * 64 + ".example.com", "63 octets"),
        (".".join(["a" * 60] * 5), "253 octets"),
        ("-app.example.com", "not allowed"),
        ("app-.example.com", "not allowed"),
        ("app!.example.com", "not allowed"),
        ("my app.example.com", "not allowed"),
        ("1.2.3.4:80", "not allowed"),
    ],
)
def test_parse_refuses(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidNameError, match=fragment):
        DomainName.parse(raw)


@pytest.mark.parametrize(
    "raw",
    ["a-*.apps.example.com", "a.*.example.com", "*-own.example.com", "a-own.*.example.com"],
)
def test_a_star_inside_a_name_is_data(raw: str) -> None:
    """Zones hold such names (the ownership TXT of a wildcard); users' host names do not."""
    name = DomainName.parse(raw)
    assert name.text == raw and name.has_literal_star and not name.is_wildcard
    assert DomainName(name.text) == name
    with pytest.raises(InvalidNameError, match="only allowed as the whole first label"):
        DomainName.parse_hostname(raw)


def test_parse_hostname_takes_wildcards_and_plain_names() -> None:
    for raw in ("*.apps.example.com", "App.Example.com.", "*.example.com"):
        name = DomainName.parse_hostname(raw)
        assert name == DomainName.parse(raw) and not name.has_literal_star
    assert DomainName.parse_hostname("*.example.com").is_wildcard


def test_constructor_only_takes_canonical_text() -> None:
    assert DomainName("app.example.com").text == "app.example.com"
    for raw in ("App.example.com", "app.example.com."):
        with pytest.raises(InvalidNameError, match="canonical"):
            DomainName(raw)


def test_equality_ignores_case_and_dot_through_parse() -> None:
    assert DomainName.parse("APP.example.com.") == DomainName.parse("app.EXAMPLE.com")
    assert hash(DomainName.parse("APP.example.com.")) == hash(DomainName.parse("app.example.com"))


def test_structure() -> None:
    name = DomainName.parse("_kerberos._udp.example.com")
    assert name.labels == ("_kerberos", "_udp", "example", "com")
    assert name.first_label == "_kerberos"
    assert name.parent == DomainName.parse("_udp.example.com")
    assert DomainName.parse("com").parent is None
    assert DomainName.parse("*.example.com").is_wildcard
    assert not name.is_wildcard
    assert name.prepend("srv") == DomainName.parse("srv._kerberos._udp.example.com")


@pytest.mark.parametrize(
    ("name", "zone", "inside"),
    [
        ("example.com", "example.com", True),
        ("a.example.com", "example.com", True),
        ("a.b.example.com", "example.com", True),
        ("badexample.com", "example.com", False),
        ("example.com", "a.example.com", False),
        ("example.org", "example.com", False),
    ],
)
def test_is_subdomain_of(name: str, zone: str, inside: bool) -> None:
    assert DomainName.parse(name).is_subdomain_of(DomainName.parse(zone)) is inside


def test_relative_to() -> None:
    zone = DomainName.parse("example.com")
    assert DomainName.parse("example.com").relative_to(zone) == "@"
    assert DomainName.parse("a.b.example.com").relative_to(zone) == "a.b"
    with pytest.raises(InvalidNameError, match="not inside"):
        DomainName.parse("example.org").relative_to(zone)


def test_find_zone_picks_the_most_specific() -> None:
    zones = tuple(DomainName.parse(z) for z in ("example.com", "sub.example.com", "example.org"))
    assert find_zone(DomainName.parse("a.sub.example.com"), zones) == zones[1]
    assert find_zone(DomainName.parse("sub.example.com"), zones) == zones[1]
    assert find_zone(DomainName.parse("other.example.com"), zones) == zones[0]
    assert find_zone(DomainName.parse("example.net"), zones) is None
    assert find_zone(DomainName.parse("notexample.com"), zones) is None


_LABEL_TEXT = st.from_regex(r"[a-z0-9_*](?:[a-z0-9_*-]{0,10}[a-z0-9_*])?", fullmatch=True)


@given(st.lists(_LABEL_TEXT, min_size=1, max_size=4))
def test_names_with_stars_round_trip_and_only_wildcards_are_host_names(
    labels: list[str],
) -> None:
    """Any '*' is data for parse; parse_hostname takes only a whole leftmost '*' label."""
    raw = ".".join([*labels, "example", "com"])
    name = DomainName.parse(raw.upper() + ".")
    assert name.text == raw and DomainName.parse(name.fqdn) == name
    wildcard_form = labels[0] == "*" and "*" not in "".join(labels[1:])
    starless = "*" not in raw
    if wildcard_form or starless:
        assert DomainName.parse_hostname(raw) == name
        assert name.is_wildcard is wildcard_form
    else:
        assert name.has_literal_star
        with pytest.raises(InvalidNameError, match="whole first label"):
            DomainName.parse_hostname(raw)
