"""Ownership TXT names of wildcard records, byte for byte as ExternalDNS v0.23 writes them
(registry/mapper/mapper.go ``ToTXTName``: the replacement stands for a leading ``*`` label
before the type and the affixes are added)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnssync.errors import ConfigError
from dnssync.model.names import DomainName
from dnssync.model.records import MANAGED_TYPES, RecordType
from dnssync.ownership.txt import TxtRegistry

N = DomainName.parse
ZONE = N("example.com")


@pytest.mark.parametrize(
    ("prefix", "suffix", "replacement", "name", "rtype", "txt"),
    [
        ("", "", "", "*.apps.example.com", "A", "a-*.apps.example.com"),
        ("", "", "", "*.apps.example.com", "AAAA", "aaaa-*.apps.example.com"),
        ("", "", "", "*.apps.example.com", "CNAME", "cname-*.apps.example.com"),
        ("", "", "", "*.example.com", "A", "a-*.example.com"),
        ("", "", "wc", "*.example.com", "A", "a-wc.example.com"),
        ("", "", "Wildcard", "*.apps.example.com", "CNAME", "cname-wildcard.apps.example.com"),
        ("_extdns.", "", "", "*.apps.example.com", "A", "_extdns.a-*.apps.example.com"),
        ("_extdns.", "", "wc", "*.apps.example.com", "A", "_extdns.a-wc.apps.example.com"),
        ("%{record_type}-own.", "", "", "*.apps.example.com", "A", "a-own.*.apps.example.com"),
        ("%{record_type}-own.", "", "wc", "*.apps.example.com", "A", "a-own.wc.apps.example.com"),
        ("", "-own", "", "*.apps.example.com", "A", "a-*-own.apps.example.com"),
        ("", "-%{record_type}", "wc", "*.apps.example.com", "A", "wc-a.apps.example.com"),
        # Only a leading "*" label is replaced; a name without one is left alone.
        ("", "", "wc", "app.example.com", "A", "a-app.example.com"),
    ],
)
def test_wildcard_txt_name(
    prefix: str, suffix: str, replacement: str, name: str, rtype: str, txt: str
) -> None:
    registry = TxtRegistry("default", prefix, suffix, replacement)
    record, kind = N(name), RecordType.parse(rtype)
    assert registry.txt_name(record, kind, ZONE) == N(txt)
    assert (record, kind) in registry.record_keys_for(N(txt))


def test_replacement_maps_back_to_both_names_it_may_stand_for() -> None:
    registry = TxtRegistry("default", wildcard_replacement="wc")
    assert registry.record_keys_for(N("a-wc.apps.example.com")) == [
        (N("wc.apps.example.com"), RecordType.A),
        (N("*.apps.example.com"), RecordType.A),
    ]
    # The default form is still read while a replacement is set (it is unambiguous).
    assert registry.record_keys_for(N("a-*.apps.example.com")) == [
        (N("*.apps.example.com"), RecordType.A)
    ]
    assert registry.wildcard_twin(N("*.apps.example.com")) == N("wc.apps.example.com")
    assert registry.wildcard_twin(N("wc.apps.example.com")) == N("*.apps.example.com")
    assert registry.wildcard_twin(N("app.example.com")) is None
    assert TxtRegistry().wildcard_twin(N("*.apps.example.com")) is None


@pytest.mark.parametrize("bad", ["*", "a.b", "a b", "-x", "x-", "é", "x" * 41, "a*"])
def test_bad_replacement_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="--txt-wildcard-replacement"):
        TxtRegistry("default", wildcard_replacement=bad)


_LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)


@given(
    labels=st.lists(_LABEL, min_size=1, max_size=3),
    wildcard=st.booleans(),
    rtype=st.sampled_from(MANAGED_TYPES),
    affix=st.sampled_from(
        [
            ("", ""),
            ("_own.", ""),
            ("%{record_type}-own.", ""),
            ("", "-own"),
            ("", "-%{record_type}"),
        ]
    ),
    replacement=st.sampled_from(["", "wc", "wildcard"]),
)
def test_every_txt_name_maps_back_to_its_record(
    labels: list[str],
    wildcard: bool,
    rtype: RecordType,
    affix: tuple[str, str],
    replacement: str,
) -> None:
    """Whatever the name, affixes and replacement: the TXT name is inside the zone and
    maps back to the record that it was made for."""
    registry = TxtRegistry("default", affix[0], affix[1], replacement)
    record = N(".".join(["*", *labels] if wildcard else labels) + ".example.com")
    txt = registry.txt_name(record, rtype, ZONE)
    assert txt.is_subdomain_of(ZONE) and txt != ZONE
    assert (record, rtype) in registry.record_keys_for(txt)
    if wildcard and replacement:
        assert "*" not in txt.text
