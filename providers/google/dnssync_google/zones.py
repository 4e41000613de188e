"""Managed zones: listing with paging, the visibility filter, and name -> zone lookup."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from dnssync.errors import InvalidNameError, ProviderError
from dnssync.model.names import DomainName

from .api import CloudDnsApi

log = logging.getLogger(__name__)
MAX_PAGES = 10_000  # a runaway pageToken loop must end


@dataclass(frozen=True, slots=True)
class ManagedZone:
    """One Cloud DNS managed zone: its id name (``my-zone``), DNS name and visibility."""

    name: str
    dns_name: DomainName
    visibility: str

    def describe(self) -> str:
        return f"{self.dns_name.fqdn} (managed zone {self.name!r}, {self.visibility})"


def list_zones(api: CloudDnsApi) -> list[ManagedZone]:
    """Every managed zone of the project that can hold records, over all pages."""
    zones: list[ManagedZone] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = api.list_zones(token)
        for raw in page.items:
            zone = _zone_of(raw)
            if zone is not None:
                zones.append(zone)
        token = page.next_token
        if not token:
            return zones
    raise ProviderError(f"listing managed zones did not end after {MAX_PAGES} pages")


def select(zones: list[ManagedZone], visibility: str | None) -> dict[DomainName, ManagedZone]:
    """The zones to manage, by DNS name, after the visibility filter.

    Two managed zones with the same DNS name (split horizon: a public and a private
    ``example.com.``) make every record name ambiguous, so that is refused with a hint.
    """
    chosen: dict[DomainName, ManagedZone] = {}
    for zone in zones:
        if visibility is not None and zone.visibility != visibility:
            continue
        other = chosen.get(zone.dns_name)
        if other is not None:
            raise ProviderError(
                f"{zone.dns_name.fqdn} is served by two managed zones, {other.name!r} "
                f"({other.visibility}) and {zone.name!r} ({zone.visibility}); choose one with "
                "--google-zone-visibility public|private"
            )
        chosen[zone.dns_name] = zone
    return dict(sorted(chosen.items()))


def _zone_of(raw: dict[str, Any]) -> ManagedZone | None:
    name = raw.get("name")
    dns_name = raw.get("dnsName")
    if not isinstance(name, str) or not isinstance(dns_name, str):
        return None
    # Forwarding and peering zones hold no records of their own (ExternalDNS skips them too).
    if raw.get("peeringConfig") or raw.get("forwardingConfig"):
        log.debug("skipping managed zone %s: forwarding or peering zone", name)
        return None
    try:
        parsed = DomainName.parse(dns_name)
    except InvalidNameError as exc:
        log.warning("skipping managed zone %s: %s", name, exc)
        return None
    visibility = str(raw.get("visibility") or "public").lower()
    return ManagedZone(name, parsed, visibility)
