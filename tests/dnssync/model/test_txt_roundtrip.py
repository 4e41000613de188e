"""TXT data round-trips exactly, whatever its octets (property tests, 'ci' profile).

A TXT value is a sequence of character-strings of 0..255 arbitrary octets; rendering and
parsing again (our presentation form, dnspython's, and the wire form the zone-file and
RFC 2136 providers use) gives back the same strings, byte for byte.
"""

from __future__ import annotations

import dns.rdata
import dns.rdataclass
import dns.rdatatype
from hypothesis import given
from hypothesis import strategies as st

from dnssync.model.records import Text, split_character_strings
from dnssync.providers.dnswire import from_rdata, to_rdata

texts = st.lists(st.binary(max_size=255), min_size=1, max_size=6).map(lambda s: Text(tuple(s)))


@given(texts)
def test_our_presentation_form_parses_back(value: Text) -> None:
    assert Text.parse(value.to_text()) == value
    assert Text(tuple(split_character_strings(value.to_text()))) == value


@given(texts)
def test_octal_presentation_parses_back(value: Text) -> None:
    assert Text.parse(value.to_text(escape_base=8), escape_base=8) == value


@given(texts)
def test_dnspython_reads_what_we_write_and_we_read_what_it_writes(value: Text) -> None:
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, value.to_text())
    assert from_rdata(rdata) == value
    assert Text.parse(rdata.to_text()) == value


@given(texts)
def test_wire_form_round_trips(value: Text) -> None:
    rdata = to_rdata(value)
    assert from_rdata(rdata) == value
    again = dns.rdata.from_wire(
        dns.rdataclass.IN, dns.rdatatype.TXT, rdata.to_wire(), 0, len(rdata.to_wire())
    )
    assert from_rdata(again) == value


@given(st.text(max_size=600))
def test_our_own_content_is_split_at_255_octets_and_joins_back(text: str) -> None:
    value = Text.of(text)
    assert all(len(s) <= 255 for s in value.strings)
    assert value.joined == text
    assert Text.parse(value.to_text()) == value
