"""What a source hands the rules: projected objects and the problems met reading them."""

from __future__ import annotations

from dataclasses import dataclass

from dnssync.model.diagnostics import Diagnostic
from dnssync.sources.objects import SourceObject


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """How far a source could be read, without its objects (cheap to ask for)."""

    # False when part of the input could not be read (a broken file, a failed list): then
    # nothing may be deleted, since a missing object may only be unreadable.
    complete: bool = True
    # Objects that exist but could not be projected: their records are kept as they are.
    unreadable: frozenset[str] = frozenset()
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceSnapshot:
    objects: tuple[SourceObject, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    # False when part of the input could not be read (a broken file, a failed list): then
    # nothing may be deleted, since a missing object may only be unreadable.
    complete: bool = True
    # Objects that exist but could not be projected: their records are kept as they are.
    unreadable: frozenset[str] = frozenset()

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(self.complete, self.unreadable, self.diagnostics)
