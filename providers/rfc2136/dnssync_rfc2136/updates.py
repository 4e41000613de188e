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
chunks by another tool still matches). Every record is encoded once, when its group is
built (encoding.py), so a group's size is exact and a message is its records joined.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from dnssync.errors import DnssyncError
from dnssync.model.changes import Action, Change, ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import RecordType, RRset

from .encoding import (
    ANY_TYPE,
    CLASS_IN,
    CLASS_NONE,
    HEADER,
    TYPE_CODES,
    SignedUpdate,
    Unencodable,
    message,
    owner_wire,
    rdata_wire,
    record,
    tsig_size,
    zone_section_size,
)
from .tsig import TsigKey

_CNAME_CODE = TYPE_CODES[RecordType.CNAME]


class PrereqKind(enum.Enum):
    ABSENT_RRSET = "absent-rrset"  # RFC 2136 2.4.3, RRset does not exist
    ABSENT_NAME = "absent-name"  # 2.4.5, name is not in use
    EXACT_RRSET = "exact-rrset"  # 2.4.2, RRset exists (value dependent)


@dataclass(frozen=True, slots=True)
class Prereq:
    kind: PrereqKind
    name: DomainName
    rtype: RecordType | None
    records: tuple[bytes, ...]  # encoded, one per RR


class OpKind(enum.Enum):
    ADD = "add"
    DELETE_RECORDS = "delete-records"


@dataclass(frozen=True, slots=True)
class Operation:
    kind: OpKind
    name: DomainName
    rtype: RecordType
    records: tuple[bytes, ...]  # encoded, one per RR


Touch = tuple[DomainName, RecordType]


@dataclass(frozen=True, slots=True)
class GroupUpdate:
    group: ChangeGroup
    prereqs: tuple[Prereq, ...]
    operations: tuple[Operation, ...]
    # CNAME-exclusivity prerequisites, dropped from messages that touch what they check.
    guards: tuple[Prereq, ...]
    # (name, type) pairs the operations write.
    touches: frozenset[Touch]
    # The group's bytes in a message, guards included (exact: see encoding.py).
    size: int


class UnwritableGroup(DnssyncError):
    """A group this provider cannot express (alias data, a name outside the zone)."""


# The record data of an RRset as it is to be quoted: the server's own, or the model's.
WireOf = Callable[[RRset], Sequence[bytes]]


def model_wire(rrset: RRset) -> Sequence[bytes]:
    return [rdata_wire(v) for v in rrset.values]


def build(zone: DomainName, group: ChangeGroup, wire_of: WireOf = model_wire) -> GroupUpdate:
    """The prerequisites and operations of one group (raises UnwritableGroup)."""
    prereqs: list[Prereq] = []
    operations: list[Operation] = []
    guards: list[Prereq] = []
    for change in group:
        _check_writable(zone, change)
        try:
            _build_change(zone, change, wire_of, prereqs, operations, guards)
        except Unencodable as exc:
            raise UnwritableGroup(f"{change.key}: {exc}") from None
    touches = frozenset((op.name, op.rtype) for op in operations)
    parts: list[Prereq | Operation] = [*prereqs, *guards, *operations]
    size = sum(len(r) for part in parts for r in part.records)
    return GroupUpdate(group, tuple(prereqs), tuple(operations), tuple(guards), touches, size)


def _build_change(
    zone: DomainName,
    change: Change,
    wire_of: WireOf,
    prereqs: list[Prereq],
    operations: list[Operation],
    guards: list[Prereq],
) -> None:
    # A first converge builds tens of thousands of these: each property is read once.
    new, old = change.new, change.old
    rrset = new or old
    assert rrset is not None
    name, rtype = rrset.name, rrset.rtype
    owner = owner_wire(zone, name)
    code = TYPE_CODES[rtype]
    if old is None:
        prereqs.append(
            Prereq(PrereqKind.ABSENT_RRSET, name, rtype, (record(owner, code, CLASS_NONE, 0),))
        )
        if rtype is RecordType.CNAME:
            empty = record(owner, ANY_TYPE, CLASS_NONE, 0)
            guards.append(Prereq(PrereqKind.ABSENT_NAME, name, None, (empty,)))
        else:
            no_cname = record(owner, _CNAME_CODE, CLASS_NONE, 0)
            guards.append(Prereq(PrereqKind.ABSENT_RRSET, name, RecordType.CNAME, (no_cname,)))
    else:
        quoted = tuple(wire_of(old))
        # Rdata with TTL 0 and the zone's class, as RFC 2136 section 2.4.2 requires.
        exact = tuple(record(owner, code, CLASS_IN, 0, data) for data in quoted)
        prereqs.append(Prereq(PrereqKind.EXACT_RRSET, name, rtype, exact))
        gone = tuple(record(owner, code, CLASS_NONE, 0, data) for data in quoted)
        operations.append(Operation(OpKind.DELETE_RECORDS, name, rtype, gone))
    if new is not None:
        ttl = new.ttl
        added = tuple(record(owner, code, CLASS_IN, ttl, rdata_wire(v)) for v in new.values)
        operations.append(Operation(OpKind.ADD, name, rtype, added))


def overhead(zone: DomainName, key: TsigKey | None) -> int:
    """Bytes of a message that are not groups: header, zone section, TSIG record."""
    size = HEADER.size + zone_section_size(zone)
    if key is not None:
        size += tsig_size(key)
    return size


def render(zone: DomainName, entries: Sequence[GroupUpdate], key: TsigKey | None) -> SignedUpdate:
    """One UPDATE message carrying the entries, in order."""
    touched = _Touched(entries)
    prerequisites: list[bytes] = []
    for entry in entries:
        for prereq in (*entry.prereqs, *touched.kept_guards(entry)):
            prerequisites.extend(prereq.records)
    updates = [r for entry in entries for op in entry.operations for r in op.records]
    return message(zone, prerequisites, updates, key)


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


def unguarded(entries: Sequence[GroupUpdate]) -> list[GroupUpdate]:
    """The entries of one message that lost a CNAME guard to another write in it: the only
    groups a server can answer NOERROR to and still ignore in part."""
    touched = _Touched(entries)
    return [e for e in entries if len(touched.kept_guards(e)) != len(e.guards)]


class _Touched:
    """What one message writes, to decide which guards it can keep."""

    def __init__(self, entries: Sequence[GroupUpdate]) -> None:
        self._cnames = {n for e in entries for n, t in e.touches if t is RecordType.CNAME}
        self._other = {n for e in entries for n, t in e.touches if t is not RecordType.CNAME}

    def kept_guards(self, entry: GroupUpdate) -> list[Prereq]:
        kept: list[Prereq] = []
        for guard in entry.guards:
            if guard.kind is PrereqKind.ABSENT_NAME:
                # The new CNAME's name: skip when the message also writes other data there.
                if guard.name in self._other:
                    continue
            elif guard.name in self._cnames:
                continue
            kept.append(guard)
        return kept


def _check_writable(zone: DomainName, change: Change) -> None:
    rrset = change.new or change.old
    assert rrset is not None
    if change.zone != zone or not rrset.name.is_subdomain_of(zone):
        raise UnwritableGroup(f"{change.key} is not inside zone {zone.fqdn}")
    if rrset.rtype not in _ALIASABLE:
        return
    for each in (change.new, change.old):
        if each is not None and each.is_alias:
            raise UnwritableGroup(
                f"{change.key}: alias records cannot be written with RFC 2136 "
                "(a standard DNS server has no alias type)"
            )


# Only A and AAAA sets can hold alias values (model/records.py).
_ALIASABLE = frozenset({RecordType.A, RecordType.AAAA})
