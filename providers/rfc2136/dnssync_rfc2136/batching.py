"""Packing groups into UPDATE messages under the size limit.

Groups keep their order (deletes first), never straddle two messages, and a message never
carries two groups writing the same RRset (the server would merge their prerequisites).
Sizes are upper bounds (owner names compressed only against the zone name, record data not
at all), so a packed message always fits; the sender still checks the rendered size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from dnssync.model.changes import Action, ChangeGroup

from .updates import GroupUpdate, Touch

_ORDER = {Action.DELETE: 0, Action.UPDATE: 1, Action.CREATE: 2}


def deletes_first(groups: Sequence[ChangeGroup]) -> list[ChangeGroup]:
    """Deletes, then updates, then creates; stable within each kind."""
    return sorted(groups, key=lambda g: _ORDER[g.action])


@dataclass(frozen=True, slots=True)
class Packing:
    batches: tuple[tuple[GroupUpdate, ...], ...]
    # Groups that do not fit in a message on their own.
    too_big: tuple[GroupUpdate, ...]


def pack(entries: Sequence[GroupUpdate], budget: int) -> Packing:
    """Greedy packing of ``entries`` into batches of at most ``budget`` bytes each."""
    too_big: list[GroupUpdate] = []
    batches = tuple(pack_stream(entries, budget, too_big))
    return Packing(batches, tuple(too_big))


def pack_stream(
    entries: Iterable[GroupUpdate], budget: int, too_big: list[GroupUpdate]
) -> Iterator[tuple[GroupUpdate, ...]]:
    """:func:`pack` as entries come: each batch is yielded as soon as it is full, so it can
    be sent while the next one is built. Entries over ``budget`` go to ``too_big``."""
    current: list[GroupUpdate] = []
    size = 0
    touched: set[Touch] = set()
    for entry in entries:
        if entry.size > budget:
            too_big.append(entry)
            continue
        if current and (size + entry.size > budget or touched & entry.touches):
            yield tuple(current)
            current, size, touched = [], 0, set()
        current.append(entry)
        size += entry.size
        touched |= entry.touches
    if current:
        yield tuple(current)
