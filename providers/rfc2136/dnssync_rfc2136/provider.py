"""The rfc2136 provider: RFC 2136 dynamic update with TSIG, zones read by AXFR."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from dnssync.errors import ProviderError
from dnssync.model.changes import ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import RRset
from dnssync.providers.base import ApplyResult, Provider, ProviderOptions

from .options import OPTIONS, Rfc2136Config, parse_options
from .reader import ZoneReader
from .transport import Transport
from .writer import ZoneWriter

log = logging.getLogger(__name__)


class Rfc2136Provider(Provider):
    name = "rfc2136"
    description = "RFC 2136 dynamic update with TSIG (BIND9, Knot DNS, PowerDNS...)"
    options = OPTIONS

    def __init__(
        self,
        config: Rfc2136Config,
        *,
        verify_writes: bool = True,
        cache_max_age: float | None = 3600.0,
    ) -> None:
        """``verify_writes``: check every write (by queries) to catch ignored updates.
        ``cache_max_age``: seconds a zone snapshot may be reused while its SOA serial has
        not moved (0 turns the SOA shortcut off: every read is a transfer)."""
        super().__init__()
        self.config = config
        key_name = config.key.name.to_text(omit_final_dot=True) if config.key else None
        self._transport = Transport(
            config.host, config.port, self.requests, timeout=config.timeout, key_name=key_name
        )
        self._reader = ZoneReader(
            self._transport,
            config.axfr_key,
            axfr_timeout=config.axfr_timeout,
            max_age=cache_max_age,
        )
        self._writer = ZoneWriter(
            self._transport,
            self._reader,
            config.key,
            max_message_bytes=config.max_message_bytes,
            verify=verify_writes,
        )

    @classmethod
    def create(cls, options: ProviderOptions) -> Rfc2136Provider:
        return cls(parse_options(options))

    def zones(self) -> tuple[DomainName, ...]:
        return self.config.zones

    def records(self, zone: DomainName) -> tuple[RRset, ...]:
        self._check_zone(zone)
        return self._reader.read(zone).rrsets

    def prefetch(self) -> None:
        """Transfer every zone into the cache, so the first plan's read is one SOA query."""
        for zone in self.config.zones:
            try:
                self._reader.read(zone)
            except Exception as exc:  # the first plan's own read reports it
                log.debug("rfc2136: reading %s ahead failed: %s", zone.fqdn, exc)

    def apply(self, zone: DomainName, groups: Sequence[ChangeGroup]) -> ApplyResult:
        self._check_zone(zone)
        if not groups:
            return ApplyResult(())
        return self._writer.apply(zone, groups)

    def _check_zone(self, zone: DomainName) -> None:
        if zone not in self.config.zones:
            raise ProviderError(f"zone {zone.fqdn} is not managed by this provider")

    def __repr__(self) -> str:
        key = f", {self.config.key}" if self.config.key else ", insecure"
        return f"<Rfc2136Provider {self._transport.server} zones={len(self.config.zones)}{key}>"
