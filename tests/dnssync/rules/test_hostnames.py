"""Listener/route hostname intersection, as Gateway API defines it."""

from __future__ import annotations

import pytest

from dnssync.rules.hostnames import intersect

CASES = [
    # no listener hostname: the route's name as it is
    (None, "app.example.com", "app.example.com"),
    (None, "*.example.com", "*.example.com"),
    (None, "App.Example.COM.", "app.example.com"),
    ("", "app.example.com", "app.example.com"),
    # exact names
    ("app.example.com", "app.example.com", "app.example.com"),
    ("APP.example.com.", "app.EXAMPLE.com", "app.example.com"),
    ("app.example.com", "web.example.com", None),
    ("app.example.com", "app.example.org", None),
    # listener wildcard: suffix match on one or more labels, never the bare domain
    ("*.example.com", "app.example.com", "app.example.com"),
    ("*.example.com", "a.b.example.com", "a.b.example.com"),
    ("*.example.com", "example.com", None),
    ("*.example.com", "badexample.com", None),
    ("*.example.com", "app.example.org", None),
    # route wildcard: the listener's (more specific) name wins
    ("app.example.com", "*.example.com", "app.example.com"),
    ("a.b.example.com", "*.example.com", "a.b.example.com"),
    ("example.com", "*.example.com", None),
    ("app.example.org", "*.example.com", None),
    # both wildcards: the more specific wildcard wins, either way round
    ("*.example.com", "*.example.com", "*.example.com"),
    ("*.example.com", "*.apps.example.com", "*.apps.example.com"),
    ("*.apps.example.com", "*.example.com", "*.apps.example.com"),
    ("*.example.com", "*.example.org", None),
    ("*.apps.example.com", "*.web.example.com", None),
]


@pytest.mark.parametrize(("listener", "route", "expected"), CASES)
def test_intersect(listener: str | None, route: str, expected: str | None) -> None:
    assert intersect(listener, route) == expected


@pytest.mark.parametrize(("listener", "route", "expected"), CASES)
def test_intersect_is_symmetric_between_two_names(
    listener: str | None, route: str, expected: str | None
) -> None:
    # Gateway API intersects two hostnames; which side is the listener does not matter
    # when both are set.
    if listener:
        assert intersect(route, listener) == expected
