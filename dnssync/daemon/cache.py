"""The provider's records as last read, kept up to date from what was applied.

The daemon plans event-driven changes against this cache instead of re-reading zones; a
full resync (or a reported conflict) replaces a zone's cache with a fresh read. Besides
the records, the cache knows

* how many records we own per zone (from the last full plan, plus what was applied since),
  so an event's plan is checked against the same safety threshold as a full one;
* which names each resource owns (from our ownership TXT records), so an event on an
  object also looks at records it owns that its claims no longer name.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence

from dnssync.errors import OwnershipError
from dnssync.model.changes import Action, ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import CUT_TYPES, MANAGED_TYPES, RecordKey, RecordType, RRset, Text
from dnssync.ownership.txt import TxtRegistry, parse_ownership
from dnssync.providers.base import Provider


class ProviderCache:
    def __init__(self, registry: TxtRegistry | None = None) -> None:
        self.registry = registry or TxtRegistry()
        self._zones: dict[DomainName, dict[RecordKey, RRset]] = {}
        # Per zone: resource -> the names its ownership TXT records stand for (counted).
        self._owners: dict[DomainName, dict[str, Counter[DomainName]]] = {}
        self._owned: dict[DomainName, int] = {}
        self._lock = threading.Lock()

    def replace(self, zone: DomainName, rrsets: Iterable[RRset]) -> None:
        with self._lock:
            self._zones[zone] = {r.key: r for r in rrsets}
            self._owners[zone] = {}
            for rrset in self._zones[zone].values():
                self._index(zone, rrset, 1)

    def has(self, zone: DomainName) -> bool:
        return zone in self._zones

    def forget(self, zone: DomainName) -> None:
        with self._lock:
            self._zones.pop(zone, None)
            self._owners.pop(zone, None)
            self._owned.pop(zone, None)

    def zones(self) -> tuple[DomainName, ...]:
        return tuple(self._zones)

    def size(self, zone: DomainName) -> int:
        return len(self._zones.get(zone, {}))

    # ------------------------------------------------------------------ owned counts

    def set_owned(self, zone: DomainName, owned: int) -> None:
        """What a full plan counted in the zone."""
        with self._lock:
            self._owned[zone] = owned

    def owned(self, zone: DomainName) -> int | None:
        return self._owned.get(zone)

    # ------------------------------------------------------------------ changes

    def applied(self, zone: DomainName, groups: Iterable[ChangeGroup]) -> None:
        with self._lock:
            records = self._zones.get(zone)
            if records is None:
                return
            for group in groups:
                for change in group:
                    old = records.get(change.key)
                    if old is not None:
                        self._index(zone, old, -1)
                    if change.action is Action.DELETE:
                        records.pop(change.key, None)
                    else:
                        assert change.new is not None
                        records[change.key] = change.new
                        self._index(zone, change.new, 1)
                primary = group.primary
                if primary.rtype is not RecordType.TXT and zone in self._owned:
                    self._owned[zone] += {Action.CREATE: 1, Action.DELETE: -1}.get(
                        primary.action, 0
                    )

    # ------------------------------------------------------------------ reading

    def around(
        self, zone: DomainName, names: Iterable[DomainName], registry: TxtRegistry | None = None
    ) -> list[RRset]:
        """Every cached RRset at the names and at their ownership TXT names, and the NS and
        DNAME sets above them (the planner must see where the zone is cut)."""
        registry = registry or self.registry
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

    def records(self, zone: DomainName, names: frozenset[DomainName] | None) -> list[RRset]:
        if names is not None:
            return self.around(zone, names)
        with self._lock:
            return list(self._zones.get(zone, {}).values())

    def names_owned_by(self, resources: Iterable[str]) -> set[DomainName]:
        """Names where our ownership TXT records name one of ``resources``."""
        found: set[DomainName] = set()
        with self._lock:
            for owners in self._owners.values():
                for resource in resources:
                    names = owners.get(resource)
                    if names:
                        found.update(names)
        return found

    def reader(self, provider: Provider) -> CacheReader:
        return CacheReader(self, provider)

    # ------------------------------------------------------------------ internals

    def _index(self, zone: DomainName, rrset: RRset, step: int) -> None:
        """Count (step 1) or uncount (-1) what an ownership TXT of ours stands for."""
        if rrset.rtype is not RecordType.TXT:
            return
        resources = set()
        for value in rrset.values:
            if not isinstance(value, Text):
                continue
            ownership = parse_ownership(value.joined)
            if ownership and ownership.owner == self.registry.owner_id and ownership.resource:
                resources.add(ownership.resource)
        if not resources:
            return
        # The TXT's own name (a pre-v0.12 TXT sits at its record's name) and the names of
        # the records it would own.
        names = {rrset.name, *(n for n, _ in self.registry.record_keys_for(rrset.name))}
        owners = self._owners.setdefault(zone, {})
        for resource in resources:
            counts = owners.setdefault(resource, Counter())
            for name in names:
                counts[name] += step
                if counts[name] <= 0:
                    del counts[name]
            if not counts:
                del owners[resource]


class CacheReader:
    """The cache as the pipeline's record reader (an event's scoped plan)."""

    def __init__(self, cache: ProviderCache, provider: Provider) -> None:
        self.cache = cache
        self.provider = provider

    @property
    def supports_alias(self) -> bool:
        return self.provider.supports_alias

    def zones(self) -> Sequence[DomainName]:
        return self.cache.zones()

    def records(self, zone: DomainName, names: frozenset[DomainName] | None) -> Sequence[RRset]:
        return self.cache.records(zone, names)

    def owned(self, zone: DomainName) -> int | None:
        return self.cache.owned(zone)

    def adjust(self, rrsets: tuple[RRset, ...]) -> tuple[RRset, ...]:
        return self.provider.adjust(rrsets)
