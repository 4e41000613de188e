"""Send batches; when Route53 rejects one, split it until each bad group stands alone.

A rejected batch changed nothing (Route53 batches are all-or-nothing). It is split first
around the groups that Route53's messages name (those are retried one by one, the rest
together), and in halves when the messages name nothing usable. A group rejected on its
own is reported with Route53's message; every other group is applied. Order is kept: the
parts of a split batch are sent in their original order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dnssync.errors import ProviderError
from dnssync.providers.base import GroupFailure

from .batching import Batch, Element, Prepared
from .rejections import BatchRejected, named_in

log = logging.getLogger(__name__)

Send = Callable[[list[Element]], None]


@dataclass
class Outcome:
    applied: list[Prepared] = field(default_factory=list)
    failed: list[GroupFailure] = field(default_factory=list)
    requests: int = 0
    rejected: int = 0
    settled: set[int] = field(default_factory=set)


def describe(member: Prepared) -> str:
    return ", ".join(sorted({f"{c.name.fqdn} {c.rtype.value}" for c in member.group}))


def submit(batches: Sequence[Batch], send: Send) -> Outcome:
    """Apply the batches in order. Raises ProviderError only when nothing was applied."""
    outcome = Outcome()
    pending = [list(b.members) for b in batches]
    for index, members in enumerate(pending):
        try:
            _submit(members, send, outcome)
        except ProviderError as exc:
            if not outcome.applied:
                raise
            for rest in pending[index:]:
                for member in rest:
                    if id(member) not in outcome.settled:
                        outcome.failed.append(
                            GroupFailure(member.group, f"{describe(member)}: not applied: {exc}")
                        )
            break
    return outcome


def _submit(members: list[Prepared], send: Send, outcome: Outcome) -> None:
    outcome.requests += 1
    try:
        send(Batch(tuple(members)).elements())
    except BatchRejected as rejection:
        outcome.rejected += 1
        if len(members) == 1:
            member = members[0]
            message = f"{describe(member)}: Route53 rejected the change: " + "; ".join(
                rejection.messages
            )
            log.warning("%s", message)
            outcome.failed.append(GroupFailure(member.group, message, rejection.conflict))
            outcome.settled.add(id(member))
            return
        for part in _split(members, rejection):
            _submit(part, send, outcome)
    else:
        outcome.applied.extend(members)
        outcome.settled.update(id(m) for m in members)


def _split(members: list[Prepared], rejection: BatchRejected) -> list[list[Prepared]]:
    named = named_in(rejection.messages)
    if named:
        suspects = [m for m in members if any(named.mentions(c.name, c.rtype) for c in m.group)]
        if suspects and len(suspects) < len(members) and _safe_to_set_aside(members, suspects):
            rest = [m for m in members if m not in suspects]
            return [rest, *([s] for s in suspects)]
    middle = len(members) // 2
    return [members[:middle], members[middle:]]


def _safe_to_set_aside(members: list[Prepared], suspects: list[Prepared]) -> bool:
    """Sending the suspects after the rest must not reorder changes at one name."""
    suspect_names = {c.name for s in suspects for c in s.group}
    others = [m for m in members if m not in suspects]
    return not any(c.name in suspect_names for m in others for c in m.group)
