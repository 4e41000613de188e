"""Route53 change batches: render groups, weigh them, pack them within the limits.

Every ``ChangeGroup`` (a record and its ownership TXT) stays in one batch. Within a batch
all DELETEs come before all CREATEs; batches are filled in order (groups that only delete
first, then updates, then creates), so deletes also precede creates across batches.

Weights follow Route53's quotas for one ChangeResourceRecordSets request: Change elements,
ResourceRecord elements and characters of Value elements, where an UPSERT counts twice.
Alias sets have no ResourceRecord; they are counted as one value of their DNS name's length
(slightly conservative).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dnssync.model.changes import Action, ChangeGroup

from .options import BatchLimits

Element = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Weight:
    changes: int = 0
    values: int = 0
    characters: int = 0

    def __add__(self, other: Weight) -> Weight:
        return Weight(
            self.changes + other.changes,
            self.values + other.values,
            self.characters + other.characters,
        )

    def fits(self, limits: BatchLimits) -> bool:
        return (
            self.changes <= limits.changes
            and self.values <= limits.values
            and self.characters <= limits.characters
        )

    def excess(self, limits: BatchLimits) -> str:
        over = []
        if self.changes > limits.changes:
            over.append(f"{self.changes} changes (limit {limits.changes})")
        if self.values > limits.values:
            over.append(f"{self.values} values (limit {limits.values})")
        if self.characters > limits.characters:
            over.append(f"{self.characters} characters of values (limit {limits.characters})")
        return ", ".join(over)


def weigh(element: Element) -> Weight:
    rrset = element["ResourceRecordSet"]
    factor = 2 if element["Action"] == "UPSERT" else 1
    if "AliasTarget" in rrset:
        values, characters = 1, len(rrset["AliasTarget"]["DNSName"])
    else:
        records = rrset.get("ResourceRecords") or ()
        values, characters = len(records), sum(len(r["Value"]) for r in records)
    return Weight(factor, factor * values, factor * characters)


@dataclass(frozen=True, slots=True)
class Prepared:
    """One group rendered as Route53 Change elements."""

    group: ChangeGroup
    deletes: tuple[Element, ...]
    creates: tuple[Element, ...]

    @property
    def weight(self) -> Weight:
        total = Weight()
        for element in (*self.deletes, *self.creates):
            total = total + weigh(element)
        return total

    @property
    def phase(self) -> int:
        if not self.creates:
            return 0
        if self.deletes or self.group.action is Action.UPDATE:
            return 1
        return 2


@dataclass(frozen=True, slots=True)
class Batch:
    members: tuple[Prepared, ...]

    def elements(self) -> list[Element]:
        return [e for p in self.members for e in p.deletes] + [
            e for p in self.members for e in p.creates
        ]

    @property
    def weight(self) -> Weight:
        total = Weight()
        for member in self.members:
            total = total + member.weight
        return total


def order(prepared: Sequence[Prepared]) -> list[Prepared]:
    """Deleting groups first, then updates, then creates; stable otherwise."""
    return sorted(prepared, key=lambda p: p.phase)


def pack(prepared: Sequence[Prepared], limits: BatchLimits) -> list[Batch]:
    """Fill batches in order, each as full as the limits allow (groups are never split).

    Every group must fit a batch on its own (see :func:`oversized`)."""
    batches: list[Batch] = []
    current: list[Prepared] = []
    used = Weight()
    for member in order(prepared):
        weight = member.weight
        if current and not (used + weight).fits(limits):
            batches.append(Batch(tuple(current)))
            current, used = [], Weight()
        current.append(member)
        used = used + weight
    if current:
        batches.append(Batch(tuple(current)))
    return batches


def oversized(member: Prepared, limits: BatchLimits) -> str | None:
    weight = member.weight
    return None if weight.fits(limits) else weight.excess(limits)


def lower_bound(prepared: Sequence[Prepared], limits: BatchLimits) -> int:
    """The fewest batches any packing could use (for tests and benchmarks)."""
    total = Weight()
    for member in prepared:
        total = total + member.weight
    return max(
        -(-total.changes // limits.changes),
        -(-total.values // limits.values),
        -(-total.characters // limits.characters),
        1 if prepared else 0,
    )
