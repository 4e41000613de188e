"""Cloud DNS TXT rrdatas (RFC 1035 presentation, decimal escapes) round-trip exactly."""

from __future__ import annotations

from dnssync_google.rrsets import to_model, to_wire
from hypothesis import given
from hypothesis import strategies as st

from dnssync.model.names import DomainName
from dnssync.model.records import RecordType, RRset, Text

texts = st.lists(st.binary(max_size=255), min_size=1, max_size=6).map(lambda s: Text(tuple(s)))


@given(st.lists(texts, min_size=1, max_size=4))
def test_any_txt_rrset_round_trips_through_the_api_form(values: list[Text]) -> None:
    rrset = RRset.of(DomainName.parse("t.example.com"), RecordType.TXT, 300, values)
    wire = to_wire(rrset)
    assert all(d.isascii() and d.isprintable() for d in wire.rrdatas)
    assert to_model(wire) == rrset
