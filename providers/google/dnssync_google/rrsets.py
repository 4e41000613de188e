"""Conversion between Cloud DNS record sets (REST JSON) and the dnssync record model.

Cloud DNS returns names with a trailing dot, in the case they were written, and record
data in presentation form: TXT as one or more quoted strings (or a bare word), SRV as
``priority weight port target.``. Reading normalises all of that to the model (case,
trailing dots, TXT chunks and escapes, IPv6 compression); writing renders the model's
canonical text (TXT in quoted 255-octet chunks, absolute targets).
"""

from __future__ import annotations

from typing import Any

from dnssync.errors import InvalidRecordError
from dnssync.model.names import DomainName
from dnssync.model.records import (
    Alias,
    RData,
    RecordType,
    RRset,
    Text,
    parse_rdata,
    split_character_strings,
)

from .api import WireRRset

MANAGED = frozenset(t.value for t in RecordType)


def wire_of(raw: dict[str, Any]) -> WireRRset | None:
    """The record set as sent by the API, or None for types and shapes dnssync never manages.

    Record sets with a routing policy (no plain ``rrdatas``) are left out: dnssync does not
    write them, and creating over one fails with a conflict, as it should.
    """
    rtype = str(raw.get("type", "")).upper()
    rrdatas = raw.get("rrdatas")
    if rtype not in MANAGED or not rrdatas or not isinstance(rrdatas, list):
        return None
    try:
        ttl = int(raw.get("ttl", 0))
    except (TypeError, ValueError):
        raise InvalidRecordError(f"{raw.get('name')} {rtype}: bad TTL {raw.get('ttl')!r}") from None
    return WireRRset(str(raw.get("name", "")), rtype, ttl, tuple(str(d) for d in rrdatas))


def to_model(wire: WireRRset) -> RRset:
    """The model's RRset for an API record set. Raises InvalidRecordError/InvalidNameError."""
    rtype = RecordType.parse(wire.type)
    values = [_parse_value(rtype, raw) for raw in wire.rrdatas]
    return RRset.of(DomainName.parse(wire.name), rtype, wire.ttl, values)


def to_wire(rrset: RRset) -> WireRRset:
    """The canonical API form of a model RRset."""
    for value in rrset.values:
        if isinstance(value, Alias):
            raise InvalidRecordError(
                f"{rrset.name.fqdn} {rrset.rtype.value}: Cloud DNS has no alias records "
                f"({value.to_text()})"
            )
    return WireRRset(rrset.name.fqdn, rrset.rtype.value, rrset.ttl, tuple(rrset.value_texts()))


def _parse_value(rtype: RecordType, raw: str) -> RData:
    if rtype is RecordType.TXT:
        return Text(tuple(parse_character_strings(raw)))
    return parse_rdata(rtype, raw)


def parse_character_strings(raw: str) -> list[bytes]:
    """Split TXT presentation text into its strings (RFC 1035 5.1)."""
    return split_character_strings(raw)
