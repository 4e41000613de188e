"""UPDATE messages encoded straight from the record model, and signed with TSIG.

A first converge writes tens of thousands of RRsets. Built as dnspython objects (names,
rdata, rrsets, a message that indexes and compresses them) that cost more CPU than
everything else dnssync does, so each resource record is encoded here once, from the
model's already validated values, and a message is the concatenation of its records
(docs/providers/rfc2136.md, "Performance"). dnspython still signs the message
(``dns.tsig.sign``) and parses and verifies every answer.

The wire format is RFC 1035 section 4.1 with the RFC 2136 sections: owner names are written
below the zone name and then point at the zone name in the zone section (offset 12), the
only compression used; record data is never compressed (RFC 3597 forbids it for SRV, and it
is optional for the rest). A record's encoding is therefore its exact size in any message.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dns.name
import dns.opcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TSIG
import dns.rrset
import dns.tsig
import dns.update

from dnssync.model.names import DomainName
from dnssync.model.records import (
    CanonicalName,
    IPv4,
    IPv6,
    NameServer,
    RData,
    RecordType,
    Redirection,
    Service,
    Text,
)
from dnssync.providers.dnswire import rdatatype

from .tsig import TsigKey

HEADER = struct.Struct("!HHHHHH")
_RR_FIXED = struct.Struct("!HHIH")  # type, class, TTL, rdata length
_SRV_FIXED = struct.Struct("!HHH")
_ZONE_QUESTION = struct.Struct("!HH")
_UPDATE_FLAGS = dns.opcode.UPDATE << 11  # opcode 5, everything else zero
_ZONE_POINTER = b"\xc0\x0c"  # the zone name, right after the 12-byte header
_TSIG_FUDGE = 300

# The numbers dnswire already maps each model type to (one table for the whole project).
TYPE_CODES: dict[RecordType, int] = {rtype: int(rdatatype(rtype)) for rtype in RecordType}
ANY_TYPE = 255
CLASS_IN = 1
CLASS_NONE = 254
CLASS_ANY = 255


class Unencodable(ValueError):
    """A value the wire format cannot carry (a TXT string over 255 octets, an alias)."""


def name_wire(name: DomainName) -> bytes:
    """A name uncompressed: each label with its length, then the root. DomainName labels
    are lower-case ASCII letters, digits, ``-``, ``_`` and ``*`` (model/names.py)."""
    return b"".join(bytes((len(label),)) + label.encode("ascii") for label in name.labels) + b"\0"


def owner_wire(zone: DomainName, name: DomainName) -> bytes:
    """An owner name inside ``zone``: its labels below the zone, then a pointer to the zone
    name of the zone section."""
    if name == zone:
        return _ZONE_POINTER
    below = name.text[: -len(zone.text) - 1].encode("ascii")
    return b"".join([bytes((len(label),)) + label for label in below.split(b".")]) + _ZONE_POINTER


def rdata_wire(value: RData) -> bytes:
    """The record data of one model value."""
    if isinstance(value, IPv4 | IPv6):
        return value.address.packed
    if isinstance(value, Text):
        parts = []
        for string in value.strings:
            if len(string) > 255:
                raise Unencodable(f"a TXT string of {len(string)} octets (at most 255)")
            parts.append(bytes((len(string),)) + string)
        return b"".join(parts)
    if isinstance(value, Service):
        fixed = _SRV_FIXED.pack(value.priority, value.weight, value.port)
        return fixed + name_wire(value.target)
    if isinstance(value, CanonicalName | NameServer | Redirection):
        return name_wire(value.target)
    raise Unencodable(f"{value.to_text()} has no standard DNS encoding")


def record(owner: bytes, rtype: int, rdclass: int, ttl: int, rdata: bytes = b"") -> bytes:
    """One resource record from its encoded owner and data."""
    return owner + _RR_FIXED.pack(rtype, rdclass, ttl, len(rdata)) + rdata


@dataclass(frozen=True, slots=True)
class SignedUpdate:
    """An UPDATE message ready to send, and the message its answer is checked against
    (same id and zone; with TSIG: the key and the request MAC the answer must carry)."""

    wire: bytes
    request: dns.update.UpdateMessage


def zone_section_size(zone: DomainName) -> int:
    return len(name_wire(zone)) + _ZONE_QUESTION.size


def tsig_size(key: TsigKey) -> int:
    """Upper bound of the TSIG record's size (the MAC at its longest, SHA-512)."""
    algorithm = dns.name.from_text(key.algorithm)
    # owner, fixed RR part; algorithm, time (6), fudge (2), MAC length (2), MAC (<= 64),
    # original id (2), error (2), other length (2).
    return len(_wire(key.name)) + _RR_FIXED.size + len(_wire(algorithm)) + 6 + 2 + 2 + 64 + 6


def message(
    zone: DomainName,
    prerequisites: Sequence[bytes],
    updates: Sequence[bytes],
    key: TsigKey | None,
) -> SignedUpdate:
    """The UPDATE message of ``zone`` with the encoded records, signed with ``key``."""
    request = dns.update.UpdateMessage(zone.fqdn)
    head = HEADER.pack(request.id, _UPDATE_FLAGS, 1, len(prerequisites), len(updates), 0)
    body = _join((head, name_wire(zone), _ZONE_QUESTION.pack(6, CLASS_IN)), prerequisites, updates)
    if key is None:
        return SignedUpdate(body, request)
    dns_key = key.dns_key()
    request.use_tsig(dns_key, fudge=_TSIG_FUDGE)
    unsigned = dns.rdtypes.ANY.TSIG.TSIG(  # type: ignore[no-untyped-call]
        dns.rdataclass.ANY,
        dns.rdatatype.TSIG,
        dns_key.algorithm,
        0,
        _TSIG_FUDGE,
        b"",
        request.id,
        0,
        b"",
    )
    signed, _ = dns.tsig.sign(  # type: ignore[no-untyped-call]
        body, dns_key, unsigned, int(time.time()), b""
    )
    # The answer is verified against this MAC (dns.message.from_wire(request_mac=...)).
    request.tsig = dns.rrset.from_rdata(dns_key.name, 0, signed)
    tsig_record = record(_wire(dns_key.name), dns.rdatatype.TSIG, CLASS_ANY, 0, _wire(signed))
    counts = HEADER.pack(request.id, _UPDATE_FLAGS, 1, len(prerequisites), len(updates), 1)
    return SignedUpdate(counts + body[HEADER.size :] + tsig_record, request)


def _wire(item: dns.name.Name | dns.rdata.Rdata) -> bytes:
    wire = item.to_wire()  # uncompressed
    assert wire is not None  # returned when no file is given
    return wire


def _join(*parts: Iterable[bytes]) -> bytes:
    return b"".join(chunk for part in parts for chunk in part)
