"""An RRset table with exact-state checks, shared by the embedded providers.

A change applies only when the zone holds exactly what the planner saw (``Change.old``),
so a concurrent writer is detected instead of clobbered; a group applies all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dnssync.errors import ProviderConflictError
from dnssync.model.changes import Action, Change, ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import KEY_ORDER, RecordKey, RecordType, RRset
from dnssync.providers.base import ApplyResult, GroupFailure


class RRsetStore:
    def __init__(self, rrsets: Iterable[RRset] = ()) -> None:
        self._sets: dict[RecordKey, RRset] = {}
        self._types: dict[DomainName, set[RecordType]] = {}  # which types each name holds
        for rrset in rrsets:
            self._put(rrset)

    def rrsets(self) -> tuple[RRset, ...]:
        return tuple(self._sets[k] for k in sorted(self._sets, key=KEY_ORDER))

    def get(self, key: RecordKey) -> RRset | None:
        return self._sets.get(key)

    def apply(self, groups: Sequence[ChangeGroup]) -> ApplyResult:
        applied: list[ChangeGroup] = []
        failed: list[GroupFailure] = []
        for group in _deletes_first(groups):
            try:
                self.apply_group(group)
            except ProviderConflictError as exc:
                failed.append(GroupFailure(group, str(exc), conflict=True))
            else:
                applied.append(group)
        return ApplyResult(tuple(applied), tuple(failed))

    def apply_group(self, group: ChangeGroup) -> None:
        for change in group:
            self._check(change)
        # Apply in place, remembering what was there, so a group costs O(its size) and
        # a CNAME clash can be rolled back exactly.
        undo: list[tuple[RecordKey, RRset | None]] = []
        for change in group:
            undo.append((change.key, self._sets.get(change.key)))
            if change.action is Action.DELETE:
                self._remove(change.key)
            else:
                assert change.new is not None
                self._put(change.new)
        try:
            self._check_cname_exclusive(group)
        except ProviderConflictError:
            for key, previous in reversed(undo):
                if previous is None:
                    self._remove(key)
                else:
                    self._put(previous)
            raise

    def _put(self, rrset: RRset) -> None:
        self._sets[rrset.key] = rrset
        self._types.setdefault(rrset.name, set()).add(rrset.rtype)

    def _remove(self, key: RecordKey) -> None:
        if self._sets.pop(key, None) is not None:
            types = self._types.get(key.name)
            if types is not None:
                types.discard(key.rtype)
                if not types:
                    del self._types[key.name]

    def _check_cname_exclusive(self, group: ChangeGroup) -> None:
        for change in group:
            if change.action is Action.DELETE:
                continue
            types = self._types.get(change.name, set())
            if RecordType.CNAME in types and len(types) > 1:
                raise ProviderConflictError(f"{change.name.fqdn} would hold a CNAME and other data")

    def _check(self, change: Change) -> None:
        current = self._sets.get(change.key)
        if change.action is Action.CREATE:
            if current is not None:
                raise ProviderConflictError(f"{change.key} already exists: {current}")
        elif current is None or current != change.old:
            seen = str(current) if current else "nothing"
            raise ProviderConflictError(
                f"{change.key} changed since it was read: expected {change.old}, found {seen}"
            )


def _deletes_first(groups: Sequence[ChangeGroup]) -> list[ChangeGroup]:
    order = {Action.DELETE: 0, Action.UPDATE: 1, Action.CREATE: 2}
    return sorted(groups, key=lambda g: order[g.action])
