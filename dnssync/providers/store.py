"""An RRset table with exact-state checks, shared by the embedded providers.

A change applies only when the zone holds exactly what the planner saw (``Change.old``),
so a concurrent writer is detected instead of clobbered; a group applies all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dnssync.errors import ProviderConflictError
from dnssync.model.changes import Action, Change, ChangeGroup
from dnssync.model.records import RecordKey, RecordType, RRset
from dnssync.providers.base import ApplyResult, GroupFailure


class RRsetStore:
    def __init__(self, rrsets: Iterable[RRset] = ()) -> None:
        self._sets: dict[RecordKey, RRset] = {r.key: r for r in rrsets}

    def rrsets(self) -> tuple[RRset, ...]:
        return tuple(self._sets[k] for k in sorted(self._sets))

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
        staged = dict(self._sets)
        for change in group:
            if change.action is Action.DELETE:
                del staged[change.key]
            else:
                assert change.new is not None
                staged[change.key] = change.new
        _check_cname_exclusive(staged, group)
        self._sets = staged

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


def _check_cname_exclusive(staged: dict[RecordKey, RRset], group: ChangeGroup) -> None:
    for change in group:
        if change.action is Action.DELETE:
            continue
        name = change.name
        types = {k.rtype for k in staged if k.name == name}
        if RecordType.CNAME in types and len(types) > 1:
            raise ProviderConflictError(f"{name.fqdn} would hold a CNAME and other data")


def _deletes_first(groups: Sequence[ChangeGroup]) -> list[ChangeGroup]:
    order = {Action.DELETE: 0, Action.UPDATE: 1, Action.CREATE: 2}
    return sorted(groups, key=lambda g: order[g.action])
