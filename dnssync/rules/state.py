"""The desired state: every object's claims, merged name by name, kept up to date.

``DesiredState.build(objects)`` computes it from a snapshot (``plan``, ``apply``, the
daemon's full resync); :meth:`DesiredState.apply` takes changed objects (the daemon's
events) and re-runs the rules only for them and for the objects that read them (a
Gateway's routes, the routes of a Namespace whose labels matter), then merges only the
names whose claims changed. Both go through the same code, so they cannot disagree.

Merging a name needs the claims at that name, and for its SRV claims whether their target
names are refused: a reverse index (target name -> SRV names) finds the SRV names to merge
again when a target's refusal or CNAME changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from dnssync.model.diagnostics import Diagnostic
from dnssync.model.names import DomainName
from dnssync.model.records import KEY_ORDER, RecordKey
from dnssync.rules.claims import AddressClaim, SrvClaim
from dnssync.rules.dependencies import DependencyIndex
from dnssync.rules.evaluate import (
    NAMESPACE,
    NOTHING,
    Evaluation,
    ObjectClaims,
    ObjectKey,
    Parsed,
    evaluate,
    key_of,
    parse,
    ref_of,
)
from dnssync.rules.merge import (
    NO_ADDRESSES,
    NO_SRV,
    AddressMerge,
    DesiredRecord,
    MergeResult,
    SrvMerge,
    merge_addresses,
    merge_srv,
)
from dnssync.rules.settings import RuleSettings
from dnssync.sources.objects import SourceObject

GONE = Evaluation(NOTHING)
ClaimT = TypeVar("ClaimT", AddressClaim, SrvClaim)
V = TypeVar("V")


class NameState:
    """The merged result at one name (its records and diagnostics computed once)."""

    __slots__ = ("addresses", "has_diagnostics", "records", "srv")

    def __init__(self, addresses: AddressMerge = NO_ADDRESSES, srv: SrvMerge = NO_SRV) -> None:
        self.addresses = addresses
        self.srv = srv
        self.records: tuple[DesiredRecord, ...] = (
            addresses.records if srv.record is None else (*addresses.records, srv.record)
        )
        self.has_diagnostics = bool(addresses.diagnostics or srv.diagnostics)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NameState):
            return NotImplemented
        return self.addresses == other.addresses and self.srv == other.srv

    def __hash__(self) -> int:
        return hash((self.addresses, self.srv))


EMPTY_NAME = NameState()


@dataclass(frozen=True, slots=True)
class Delta:
    """What one :meth:`DesiredState.apply` changed."""

    # Names whose desired records changed: what a plan has to look at.
    names: frozenset[DomainName] = frozenset()
    # Objects whose claims changed (or that are gone): records they own may need a look.
    objects: frozenset[ObjectKey] = frozenset()
    # Objects whose rules ran (the dnssync_rule_evaluations_total metric).
    evaluated: int = 0
    diagnostics_changed: bool = False


class DesiredState:
    """Not thread-safe: one reconcile thread owns it."""

    def __init__(self, settings: RuleSettings) -> None:
        self.settings = settings
        self._objects: dict[ObjectKey, Parsed] = {}
        self._kinds: Counter[str] = Counter()
        self._deps: DependencyIndex[ObjectKey] = DependencyIndex()
        self._claims: dict[ObjectKey, ObjectClaims] = {}
        self._addresses: dict[DomainName, dict[ObjectKey, tuple[AddressClaim, ...]]] = {}
        self._srv: dict[DomainName, dict[ObjectKey, tuple[SrvClaim, ...]]] = {}
        # SRV target name -> the SRV names with a claim through it (and how many).
        self._via: dict[DomainName, Counter[DomainName]] = {}
        self._names: dict[DomainName, NameState] = {}
        self._records: dict[RecordKey, DesiredRecord] = {}
        self._refused: set[DomainName] = set()
        # Names published as a CNAME: an SRV must not target one (RFC 2782).
        self._aliases: set[DomainName] = set()
        self._keep: set[str] = set()
        self._object_diagnostics: dict[ObjectKey, tuple[Diagnostic, ...]] = {}
        self._name_diagnostics: set[DomainName] = set()
        self._duplicates: tuple[Diagnostic, ...] = ()
        self._diagnostics: list[Diagnostic] | None = None
        self.evaluations = 0

    # ------------------------------------------------------------------ building

    @classmethod
    def build(cls, objects: Iterable[SourceObject], settings: RuleSettings) -> DesiredState:
        state = cls(settings)
        state.load(objects)
        return state

    def load(self, objects: Iterable[SourceObject]) -> Delta:
        """Make ``objects`` (a whole snapshot) the state's objects."""
        updates: dict[ObjectKey, SourceObject | None] = dict.fromkeys(self._objects)
        seen: set[ObjectKey] = set()
        duplicates: list[Diagnostic] = []
        for obj in objects:
            key = key_of(obj)
            if key in seen:
                # Only manifests can do this; the cluster has one object per key.
                duplicates.append(
                    Diagnostic(
                        str(ref_of(key)),
                        "",
                        "is defined more than once; the last definition is used",
                        ref=None if key[0] == NAMESPACE else ref_of(key),
                        reason="DuplicateObject",
                    )
                )
            seen.add(key)
            updates[key] = obj
        if tuple(duplicates) != self._duplicates:
            self._duplicates = tuple(duplicates)
            self._diagnostics = None
        delta = self.apply(updates)
        if duplicates:
            return Delta(delta.names, delta.objects, delta.evaluated, True)
        return delta

    def apply(self, updates: Mapping[ObjectKey, SourceObject | None]) -> Delta:
        """Objects added or changed (the object) or gone (None), by key."""
        changed: list[ObjectKey] = []
        for key, obj in updates.items():
            before = self._objects.get(key)
            if obj is None:
                if before is None:
                    continue
                del self._objects[key]
                self._kinds[key[0]] -= 1
            else:
                if before is not None and before.obj == obj:
                    continue
                if before is None:
                    self._kinds[key[0]] += 1
                self._objects[key] = parse(obj)
            changed.append(key)
        todo = {k for k in changed if k[0] != NAMESPACE} | self._deps.dependents(changed)
        touched: set[DomainName] = set()
        objects: set[ObjectKey] = set()
        evaluated = 0
        diagnostics_changed = False
        for key in todo:
            parsed = self._objects.get(key)
            if parsed is None:
                evaluation = GONE
            else:
                evaluation = evaluate(parsed, self, self.settings)
                evaluated += 1
            self._deps.update(key, evaluation.needs)
            old = self._claims.get(key, NOTHING)
            if evaluation.claims == old:
                continue
            objects.add(key)
            diagnostics_changed |= old.diagnostics != evaluation.claims.diagnostics
            self._replace(key, old, evaluation.claims, touched)
        self.evaluations += evaluated
        names, merge_diagnostics = self._merge(touched)
        diagnostics_changed |= merge_diagnostics
        if diagnostics_changed:
            self._diagnostics = None
        return Delta(frozenset(names), frozenset(objects), evaluated, diagnostics_changed)

    # ------------------------------------------------------------------ reading

    def get(self, key: ObjectKey) -> Parsed | None:
        return self._objects.get(key)

    @property
    def records(self) -> Mapping[RecordKey, DesiredRecord]:
        return self._records

    @property
    def record_count(self) -> int:
        return len(self._records)

    def records_at(self, names: Iterable[DomainName]) -> dict[RecordKey, DesiredRecord]:
        found: dict[RecordKey, DesiredRecord] = {}
        for name in names:
            state = self._names.get(name)
            if state is not None:
                found.update((r.rrset.key, r) for r in state.records)
        return found

    @property
    def keep(self) -> frozenset[str]:
        return frozenset(self._keep)

    @property
    def refused(self) -> frozenset[DomainName]:
        return frozenset(self._refused)

    def count(self, kind: str) -> int:
        return self._kinds.get(kind, 0)

    def diagnostics(self) -> list[Diagnostic]:
        """Problems of every object (in key order), then those of merging (by name)."""
        if self._diagnostics is None:
            found = list(self._duplicates)
            for key in sorted(self._object_diagnostics):
                found.extend(self._object_diagnostics[key])
            names = sorted(self._name_diagnostics, key=_text)
            for name in names:
                found.extend(self._names[name].addresses.diagnostics)
            for name in names:
                found.extend(self._names[name].srv.diagnostics)
            self._diagnostics = found
        return self._diagnostics

    def result(self) -> MergeResult:
        """Everything, as one value (ordered, so equal states give equal results)."""
        records = {k: self._records[k] for k in sorted(self._records, key=KEY_ORDER)}
        return MergeResult(records, list(self.diagnostics()), set(self._refused), set(self._keep))

    # ------------------------------------------------------------------ internals

    def _replace(
        self, key: ObjectKey, old: ObjectClaims, new: ObjectClaims, touched: set[DomainName]
    ) -> None:
        for address in old.addresses:
            _discard(self._addresses, address.name, key)
            touched.add(address.name)
        for srv in old.srv:
            _discard(self._srv, srv.name, key)
            touched.add(srv.name)
            for target in _targets(srv):
                counts = self._via[target]
                counts[srv.name] -= 1
                if counts[srv.name] <= 0:
                    del counts[srv.name]
                if not counts:
                    del self._via[target]
        for address in new.addresses:
            at = self._addresses.setdefault(address.name, {})
            at[key] = (*at.get(key, ()), address)
            touched.add(address.name)
        for srv in new.srv:
            srv_at = self._srv.setdefault(srv.name, {})
            srv_at[key] = (*srv_at.get(key, ()), srv)
            touched.add(srv.name)
            for target in _targets(srv):
                self._via.setdefault(target, Counter())[srv.name] += 1
        if new.keep != old.keep:
            ref = str(ref_of(key))
            if new.keep:
                self._keep.add(ref)
            else:
                self._keep.discard(ref)
        if new.diagnostics:
            self._object_diagnostics[key] = new.diagnostics
        elif old.diagnostics:
            del self._object_diagnostics[key]
        if new == NOTHING:
            self._claims.pop(key, None)
        else:
            self._claims[key] = new

    def _merge(self, touched: set[DomainName]) -> tuple[set[DomainName], bool]:
        """Merge the touched names again; returns the names whose records changed."""
        # First the address records: they decide which names are refused ...
        merged, flipped = self._merge_addresses(touched)
        # ... which an SRV elsewhere may target (refused names and CNAMEs never are): it
        # is written or dropped now.
        for name in {n for f in flipped for n in self._via.get(f, ()) if n not in touched}:
            merged.append((name, None))
        changed: set[DomainName] = set()
        diagnostics_changed = False
        for name, address in merged:
            records_changed, diagnostics = self._settle(name, address)
            if records_changed:
                changed.add(name)
            diagnostics_changed |= diagnostics
        return changed, diagnostics_changed

    def _merge_addresses(
        self, touched: set[DomainName]
    ) -> tuple[list[tuple[DomainName, AddressMerge | None]], list[DomainName]]:
        """The address merge of each touched name, and the names that became or stopped
        being refused or a CNAME."""
        merged: list[tuple[DomainName, AddressMerge | None]] = []
        flipped: list[DomainName] = []
        for name in touched:
            found = merge_addresses(name, self._claims_at(self._addresses, name), name in self._srv)
            merged.append((name, found))
            if _toggle(self._refused, name, found.refused):
                flipped.append(name)
            if _toggle(self._aliases, name, found.is_alias):
                flipped.append(name)
        return merged, flipped

    def _settle(self, name: DomainName, address: AddressMerge | None) -> tuple[bool, bool]:
        """Store the merge of name (``address`` None: its address merge is unchanged, only
        its SRV is merged again); returns whether its records and its diagnostics
        changed."""
        old = self._names.get(name, EMPTY_NAME)
        if address is None:
            address = old.addresses
        new = NameState(address, self._merge_srv(name, address))
        if new == old:
            return False, False
        if new == EMPTY_NAME:
            del self._names[name]
        else:
            self._names[name] = new
        if new.has_diagnostics:
            self._name_diagnostics.add(name)
        elif old.has_diagnostics:
            self._name_diagnostics.discard(name)
        diagnostics_changed = old.has_diagnostics or new.has_diagnostics
        if old.records == new.records:
            return False, diagnostics_changed
        for record in old.records:
            del self._records[record.rrset.key]
        for record in new.records:
            self._records[record.rrset.key] = record
        return True, diagnostics_changed

    def _merge_srv(self, name: DomainName, address: AddressMerge) -> SrvMerge:
        if name not in self._srv:
            return NO_SRV
        return merge_srv(
            name,
            self._claims_at(self._srv, name),
            address.blocks_srv,
            self._refused,
            self._aliases,
        )

    @staticmethod
    def _claims_at(
        index: Mapping[DomainName, Mapping[ObjectKey, tuple[ClaimT, ...]]], name: DomainName
    ) -> list[ClaimT]:
        # Sorted by object, so the result never depends on the order events came in.
        at = index.get(name)
        if not at:
            return []
        if len(at) == 1:
            return list(next(iter(at.values())))
        return [claim for key in sorted(at) for claim in at[key]]


def _targets(claim: SrvClaim) -> set[DomainName]:
    """The names whose merge decides whether this SRV may be written."""
    found = {claim.data.target}
    if claim.via_name is not None:
        found.add(claim.via_name)
    return found


def _toggle(names: set[DomainName], name: DomainName, member: bool) -> bool:
    """Make ``name in names`` equal ``member``; True when that changed it."""
    if member == (name in names):
        return False
    if member:
        names.add(name)
    else:
        names.discard(name)
    return True


def _text(name: DomainName) -> str:
    return name.text


def _discard(index: dict[DomainName, dict[ObjectKey, V]], name: DomainName, key: ObjectKey) -> None:
    at = index.get(name)
    if at is None:
        return
    at.pop(key, None)
    if not at:
        del index[name]
