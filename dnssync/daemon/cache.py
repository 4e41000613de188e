"""The provider's records as last read, kept up to date from what was applied.

The daemon plans event-driven changes against this cache instead of re-reading zones; a
full resync (or a reported conflict) replaces a zone's cache with a fresh read.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from dnssync.errors import OwnershipError
from dnssync.model.changes import Action, ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import MANAGED_TYPES, RecordKey, RecordType, RRset
from dnssync.ownership.txt import TxtRegistry


class ProviderCache:
    def __init__(self) -> None:
        self._zones: dict[DomainName, dict[RecordKey, RRset]] = {}
        self._lock = threading.Lock()

    def replace(self, zone: DomainName, rrsets: Iterable[RRset]) -> None:
        with self._lock:
            self._zones[zone] = {r.key: r for r in rrsets}

    def has(self, zone: DomainName) -> bool:
        return zone in self._zones

    def forget(self, zone: DomainName) -> None:
        with self._lock:
            self._zones.pop(zone, None)

    def zones(self) -> tuple[DomainName, ...]:
        return tuple(self._zones)

    def size(self, zone: DomainName) -> int:
        return len(self._zones.get(zone, {}))

    def applied(self, zone: DomainName, groups: Iterable[ChangeGroup]) -> None:
        with self._lock:
            records = self._zones.get(zone)
            if records is None:
                return
            for group in groups:
                for change in group:
                    if change.action is Action.DELETE:
                        records.pop(change.key, None)
                    else:
                        assert change.new is not None
                        records[change.key] = change.new

    def around(
        self, zone: DomainName, names: Iterable[DomainName], registry: TxtRegistry
    ) -> list[RRset]:
        """Every cached RRset at the names and at their ownership TXT names."""
        wanted: set[DomainName] = set()
        for name in names:
            wanted.add(name)
            for rtype in MANAGED_TYPES:
                try:
                    wanted.add(registry.txt_name(name, rtype, zone))
                except OwnershipError:
                    continue
        with self._lock:
            records = self._zones.get(zone, {})
            return [
                rrset
                for name in wanted
                for rtype in (*MANAGED_TYPES, RecordType.TXT)
                if (rrset := records.get(RecordKey(name, rtype))) is not None
            ]
