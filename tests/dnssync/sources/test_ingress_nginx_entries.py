"""ingress-nginx's TCP/UDP services entries, parsed as the controller parses them.

Exact cases of the controller's rules (``getStreamServices``), then a property test: for
any data a ConfigMap (or a manifest) can hold, parsing never raises, every key ends up as
an entry or a problem naming it, and what is accepted reads back to the same entry.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnssync.model.refs import ObjectRef
from dnssync.sources.ingress_nginx import parse_entry, parse_stream_services
from dnssync.sources.objects import StreamEntry

REF = ObjectRef("configmap", "ingress-nginx", "tcp-services")


@pytest.mark.parametrize(
    ("key", "value", "entry"),
    [
        ("53", "dns/coredns:53", StreamEntry("53", 53, "dns", "coredns", "53")),
        ("+53", "dns/coredns:dns", StreamEntry("+53", 53, "dns", "coredns", "dns")),
        ("053", "dns/coredns:53", StreamEntry("053", 53, "dns", "coredns", "53")),
        ("2222", "git/ssh:22:PROXY", StreamEntry("2222", 2222, "git", "ssh", "22", True)),
        (
            "2222",
            "git/ssh:22:proxy:Proxy",
            StreamEntry("2222", 2222, "git", "ssh", "22", True, True),
        ),
        ("2222", "git/ssh:22::PROXY", StreamEntry("2222", 2222, "git", "ssh", "22", False, True)),
        # As the controller: the fourth field counts only when it is the last.
        (
            "2222",
            "git/ssh:22:PROXY:PROXY:x",
            StreamEntry("2222", 2222, "git", "ssh", "22", True, False),
        ),
        # An empty port name matches an unnamed port, as the controller compares names.
        ("9000", "a/b:", StreamEntry("9000", 9000, "a", "b", "")),
    ],
)
def test_entries_the_controller_accepts(key: str, value: str, entry: StreamEntry) -> None:
    assert parse_entry(key, value)[0] == entry


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("x", "a/b:1", "'x' is not a port number"),
        (" 53", "a/b:1", "' 53' is not a port number"),
        ("5_3", "a/b:1", "'5_3' is not a port number"),
        ("0", "a/b:1", "0 is not a port number 1..65535"),
        ("-53", "a/b:1", "-53 is not a port number 1..65535"),
        ("65536", "a/b:1", "65536 is not a port number 1..65535"),
        ("99999999999999999999", "a/b:1", "is not a port number"),
        ("80", "a/b:1", "port 80 is reserved for the controller"),
        ("10254", "a/b:1", "port 10254 is reserved"),
        ("53", "a/b", "'a/b' is not <namespace>/<service>:<port>[:PROXY][:PROXY]"),
        ("53", "b:1", "'b' is not <namespace>/<service>"),
        ("53", "a/b/c:1", "'a/b/c' is not <namespace>/<service>"),
        ("53", "/b:1", "'/b' is not <namespace>/<service>"),
        ("53", 53, "the value 53 is not a string"),
        ("53", None, "the value None is not a string"),
    ],
)
def test_entries_the_controller_skips(key: str, value: Any, message: str) -> None:
    entry, problems = parse_entry(key, value)
    assert entry is None
    (problem,) = problems
    assert problem.key == key and problem.skipped
    assert message in problem.message and problem.message.endswith("not published")


def test_fields_the_controller_ignores_are_warned_about() -> None:
    entry, problems = parse_entry("2222", "git/ssh:22:PROXI")
    assert entry == StreamEntry("2222", 2222, "git", "ssh", "22")
    assert [(p.key, p.skipped) for p in problems] == [("2222", False)]
    assert "'PROXI' is not PROXY" in problems[0].message


def test_a_number_and_a_string_for_one_key() -> None:
    parsed = parse_stream_services(REF, {"53": "dns/coredns:53", 53: "dns/other:53"})
    assert [e.service for e in parsed.entries] == ["coredns"]
    assert [p.key for p in parsed.problems] == ["53"]  # the number, shown as written


def test_a_configmap_of_yaml_numbers_and_duplicate_ports() -> None:
    parsed = parse_stream_services(
        REF, {53: "dns/coredns:53", "+53": "dns/other:53", 1.5: "a/b:1", True: "a/b:1"}
    )
    assert parsed.entries == (StreamEntry("53", 53, "dns", "coredns", "53"),)
    assert [p.key for p in parsed.problems] == ["+53", "1.5", "true"]
    assert "already exposed by key '53'" in parsed.problems[0].message


KEYS = st.one_of(
    st.integers(-70000, 70000).map(str),
    st.sampled_from(["53", "+53", "053", "80", "", " 1", "1e3", "0x35", "٥٣"]),
    st.text(max_size=8),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=True),
    st.none(),
)
FIELD = st.one_of(
    st.sampled_from(["", "PROXY", "proxy", "ns/svc", "a/b/c", "/", "53", "dns", "+1"]),
    st.text(max_size=12),
)
VALUES = st.one_of(
    st.lists(FIELD, max_size=6).map(":".join),
    st.text(max_size=40),
    st.integers(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@given(st.dictionaries(KEYS, VALUES, max_size=8))
def test_any_data_parses_to_entries_or_problems_naming_the_key(data: dict[Any, Any]) -> None:
    parsed = parse_stream_services(REF, data)
    entry_keys = [e.key for e in parsed.entries]
    skipped = [p.key for p in parsed.problems if p.skipped]
    # Every key is an entry or skipped with a reason, never both, never lost.
    assert len(entry_keys) + len(skipped) == len(data)
    assert not set(entry_keys) & set(skipped)
    assert len({e.port for e in parsed.entries}) == len(parsed.entries)
    for problem in parsed.problems:
        assert problem.message and "\n" not in problem.message
        assert len(problem.message) < 400
    for entry in parsed.entries:
        assert 1 <= entry.port <= 65535
        assert entry.namespace and entry.service and "/" not in entry.service
        value = data.get(entry.key, data.get(int(entry.key))) if entry.key else None
        if isinstance(value, str):
            assert parse_entry(entry.key, value)[0] == entry
