"""Zone reads with the SOA-serial shortcut.

A dynamic zone's serial moves with every change, so when it has not moved since the last
transfer the cached snapshot is still the zone: one SOA query replaces the AXFR. A
snapshot older than ``max_age`` is transferred again anyway, for servers whose zone file
was edited by hand without a serial bump.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dnssync.model.names import DomainName
from dnssync.model.records import RecordKey, RRset

from .axfr import ZoneSnapshot, query_rrsets, soa_serial, transfer
from .transport import Transport
from .tsig import TsigKey


@dataclass(frozen=True, slots=True)
class _Entry:
    snapshot: ZoneSnapshot
    read_at: float


class ZoneReader:
    def __init__(
        self,
        transport: Transport,
        key: TsigKey | None,
        *,
        axfr_timeout: float,
        max_age: float | None = 3600.0,
    ) -> None:
        self._transport = transport
        self._key = key
        self._axfr_timeout = axfr_timeout
        self._max_age = max_age
        self._cache: dict[DomainName, _Entry] = {}
        self._lock = threading.Lock()
        # One read of a zone at a time: a read that finds another in flight (the daemon's
        # read-ahead at start-up) waits for it and then needs only the SOA query.
        self._reading: dict[DomainName, threading.Lock] = {}

    def read(self, zone: DomainName) -> ZoneSnapshot:
        """The zone now: the cached snapshot if the serial has not moved, else a transfer."""
        with self._lock:
            reading = self._reading.setdefault(zone, threading.Lock())
        with reading:
            entry = self._entry(zone)
            fresh = entry is not None and not self._expired(entry)
            if entry is not None and fresh and self._serial(zone) == entry.snapshot.serial:
                return entry.snapshot
            return self.refresh(zone)

    def _serial(self, zone: DomainName) -> int:
        return soa_serial(self._transport, zone, self._key)

    def refresh(self, zone: DomainName) -> ZoneSnapshot:
        """Always transfer the zone (after writing, to see what the server really holds)."""
        try:
            snapshot = transfer(self._transport, zone, self._key, self._axfr_timeout)
        except Exception:
            self.forget(zone)
            raise
        with self._lock:
            self._cache[zone] = _Entry(snapshot, time.monotonic())
        return snapshot

    def lookup(self, zone: DomainName, keys: Sequence[RecordKey]) -> ZoneSnapshot:
        """The SOA serial and the RRsets at ``keys``, by queries (no transfer, no caching)."""
        return query_rrsets(self._transport, zone, keys, self._key)

    def patch(
        self,
        zone: DomainName,
        base: ZoneSnapshot,
        serial: int,
        changed: Mapping[RecordKey, RRset | None],
        wire: ZoneSnapshot,
    ) -> bool:
        """Advance the cached snapshot ``base`` to ``serial`` with ``changed`` applied
        (None: gone; wire data from ``wire``), so the next read is one SOA query.

        Only for a caller that knows nobody else wrote in between (the serial moved by
        exactly its own updates). Keeps the original read time, so ``max_age`` still forces
        a transfer now and then. False (and nothing changed) if ``base`` is not cached.
        """
        with self._lock:
            entry = self._cache.get(zone)
            if entry is None or entry.snapshot is not base:
                return False
            snapshot = base.patched(serial, changed, wire.wire)
            self._cache[zone] = _Entry(snapshot, entry.read_at)
            return True

    def cached(self, zone: DomainName) -> ZoneSnapshot | None:
        entry = self._entry(zone)
        return entry.snapshot if entry is not None else None

    def forget(self, zone: DomainName) -> None:
        with self._lock:
            self._cache.pop(zone, None)

    def _entry(self, zone: DomainName) -> _Entry | None:
        with self._lock:
            return self._cache.get(zone)

    def _expired(self, entry: _Entry) -> bool:
        return self._max_age is not None and time.monotonic() - entry.read_at >= self._max_age
