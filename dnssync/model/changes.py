"""Changes and plans: what the planner decided, for renderers and providers."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from dnssync.model.diagnostics import Diagnostic
from dnssync.model.names import DomainName
from dnssync.model.records import RecordKey, RecordType, RRset


class Action(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Change:
    action: Action
    zone: DomainName
    new: RRset | None
    old: RRset | None
    owner_resource: str | None = None

    def __post_init__(self) -> None:
        needs_new = self.action is not Action.DELETE
        needs_old = self.action is not Action.CREATE
        if needs_new != (self.new is not None) or needs_old != (self.old is not None):
            raise ValueError(f"{self.action.value} change with wrong old/new sets")
        if self.new and self.old and self.new.key != self.old.key:
            raise ValueError("an update cannot change the name or type")

    @property
    def rrset(self) -> RRset:
        """The set this change is about (new one where there is one)."""
        rrset = self.new or self.old
        assert rrset is not None
        return rrset

    @property
    def key(self) -> RecordKey:
        return self.rrset.key

    @property
    def name(self) -> DomainName:
        return self.rrset.name

    @property
    def rtype(self) -> RecordType:
        return self.rrset.rtype


@dataclass(frozen=True, slots=True)
class ChangeGroup:
    """A record change together with its ownership TXT change.

    Providers must apply a group in one atomic request: a record and its TXT always travel
    together (docs/ownership.md).
    """

    changes: tuple[Change, ...]

    @property
    def primary(self) -> Change:
        return self.changes[0]

    @property
    def action(self) -> Action:
        return self.primary.action

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)


@dataclass(frozen=True, slots=True)
class ZonePlan:
    zone: DomainName
    groups: tuple[ChangeGroup, ...]
    owned_records: int = 0

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(c for g in self.groups for c in g.changes)


@dataclass(frozen=True, slots=True)
class Plan:
    zones: tuple[ZonePlan, ...]
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(c for z in self.zones for c in z.changes)

    @property
    def has_changes(self) -> bool:
        return any(z.groups for z in self.zones)

    def summary(self) -> dict[str, int]:
        counts = Counter(c.action.value for c in self.changes)
        return {a.value: counts.get(a.value, 0) for a in Action}
