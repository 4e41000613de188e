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
from dnssync.model.records import CUT_TYPES, MANAGED_TYPES, RecordKey, RecordType, RRset
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
        """Every cached RRset at the names and at their ownership TXT names, and the NS and
        DNAME sets above them (the planner must see where the zone is cut)."""
        wanted: set[DomainName] = set()
        for name in names:
            wanted.add(name)
            for rtype in MANAGED_TYPES:
                try:
                    wanted.add(registry.txt_name(name, rtype, zone))
                except OwnershipError:
                    continue
        above: set[DomainName] = set()
        for name in wanted:
            current: DomainName | None = name
            while current is not None and current.is_subdomain_of(zone):
                above.add(current)
                current = current.parent
        with self._lock:
            records = self._zones.get(zone, {})
            found = [
                rrset
                for name in wanted
                for rtype in (*MANAGED_TYPES, RecordType.TXT)
                if (rrset := records.get(RecordKey(name, rtype))) is not None
            ]
            found.extend(
                rrset
                for name in above
                for rtype in CUT_TYPES
                if (rrset := records.get(RecordKey(name, rtype))) is not None
            )
            return found
