"""From change groups to RFC 2136 prerequisites and updates.

Each group becomes one :class:`GroupUpdate`: its prerequisites say what the zone must hold
for the group to apply (the state the planner saw, ``Change.old``), its operations say what
to write. Several groups share one UPDATE message; the server checks every prerequisite
of the message before writing anything, so a message applies all its groups or none.

Per change:

========  ==============================================  ================================
action    prerequisites                                   operations
========  ==============================================  ================================
CREATE    the RRset does not exist                        add the new records
UPDATE    the RRset exists with exactly the old records   delete the old records, add new
DELETE    the RRset exists with exactly the old records   delete exactly the old records
========  ==============================================  ================================

Servers answer NOERROR and write nothing when a record would sit beside a CNAME, and
prerequisites cannot say "no CNAME here" except literally, so a CREATE also requires that
there is no CNAME at the name (for a CNAME: that the name holds nothing). Those extra
prerequisites are left out of a message that itself changes the records in question (a
switch from CNAME to A in one message, say), because prerequisites are checked against the
zone as it was before the message; the re-read after writing covers that case.

The old records are quoted as the server sent them in the last transfer when that data is
what the planner saw, so value-dependent checks match byte for byte (a TXT split in other
chunks by another tool still matches).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import dns.name
import dns.rdata
import dns.rdatatype
import dns.update

from dnssync.errors import DnssyncError
from dnssync.model.changes import Action, Change, ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import RecordType, RRset
from dnssync.providers.dnswire import rdatatype, to_dns_name, to_rdata

from .tsig import TsigKey

# Fixed part of an RR on the wire: type, class, TTL, rdata length.
_RR_FIXED = 10
_HEADER = 12


class PrereqKind(enum.Enum):
    ABSENT_RRSET = "absent-rrset"  # RFC 2136 2.4.3, RRset does not exist
    ABSENT_NAME = "absent-name"  # 2.4.5, name is not in use
    EXACT_RRSET = "exact-rrset"  # 2.4.2, RRset exists (value dependent)


@dataclass(frozen=True, slots=True)
class Prereq:
    kind: PrereqKind
    name: dns.name.Name
    rdtype: dns.rdatatype.RdataType | None = None
    rdatas: tuple[dns.rdata.Rdata, ...] = ()


class OpKind(enum.Enum):
    ADD = "add"
    DELETE_RECORDS = "delete-records"


@dataclass(frozen=True, slots=True)
class Operation:
    kind: OpKind
    name: dns.name.Name
    rdtype: dns.rdatatype.RdataType
    ttl: int
    rdatas: tuple[dns.rdata.Rdata, ...]


Touch = tuple[dns.name.Name, dns.rdatatype.RdataType]


@dataclass(frozen=True, slots=True)
class GroupUpdate:
    group: ChangeGroup
    prereqs: tuple[Prereq, ...]
    operations: tuple[Operation, ...]
    # CNAME-exclusivity prerequisites, dropped from messages that touch what they check.
    guards: tuple[Prereq, ...]
    # (name, type) pairs the operations write.
    touches: frozenset[Touch]
    # Upper bound of the group's size in a message (owner names as labels + pointer).
    size: int


class UnwritableGroup(DnssyncError):
    """A group this provider cannot express (alias data, a name outside the zone)."""


WireOf = Callable[[RRset], Sequence[dns.rdata.Rdata]]


def model_wire(rrset: RRset) -> Sequence[dns.rdata.Rdata]:
    return [to_rdata(v) for v in rrset.values]


def build(zone: DomainName, group: ChangeGroup, wire_of: WireOf = model_wire) -> GroupUpdate:
    """The prerequisites and operations of one group (raises UnwritableGroup)."""
    prereqs: list[Prereq] = []
    operations: list[Operation] = []
    guards: list[Prereq] = []
    for change in group:
        _check_writable(zone, change)
        name = to_dns_name(change.name)
        rdtype = rdatatype(change.rtype)
        if change.action is Action.CREATE:
            assert change.new is not None
            prereqs.append(Prereq(PrereqKind.ABSENT_RRSET, name, rdtype))
            if change.rtype is RecordType.CNAME:
                guards.append(Prereq(PrereqKind.ABSENT_NAME, name))
            else:
                guards.append(Prereq(PrereqKind.ABSENT_RRSET, name, dns.rdatatype.CNAME))
        else:
            assert change.old is not None
            old = tuple(wire_of(change.old))
            prereqs.append(Prereq(PrereqKind.EXACT_RRSET, name, rdtype, old))
            operations.append(Operation(OpKind.DELETE_RECORDS, name, rdtype, 0, old))
        if change.new is not None:
            new = tuple(model_wire(change.new))
            operations.append(Operation(OpKind.ADD, name, rdtype, change.new.ttl, new))
    touches = frozenset((op.name, op.rdtype) for op in operations)
    origin = to_dns_name(zone)
    size = sum(_prereq_size(origin, p) for p in (*prereqs, *guards))
    size += sum(_operation_size(origin, op) for op in operations)
    return GroupUpdate(group, tuple(prereqs), tuple(operations), tuple(guards), touches, size)


def overhead(zone: DomainName, key: TsigKey | None) -> int:
    """Bytes of a message that are not groups: header, zone section, TSIG record."""
    size = _HEADER + _name_size(to_dns_name(zone)) + 4
    if key is not None:
        algorithm = dns.name.from_text(key.algorithm)
        # name, fixed RR part, algorithm, time (6), fudge, MAC size, MAC (<= 64), id,
        # error, other length.
        size += _name_size(key.name) + _RR_FIXED + _name_size(algorithm) + 6 + 2 + 2 + 64 + 6
    return size


def render(
    zone: DomainName, entries: Sequence[GroupUpdate], key: TsigKey | None
) -> dns.update.UpdateMessage:
    """One UPDATE message carrying the entries, in order."""
    message = dns.update.UpdateMessage(to_dns_name(zone))
    if key is not None:
        message.use_tsig(key.dns_key())
    touched = {t for entry in entries for t in entry.touches}
    for entry in entries:
        for prereq in (*entry.prereqs, *_kept_guards(entry, touched)):
            _add_prereq(message, prereq)
    for entry in entries:
        for op in entry.operations:
            if op.kind is OpKind.ADD:
                message.add(op.name, op.ttl, *op.rdatas)
            else:
                message.delete(op.name, *op.rdatas)
    return message


def inverse(changes: Iterable[Change]) -> ChangeGroup:
    """The changes that undo ``changes``, as one group."""
    undo: list[Change] = []
    for change in changes:
        if change.action is Action.CREATE:
            undo.append(Change(Action.DELETE, change.zone, None, change.new))
        elif change.action is Action.DELETE:
            undo.append(Change(Action.CREATE, change.zone, change.old, None))
        else:
            undo.append(Change(Action.UPDATE, change.zone, change.old, change.new))
    return ChangeGroup(tuple(undo))


def _kept_guards(entry: GroupUpdate, touched: set[Touch]) -> list[Prereq]:
    kept: list[Prereq] = []
    for guard in entry.guards:
        if guard.kind is PrereqKind.ABSENT_NAME:
            # The new CNAME's name: skip when the message also writes other data there.
            if any(n == guard.name and t != dns.rdatatype.CNAME for n, t in touched):
                continue
        elif (guard.name, dns.rdatatype.CNAME) in touched:
            continue
        kept.append(guard)
    return kept


def _add_prereq(message: dns.update.UpdateMessage, prereq: Prereq) -> None:
    if prereq.kind is PrereqKind.ABSENT_NAME:
        message.absent(prereq.name)
    elif prereq.kind is PrereqKind.ABSENT_RRSET:
        assert prereq.rdtype is not None
        message.absent(prereq.name, prereq.rdtype)
    else:
        # Rdata arguments get TTL 0, as RFC 2136 section 2.4.2 requires.
        message.present(prereq.name, *prereq.rdatas)


def _check_writable(zone: DomainName, change: Change) -> None:
    if change.zone != zone or not change.name.is_subdomain_of(zone):
        raise UnwritableGroup(f"{change.key} is not inside zone {zone.fqdn}")
    for rrset in (change.new, change.old):
        if rrset is not None and rrset.is_alias:
            raise UnwritableGroup(
                f"{change.key}: alias records cannot be written with RFC 2136 "
                "(a standard DNS server has no alias type)"
            )


def _name_size(name: dns.name.Name) -> int:
    return sum(len(label) + 1 for label in name.labels)


def _owner_size(origin: dns.name.Name, name: dns.name.Name) -> int:
    """Upper bound of an owner name in a message: the zone name is already in the zone
    section, so at worst the labels below it are written out and then a 2-byte pointer."""
    if name.is_subdomain(origin):
        return sum(len(label) + 1 for label in name.relativize(origin).labels if label) + 2
    return _name_size(name)


def _rdata_size(rdata: dns.rdata.Rdata) -> int:
    wire = rdata.to_wire()  # uncompressed: an upper bound
    return len(wire) if wire is not None else 0


def _prereq_size(origin: dns.name.Name, prereq: Prereq) -> int:
    owner = _owner_size(origin, prereq.name) + _RR_FIXED
    if not prereq.rdatas:
        return owner
    return sum(owner + _rdata_size(r) for r in prereq.rdatas)


def _operation_size(origin: dns.name.Name, op: Operation) -> int:
    owner = _owner_size(origin, op.name) + _RR_FIXED
    return sum(owner + _rdata_size(r) for r in op.rdatas)
