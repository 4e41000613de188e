"""The in-memory provider: keeps nothing between runs; the reference for the contract."""

from __future__ import annotations

from collections.abc import Sequence

from dnssync.errors import ConfigError, ProviderError
from dnssync.model.changes import ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import RRset
from dnssync.providers.base import (
    ApplyResult,
    OptionKind,
    Provider,
    ProviderOption,
    ProviderOptions,
)
from dnssync.providers.store import RRsetStore

ZONE_OPTION = ProviderOption("zone", "a zone to manage (repeatable)", OptionKind.LIST, default=())


def zones_option(options: ProviderOptions) -> tuple[DomainName, ...]:
    raw = options.get("zone") or ()
    if isinstance(raw, str):
        raw = (raw,)
    if not isinstance(raw, tuple) or not raw:
        raise ConfigError("--zone is required (at least one zone to manage)")
    try:
        return tuple(sorted({DomainName.parse(z) for z in raw}))
    except ValueError as exc:
        raise ConfigError(f"--zone: {exc}") from exc


class InMemoryProvider(Provider):
    name = "inmemory"
    description = "keeps records in memory (tests, demos)"
    options = (ZONE_OPTION,)

    def __init__(self, zones: Sequence[DomainName]) -> None:
        super().__init__()
        self._stores = {z: RRsetStore() for z in zones}

    @classmethod
    def create(cls, options: ProviderOptions) -> InMemoryProvider:
        return cls(zones_option(options))

    def zones(self) -> tuple[DomainName, ...]:
        return tuple(self._stores)

    def records(self, zone: DomainName) -> tuple[RRset, ...]:
        self.requests.count("list")
        return self._store(zone).rrsets()

    def apply(self, zone: DomainName, groups: Sequence[ChangeGroup]) -> ApplyResult:
        self.requests.count("change")
        return self._store(zone).apply(groups)

    def _store(self, zone: DomainName) -> RRsetStore:
        try:
            return self._stores[zone]
        except KeyError:
            raise ProviderError(f"zone {zone.fqdn} is not managed by this provider") from None
