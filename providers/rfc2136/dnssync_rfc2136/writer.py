"""Applying change groups: batched UPDATEs, isolation of bad groups, read-back.

1. Groups are ordered deletes first, turned into prerequisites + operations, and packed
   into as few messages as the size limit allows.
2. A message that fails as a whole for a reason one group may cause (a prerequisite, a
   refusal, SERVFAIL) applied nothing, so it is split in halves and resent until the bad
   groups are alone; they are reported, the good ones are applied.
3. A failure of the exchange itself (network, TSIG, NOTAUTH) raises ProviderError; the next
   run re-reads the zone and plans again, so nothing is lost or applied twice.
4. Servers answer NOERROR to writes they ignore (a record beside a CNAME). Every group
   carries prerequisites that turn those cases into a refusal ("no CNAME here", "nothing
   at this name"), except where a message itself changes what such a guard checks (a
   switch from A to CNAME): only those groups can be ignored silently. So after writing,
   one connection queries the SOA and the RRsets those groups created or updated (all of
   them for a small write such as the daemon's event-driven reconciles); a group that did
   not fully take effect is reported as a conflict and the parts of it that did are
   undone. When the serial moved by exactly our UPDATEs, the cached zone is advanced
   with what we wrote, so the next read stays one SOA query: no zone transfer after a
   write, however large (Knot can fold another writer's UPDATE into one of ours; see
   docs/providers/rfc2136.md for what that costs and what bounds it). Writes
   of zone cuts (NS; never planned, only written by tests and tools) are checked by a
   transfer, as a query for them gets a referral. Deletes are exact and
   never ignored, and a query cannot tell a wildcard's answer from a real RRset, so they
   are not queried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import dns.rcode
import dns.rdata

from dnssync.errors import ProviderError
from dnssync.model.changes import Action, Change, ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import CUT_TYPES, RecordKey, RRset
from dnssync.providers.base import ApplyResult, GroupFailure

from .axfr import ZoneSnapshot
from .batching import deletes_first, pack_stream
from .errors import Kind, describe_rcode, kind_of
from .reader import ZoneReader
from .transport import Transport
from .tsig import TsigKey
from .updates import (
    GroupUpdate,
    UnwritableGroup,
    WireOf,
    build,
    inverse,
    model_wire,
    overhead,
    render,
    unguarded,
)

log = logging.getLogger(__name__)

# A write touching at most this many RRsets (or a quarter of the cached zone, if more) is
# checked by querying every RRset it created or updated; a larger one queries only the
# groups whose CNAME guard had to be left out (and transfers the zone if there are more of
# those than this).
QUERY_CHECK_LIMIT = 256


@dataclass
class _Run:
    zone: DomainName
    total: int
    applied: list[GroupUpdate] = field(default_factory=list)
    # Applied groups that went without a CNAME guard (see updates.unguarded).
    unguarded: list[GroupUpdate] = field(default_factory=list)
    failed: list[GroupFailure] = field(default_factory=list)
    accepted: int = 0  # UPDATE messages answered NOERROR (each moves the serial by one)
    refused: int = 0
    messages: int = 0


class ZoneWriter:
    def __init__(
        self,
        transport: Transport,
        reader: ZoneReader,
        key: TsigKey | None,
        *,
        max_message_bytes: int,
        verify: bool = True,
    ) -> None:
        self._transport = transport
        self._reader = reader
        self._key = key
        self._max_bytes = max_message_bytes
        self._verify = verify

    def apply(self, zone: DomainName, groups: Sequence[ChangeGroup]) -> ApplyResult:
        run = _Run(zone, len(groups))
        base = self._reader.cached(zone)
        try:
            sent = self._send_all(run, self._entries(run, groups, _wire_lookup(base)))
            if sent and not run.applied and run.refused == sent:
                raise ProviderError(self._refused_everything(zone))
        except ProviderError as exc:
            self._reader.forget(zone)
            if run.applied:
                raise ProviderError(
                    f"{exc} ({len(run.applied)} of {run.total} groups were applied before the "
                    "failure; the next run reads the zone again and continues)"
                ) from exc
            raise
        log.info(
            "rfc2136: %s: %d groups applied in %d UPDATE messages, %d failed",
            zone.fqdn,
            len(run.applied),
            run.messages,
            len(run.failed),
        )
        if run.applied and self._verify:
            try:
                self._check(run, base)
            except ProviderError as exc:
                raise ProviderError(
                    f"{exc} (reading the zone back after {len(run.applied)} groups were "
                    "applied; the next run reads it again and checks)"
                ) from exc
        return ApplyResult(tuple(e.group for e in run.applied), tuple(run.failed))

    def _entries(
        self, run: _Run, groups: Sequence[ChangeGroup], wire_of: WireOf
    ) -> Iterator[GroupUpdate]:
        for group in deletes_first(groups):
            try:
                yield build(run.zone, group, wire_of)
            except UnwritableGroup as exc:
                run.failed.append(GroupFailure(group, f"rfc2136: {exc}"))

    def _send_all(self, run: _Run, entries: Iterator[GroupUpdate]) -> int:
        """Pack and send, one message in flight while the next is built (the server works
        while we encode: a first converge is bound by both); the groups sent."""
        too_big: list[GroupUpdate] = []
        budget = self._max_bytes - overhead(run.zone, self._key)
        sent = 0
        with ThreadPoolExecutor(1, thread_name_prefix="dnssync-rfc2136-send") as sender:
            in_flight: Future[None] | None = None
            try:
                for batch in pack_stream(entries, budget, too_big):
                    if in_flight is not None:
                        in_flight.result()  # a ProviderError ends the run here
                        self._give_up_if_refused(run, sent)
                    in_flight = sender.submit(self._send, run, batch)
                    sent += len(batch)
                if in_flight is not None:
                    in_flight.result()
            finally:
                if in_flight is not None:
                    in_flight.cancel()
        for entry in too_big:
            run.failed.append(
                GroupFailure(
                    entry.group,
                    f"rfc2136: {_describe(entry.group)} needs {entry.size} bytes, more than "
                    f"fits in one UPDATE message ({self._max_bytes} bytes)",
                )
            )
        return sent

    # -- sending with isolation

    def _send(self, run: _Run, batch: Sequence[GroupUpdate]) -> None:
        message = render(run.zone, batch, self._key)
        if len(message.wire) > self._max_bytes:
            # Never expected (sizes are exact), but never send an oversized message.
            if len(batch) == 1:
                run.failed.append(
                    GroupFailure(
                        batch[0].group,
                        f"rfc2136: {_describe(batch[0].group)} does not fit in one UPDATE "
                        f"message ({self._max_bytes} bytes)",
                    )
                )
                return
            half = len(batch) // 2
            self._send(run, batch[:half])
            self._send(run, batch[half:])
            return
        run.messages += 1
        answer = self._transport.exchange("update", message.request, wire=message.wire)
        rcode = answer.rcode()
        kind = kind_of(rcode)
        if kind is Kind.OK:
            run.accepted += 1
            run.applied.extend(batch)
            run.unguarded.extend(unguarded(batch))
            return
        if kind is Kind.FATAL:
            raise ProviderError(
                f"rfc2136: UPDATE of zone {run.zone.fqdn} on {self._transport.server} failed: "
                f"{describe_rcode(rcode)}"
            )
        if len(batch) > 1:
            log.info(
                "rfc2136: %s: a message of %d groups failed with %s; splitting it to find the "
                "failing groups",
                run.zone.fqdn,
                len(batch),
                dns.rcode.to_text(rcode),
            )
            half = len(batch) // 2
            self._send(run, batch[:half])
            self._send(run, batch[half:])
            return
        group = batch[0].group
        run.failed.append(
            GroupFailure(
                group,
                f"rfc2136: {_describe(group)} in {run.zone.fqdn}: {describe_rcode(rcode)}",
                conflict=kind is Kind.CONFLICT,
            )
        )
        if rcode == dns.rcode.REFUSED:
            run.refused += 1

    def _give_up_if_refused(self, run: _Run, sent: int) -> None:
        """After a whole message's groups were each refused with nothing applied, the
        refusal is about us (key, policy), not about some groups: stop. A few groups the
        server refuses (its check-names, a policy on some names) never stop the others,
        wherever they sort (docs/providers/rfc2136.md)."""
        if sent and not run.applied and run.refused >= sent:
            raise ProviderError(self._refused_everything(run.zone))

    def _refused_everything(self, zone: DomainName) -> str:
        message = (
            f"rfc2136: {self._transport.server} refused every update to zone {zone.fqdn}: "
            f"{describe_rcode(dns.rcode.REFUSED)}"
        )
        if self._key is None:
            message += "; the updates were unsigned (--rfc2136-insecure), configure a TSIG key"
        return message

    # -- read-back

    def _check(self, run: _Run, base: ZoneSnapshot | None) -> None:
        keys = {c.key for e in run.applied for c in e.group}
        size = len(base) if base is not None else 0
        # A query for the NS at a delegation gets a referral, not an answer: zone cuts
        # (never planned, only written by tests and tools) are checked by a transfer.
        if any(k.rtype in CUT_TYPES for k in keys):
            self._read_back(run)
        elif len(keys) <= max(QUERY_CHECK_LIMIT, size // 4):
            self._query_back(run, base, run.applied)
        elif len(run.unguarded) <= QUERY_CHECK_LIMIT:
            self._query_back(run, base, run.unguarded)
        else:
            self._read_back(run)

    def _query_back(
        self, run: _Run, base: ZoneSnapshot | None, suspects: Sequence[GroupUpdate]
    ) -> None:
        """Query what ``suspects`` created or updated (and the SOA); every other applied
        group was written exactly as sent, as its prerequisites held. With ``base``, the
        cached zone is advanced when the serial moved by exactly our UPDATEs."""
        asked = {c.key for e in suspects for c in e.group if c.action is not Action.DELETE}
        found = self._reader.lookup(run.zone, sorted(asked))
        held = found.index()
        ignored = self._keep_effective(
            run, held, found, lambda c: c.key not in asked or _confirmed(c, held)
        )
        if base is None or ignored or found.serial != (base.serial + run.accepted) % 2**32:
            # Someone else wrote too, or the server ignored part of a write (we cannot tell
            # what it holds at every key): the next read transfers the zone.
            return
        changes = [c for e in run.applied for c in e.group]
        changed = {c.key: (None if c.action is Action.DELETE else c.new) for c in changes}
        self._reader.patch(run.zone, base, found.serial, changed, found)

    def _keep_effective(
        self,
        run: _Run,
        held: dict[RecordKey, RRset],
        snapshot: ZoneSnapshot,
        effective: Callable[[Change], bool],
    ) -> bool:
        """Report the groups that did not fully take effect, undoing their parts that did;
        True if there was any."""
        still_applied: list[GroupUpdate] = []
        for entry in run.applied:
            missing = [c for c in entry.group if not effective(c)]
            if not missing:
                still_applied.append(entry)
                continue
            done = [c for c in entry.group if c not in missing]
            message = (
                f"rfc2136: {_describe(entry.group)} in {run.zone.fqdn}: the server answered "
                f"NOERROR but did not apply {', '.join(_seen(c, held) for c in missing)} "
                "(servers silently ignore a record added beside a CNAME, or a CNAME added "
                "beside other data, or another writer changed it)"
            )
            if done:
                message += "; " + self._undo(run.zone, done, snapshot)
            log.warning("%s", message)
            run.failed.append(GroupFailure(entry.group, message, conflict=True))
        ignored = len(still_applied) != len(run.applied)
        run.applied = still_applied
        return ignored

    def _read_back(self, run: _Run) -> None:
        snapshot = self._reader.refresh(run.zone)
        held = snapshot.index()
        self._keep_effective(run, held, snapshot, lambda c: _took_effect(c, held))

    def _undo(self, zone: DomainName, done: Sequence[Change], snapshot: ZoneSnapshot) -> str:
        """Undo the parts of a group that took effect, so no group stays half-written."""
        what = ", ".join(str(c.key) for c in done)
        try:
            entry = build(zone, inverse(done), _wire_lookup(snapshot))
            undo = render(zone, [entry], self._key)
            answer = self._transport.exchange("update", undo.request, wire=undo.wire)
        except (ProviderError, UnwritableGroup) as exc:
            return f"undoing {what} failed: {exc}"
        if answer.rcode() != dns.rcode.NOERROR:
            return f"undoing {what} failed: {describe_rcode(answer.rcode())}"
        return f"undone: {what}"


def _took_effect(change: Change, held: dict[RecordKey, RRset]) -> bool:
    if change.action is Action.DELETE:
        return change.key not in held
    return held.get(change.key) == change.new


def _confirmed(change: Change, held: dict[RecordKey, RRset]) -> bool:
    """What a query can confirm: a created or updated RRset is there as written. Deletes
    count as done (an exact delete is never ignored; a wildcard may answer for the name)."""
    return change.action is Action.DELETE or held.get(change.key) == change.new


def _seen(change: Change, held: dict[RecordKey, RRset]) -> str:
    current = held.get(change.key)
    if change.action is Action.DELETE:
        return f"the delete of {change.key} (still there: {current})"
    return f"{change.new} (the server holds {current or 'nothing'})"


def _describe(group: ChangeGroup) -> str:
    parts = [f"{c.action.value} {c.key}" for c in group]
    return "group [" + "; ".join(parts) + "]"


def _wire_lookup(snapshot: ZoneSnapshot | None) -> WireOf:
    """The server's own data for an RRset when it is what the model says, else ours."""
    if snapshot is None:
        return model_wire
    index = snapshot.index()

    def wire_of(rrset: RRset) -> Sequence[bytes]:
        raw = snapshot.wire.get(rrset.key)
        current = index.get(rrset.key)
        if raw is not None and current is not None and current.values == rrset.values:
            return [_rdata_wire(rdata) for rdata in raw]
        return model_wire(rrset)

    return wire_of


def _rdata_wire(rdata: dns.rdata.Rdata) -> bytes:
    wire = rdata.to_wire()  # uncompressed, as the message encoding needs
    assert wire is not None  # returned when no file is given
    return wire
