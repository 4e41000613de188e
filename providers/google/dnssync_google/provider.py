"""The Google Cloud DNS provider (``--provider google``).

This module imports no Google library at import time: the CLI imports every provider
class to list its options. The API is reached on first use (see :mod:`.api`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from dnssync.errors import InvalidNameError, InvalidRecordError, ProviderError
from dnssync.model.changes import ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import CUT_TYPES, RecordKey, RecordType, RRset
from dnssync.providers.base import ApplyResult, Provider, ProviderOptions

from .api import CloudDnsApi, WireRRset
from .backoff import DEFAULT_CLOCK, DEFAULT_SLEEP, Backoff, Clock, Sleep
from .changes import ChangeApplier, ChangeWaiter
from .rrsets import to_model, to_wire, wire_of
from .settings import OPTIONS, GoogleSettings
from .zones import ManagedZone, list_zones, select

log = logging.getLogger(__name__)
MAX_PAGES = 100_000  # a runaway pageToken loop must end
DEFAULT_CHANGE_TIMEOUT = 120.0


class GoogleCloudDnsProvider(Provider):
    name = "google"
    description = "Google Cloud DNS (google-cloud-dns)"
    options = OPTIONS

    def __init__(
        self,
        settings: GoogleSettings | None = None,
        *,
        credentials: Any = None,
        retry: Backoff | None = None,
        poll: Backoff | None = None,
        change_timeout: float = DEFAULT_CHANGE_TIMEOUT,
        sleep: Sleep = DEFAULT_SLEEP,
        clock: Clock = DEFAULT_CLOCK,
    ) -> None:
        super().__init__()
        self.settings = settings or GoogleSettings()
        self._api = CloudDnsApi(
            self.settings, self.requests, credentials=credentials, retry=retry, sleep=sleep
        )
        self._waiter = ChangeWaiter(self._api, timeout=change_timeout, sleep=sleep, clock=clock)
        if poll is not None:
            self._waiter.poll = poll
        self._zones: dict[DomainName, ManagedZone] | None = None
        # What each record set looked like on the wire when last listed, so a deletion
        # carries exactly the server's text (Cloud DNS refuses one that differs: 412).
        self._exact: dict[DomainName, dict[RecordKey, tuple[RRset, WireRRset]]] = {}

    @classmethod
    def create(cls, options: ProviderOptions) -> GoogleCloudDnsProvider:
        return cls(GoogleSettings.from_options(options))

    # -- Provider -------------------------------------------------------------------

    def zones(self) -> tuple[DomainName, ...]:
        self._zones = select(list_zones(self._api), self.settings.visibility)
        return tuple(self._zones)

    def records(self, zone: DomainName) -> tuple[RRset, ...]:
        managed = self._managed(zone)
        found: dict[RecordKey, tuple[RRset, WireRRset]] = {}
        for wire in self._list_rrsets(managed):
            try:
                rrset = to_model(wire)
            except (InvalidRecordError, InvalidNameError) as exc:
                _refuse_unreadable_cut(managed.describe(), wire, exc)
                log.warning("%s: skipping %s %s: %s", managed.describe(), wire.name, wire.type, exc)
                continue
            if rrset.rtype is RecordType.NS and rrset.name == zone:
                continue  # the apex NS is no delegation, and never ours
            if rrset.key in found:
                raise ProviderError(
                    f"{managed.describe()}: {rrset.key} was listed twice; the zone changed "
                    "while it was read, try again"
                )
            found[rrset.key] = (rrset, wire)
        self._exact[zone] = found
        return tuple(found[key][0] for key in sorted(found))

    def apply(self, zone: DomainName, groups: Sequence[ChangeGroup]) -> ApplyResult:
        if not groups:
            return ApplyResult(())
        managed = self._managed(zone)
        applier = ChangeApplier(
            self._api,
            managed.name,
            managed.describe(),
            self.settings.batch_change_size,
            self._waiter,
            lambda rrset: self._exact_old(zone, rrset),
        )
        result = applier.apply(groups)
        seen = self._exact.get(zone)
        if seen is not None:
            for group in result.applied:
                for change in group:
                    seen.pop(change.key, None)
        return result

    def close(self) -> None:
        self._api.close()

    # -- helpers --------------------------------------------------------------------

    def _managed(self, zone: DomainName) -> ManagedZone:
        if self._zones is None or zone not in self._zones:
            self.zones()
        assert self._zones is not None
        managed = self._zones.get(zone)
        if managed is None:
            which = f" {self.settings.visibility}" if self.settings.visibility else ""
            raise ProviderError(
                f"{zone.fqdn} is not a{which} managed zone in Google Cloud project "
                f"{self._api.project!r}"
            )
        return managed

    def _list_rrsets(self, managed: ManagedZone) -> list[WireRRset]:
        wires: list[WireRRset] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = self._api.list_rrsets(managed.name, token)
            for raw in page.items:
                try:
                    wire = wire_of(raw)
                except InvalidRecordError as exc:
                    log.warning("%s: skipping a record set: %s", managed.describe(), exc)
                    continue
                if wire is not None:
                    wires.append(wire)
            token = page.next_token
            if not token:
                return wires
        raise ProviderError(f"{managed.describe()}: listing did not end after {MAX_PAGES} pages")

    def _exact_old(self, zone: DomainName, rrset: RRset) -> WireRRset:
        seen = self._exact.get(zone, {}).get(rrset.key)
        if seen is not None and seen[0] == rrset:
            return seen[1]
        return to_wire(rrset)


def _refuse_unreadable_cut(zone: str, wire: WireRRset, exc: Exception) -> None:
    """An NS or DNAME we cannot read hides where the zone is cut: refuse to plan blind."""
    if wire.type not in {t.value for t in CUT_TYPES}:
        return
    try:
        DomainName.parse(wire.name)
    except InvalidNameError:
        return  # no name of ours can be at or below an owner name we cannot even hold
    raise ProviderError(
        f"{zone}: {wire.name} {wire.type} cannot be read ({exc}); the names below it "
        "cannot be kept apart, so the zone is not planned"
    )
