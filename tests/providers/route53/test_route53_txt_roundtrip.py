"""Route53 TXT values (octal ``\\ddd`` escapes) round-trip exactly, any octets."""

from __future__ import annotations

from dnssync_route53.convert import from_route53, parse_txt, render_txt, to_route53
from hypothesis import given
from hypothesis import strategies as st

from dnssync.model.names import DomainName
from dnssync.model.records import RecordType, RRset, Text

texts = st.lists(st.binary(max_size=255), min_size=1, max_size=6).map(lambda s: Text(tuple(s)))
ZONE = DomainName.parse("example.com")


@given(texts)
def test_any_txt_value_round_trips_through_route53_text(value: Text) -> None:
    rendered = render_txt(value)
    assert rendered.isascii() and rendered.isprintable()
    assert parse_txt(rendered) == value


@given(st.lists(texts, min_size=1, max_size=4))
def test_any_txt_rrset_round_trips_through_a_record_set(values: list[Text]) -> None:
    rrset = RRset.of(DomainName.parse("t.example.com"), RecordType.TXT, 300, values)
    body = to_route53(rrset, zone_id="/hostedzone/Z1", zone=ZONE, evaluate_target_health=False)
    assert from_route53(body) == rrset
