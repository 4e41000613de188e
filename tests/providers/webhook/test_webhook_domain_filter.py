"""The webhook's domain filter: ExternalDNS's wire forms, its matching, dnssync's zones."""

from __future__ import annotations

import pytest
from dnssync_webhook.domain_filter import FilterError, WebhookDomainFilter

from dnssync.errors import ConfigError
from dnssync.model.names import DomainName

URL = "http://127.0.0.1:8888"


def names(*texts: str) -> tuple[DomainName, ...]:
    return tuple(DomainName.parse(t) for t in texts)


def test_include_entries_are_the_zones() -> None:
    found = WebhookDomainFilter.from_json(
        {"include": ["Example.com.", "sub.example.org", ".only-below.net"], "exclude": []}
    )
    assert found.zones((), URL) == names("example.com", "sub.example.org", "only-below.net")


@pytest.mark.parametrize(
    ("name", "matches"),
    [
        ("example.com", True),
        ("a.example.com", True),
        ("badexample.com", False),  # label boundary, as ExternalDNS
        ("dev.example.com", False),
        ("x.dev.example.com", False),
        ("only-below.net", False),  # ".only-below.net": names below it only
        ("a.only-below.net", True),
        ("other.org", False),
    ],
)
def test_matching_follows_externaldns(name: str, matches: bool) -> None:
    found = WebhookDomainFilter.from_json(
        {"include": ["example.com", ".only-below.net"], "exclude": ["dev.example.com"]}
    )
    assert found.matches(DomainName.parse(name)) is matches


def test_regex_filter_needs_zones_and_filters_names() -> None:
    found = WebhookDomainFilter.from_json(
        {"regexInclude": r"(^|\.)example\.(com|org)$", "regexExclude": r"^internal\."}
    )
    with pytest.raises(ConfigError, match=r"names no zone.*--zone"):
        found.zones((), URL)
    assert found.zones(names("example.com"), URL) == names("example.com")
    assert found.matches(DomainName.parse("www.example.org"))
    assert not found.matches(DomainName.parse("internal.example.com"))
    assert not found.matches(DomainName.parse("example.net"))


def test_empty_filter_needs_zones() -> None:
    empty = WebhookDomainFilter.from_json({})
    assert empty.is_empty and empty.matches(DomainName.parse("anything.example"))
    with pytest.raises(ConfigError, match=r"empty domain filter.*--zone"):
        empty.zones((), URL)
    assert empty.zones(names("a.test", "b.test"), URL) == names("a.test", "b.test")


def test_zone_override_must_lie_within_the_filter() -> None:
    found = WebhookDomainFilter.from_json(
        {"include": ["example.com"], "exclude": ["dev.example.com"]}
    )
    assert found.zones(names("sub.example.com"), URL) == names("sub.example.com")
    with pytest.raises(ConfigError, match=r"--zone other.org: outside the domain filter"):
        found.zones(names("other.org"), URL)
    with pytest.raises(ConfigError, match=r"dev.example.com"):
        found.zones(names("dev.example.com"), URL)


def test_openapi_filters_key_is_ignored_as_go_does() -> None:
    assert WebhookDomainFilter.from_json({"filters": ["example.com"]}).is_empty


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"include": ["a.com"], "regexInclude": "x"}, "both domain lists and regexes"),
        ({"regexInclude": "(unclosed"}, "not a usable regex"),
        ({"include": "example.com"}, "list of strings"),
        (["example.com"], "JSON object"),
    ],
)
def test_bad_filters_are_refused_clearly(body: object, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        WebhookDomainFilter.from_json(body)
