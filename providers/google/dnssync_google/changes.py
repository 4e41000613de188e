"""Applying change groups to one managed zone as Cloud DNS changes.

- Groups are sent deletes first, packed in order into changes of at most
  ``batch_size`` additions plus deletions; a group (a record and its ownership TXT) is
  never split across two changes, so it stays atomic.
- An update is the deletion of the exact record set that was read plus an addition.
- A change is atomic on the server. When one is refused because the zone is not what the
  planner saw (404/409/412, CNAME clash) or as invalid (400), it is split in halves and
  retried until the bad groups are isolated: those are reported, the rest are applied.
- After each change dnssync waits for its status ``done`` (bounded by a deadline) before
  sending the next, so later changes see the earlier ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dnssync.errors import ProviderError
from dnssync.model.changes import Action, ChangeGroup
from dnssync.model.records import RRset
from dnssync.providers.base import ApplyResult, GroupFailure

from .api import ApiError, ChangeTicket, CloudDnsApi, WireRRset
from .backoff import DEFAULT_CLOCK, DEFAULT_SLEEP, Backoff, Clock, Sleep
from .failures import ApiFailure, Kind
from .rrsets import to_wire

ExactOld = Callable[[RRset], WireRRset]


def entries(group: ChangeGroup) -> int:
    """Additions plus deletions a group puts into a change (an update counts twice)."""
    return sum((c.old is not None) + (c.new is not None) for c in group)


def deletes_first(groups: Sequence[ChangeGroup]) -> list[ChangeGroup]:
    order = {Action.DELETE: 0, Action.UPDATE: 1, Action.CREATE: 2}
    return sorted(groups, key=lambda g: order[g.action])


def make_batches(groups: Sequence[ChangeGroup], size: int) -> list[list[ChangeGroup]]:
    """Pack groups, in order, into batches of at most ``size`` entries (never split one)."""
    batches: list[list[ChangeGroup]] = []
    current: list[ChangeGroup] = []
    used = 0
    for group in groups:
        need = entries(group)
        if current and used + need > size:
            batches.append(current)
            current, used = [], 0
        current.append(group)
        used += need
    if current:
        batches.append(current)
    return batches


def wire_change(
    groups: Sequence[ChangeGroup], exact_old: ExactOld
) -> tuple[list[WireRRset], list[WireRRset]]:
    """The additions and deletions of one Cloud DNS change for these groups."""
    additions: list[WireRRset] = []
    deletions: list[WireRRset] = []
    for group in groups:
        for change in group:
            if change.old is not None:
                deletions.append(exact_old(change.old))
            if change.new is not None:
                additions.append(to_wire(change.new))
    return additions, deletions


class ChangeNotDone(ProviderError):
    """A change was accepted but did not reach ``done`` before the deadline."""


@dataclass
class ChangeWaiter:
    """Polls a change until it is ``done``, with bounded backoff, within ``timeout`` s."""

    api: CloudDnsApi
    timeout: float = 120.0
    poll: Backoff = field(default_factory=lambda: Backoff(attempts=0, base=0.25, cap=4.0))
    sleep: Sleep = DEFAULT_SLEEP
    clock: Clock = DEFAULT_CLOCK

    def wait(self, zone: str, ticket: ChangeTicket) -> None:
        deadline = self.clock() + self.timeout
        status, polls = ticket.status, 0
        while status != "done":
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise ChangeNotDone(
                    f"Cloud DNS change {ticket.id} in managed zone {zone!r} was accepted but is "
                    f"still {status!r} after {self.timeout:g}s; the next run re-reads the zone"
                )
            self.sleep(min(self.poll.delay(polls), remaining))
            polls += 1
            status = self.api.change_status(zone, ticket.id)


@dataclass
class _Run:
    applied: list[ChangeGroup] = field(default_factory=list)
    failed: list[GroupFailure] = field(default_factory=list)

    def done(self) -> set[int]:
        return {id(g) for g in self.applied} | {id(f.group) for f in self.failed}


class ZoneGone(ProviderError):
    pass


class ChangeApplier:
    def __init__(
        self,
        api: CloudDnsApi,
        zone: str,
        zone_label: str,
        batch_size: int,
        waiter: ChangeWaiter,
        exact_old: ExactOld,
    ) -> None:
        self._api = api
        self._zone = zone
        self._label = zone_label
        self._batch_size = batch_size
        self._waiter = waiter
        self._exact_old = exact_old
        self._zone_seen = False  # set once a 404 was checked against the zone itself

    def apply(self, groups: Sequence[ChangeGroup]) -> ApplyResult:
        ordered = deletes_first(groups)
        run = _Run()
        try:
            for batch in make_batches(ordered, self._batch_size):
                self._submit(batch, run)
        except ProviderError as exc:
            if not run.applied:
                raise
            # Something was applied: report the rest as not applied instead of losing that.
            done = run.done()
            for group in ordered:
                if id(group) not in done:
                    run.failed.append(GroupFailure(group, f"not applied: {exc}"))
        return ApplyResult(tuple(run.applied), tuple(run.failed))

    def _submit(self, batch: list[ChangeGroup], run: _Run) -> None:
        additions, deletions = wire_change(batch, self._exact_old)
        try:
            ticket = self._api.create_change(self._zone, additions, deletions)
        except ApiError as exc:
            failure = exc.failure
            if failure.kind is Kind.NOT_FOUND and not self._zone_exists():
                raise ZoneGone(
                    f"managed zone {self._label} no longer exists in project {self._api.project!r}"
                ) from exc
            if failure.kind not in (Kind.CONFLICT, Kind.NOT_FOUND, Kind.INVALID):
                raise
            if len(batch) == 1:
                run.failed.append(_failure(batch[0], failure))
                return
            middle = len(batch) // 2
            self._submit(batch[:middle], run)
            self._submit(batch[middle:], run)
            return
        self._waiter.wait(self._zone, ticket)
        run.applied.extend(batch)

    def _zone_exists(self) -> bool:
        # A 404 means a deletion found nothing (a conflict) or the zone itself is gone; the
        # two share the reason notFound, so ask about the zone (once per apply).
        if not self._zone_seen:
            self._zone_seen = self._api.zone_exists(self._zone)
        return self._zone_seen


def _failure(group: ChangeGroup, failure: ApiFailure) -> GroupFailure:
    what = ", ".join(f"{c.action.value} {c.key}" for c in group)
    conflict = failure.kind is not Kind.INVALID
    if conflict:
        message = (
            f"{what}: {failure.describe()}; nothing was overwritten, the next run re-reads the zone"
        )
    else:
        message = f"{what}: refused by Cloud DNS: {failure.describe()}" + _star_hint(group)
    return GroupFailure(group, message, conflict=conflict)


def _star_hint(group: ChangeGroup) -> str:
    """Cloud DNS takes '*' only as a whole leftmost label (a wildcard); the ownership TXT of
    a wildcard (``a-*.apps``) has it elsewhere unless a replacement is set."""
    starred = sorted({c.key.name.fqdn for c in group if c.key.name.has_literal_star})
    if not starred:
        return ""
    return (
        f"; Cloud DNS refuses '*' other than as a whole first label ({', '.join(starred)}): "
        "set --txt-wildcard-replacement (e.g. 'wildcard') so wildcard ownership TXT names "
        "have none (docs/ownership.md, 'Wildcards')"
    )
