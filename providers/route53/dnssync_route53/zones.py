"""Hosted zones by name and by id, filtered by type and tags, cached.

Route53 allows several hosted zones of one name (a public and a private
``example.com``, say). dnssync addresses zones by name, so such a name is refused with
advice to narrow the choice with ``--aws-zone-type`` or ``--aws-zone-tags``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from dnssync.errors import InvalidNameError, ProviderError
from dnssync.model.names import DomainName

from .convert import decode_name
from .options import Settings

log = logging.getLogger(__name__)

ZONE_CACHE_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class HostedZone:
    id: str  # bare id (Z0123...)
    name: DomainName
    private: bool

    @property
    def kind(self) -> str:
        return "private" if self.private else "public"


class ZoneLister(Protocol):
    def list_zones(self) -> Sequence[ZoneInfoLike]: ...

    def zone_tags(self, zone_ids: Sequence[str]) -> dict[str, dict[str, str]]: ...


class ZoneInfoLike(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def private(self) -> bool: ...


class ZoneDirectory:
    def __init__(
        self,
        api: ZoneLister,
        settings: Settings,
        *,
        ttl: float = ZONE_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api = api
        self._settings = settings
        self._ttl = ttl
        self._clock = clock
        self._zones: tuple[HostedZone, ...] | None = None
        self._loaded_at = 0.0

    def all(self) -> tuple[HostedZone, ...]:
        if self._zones is None or self._clock() - self._loaded_at > self._ttl:
            self._zones = self._load()
            self._loaded_at = self._clock()
        return self._zones

    def invalidate(self) -> None:
        self._zones = None

    def names(self) -> tuple[DomainName, ...]:
        return tuple(sorted({z.name for z in self.all()}))

    def by_name(self, name: DomainName) -> HostedZone:
        found = [z for z in self.all() if z.name == name]
        if not found:
            raise ProviderError(
                f"no Route53 hosted zone {name.fqdn} among the zones this provider manages"
                + self._filters_text()
            )
        if len(found) > 1:
            listed = ", ".join(f"{z.id} ({z.kind})" for z in found)
            raise ProviderError(
                f"{len(found)} Route53 hosted zones are named {name.fqdn}: {listed}; choose one "
                "with --aws-zone-type or --aws-zone-tags"
            )
        return found[0]

    def by_id(self, zone_id: str) -> HostedZone:
        bare = zone_id.rsplit("/", 1)[-1]
        for zone in self.all():
            if zone.id == bare:
                return zone
        raise ProviderError(
            f"no Route53 hosted zone with id {bare} among the zones this provider manages"
            + self._filters_text()
        )

    def _filters_text(self) -> str:
        parts = []
        if self._settings.zone_type:
            parts.append(f"--aws-zone-type {self._settings.zone_type}")
        if self._settings.zone_tags:
            tags = ",".join(
                k if v is None else f"{k}={v}" for k, v in self._settings.zone_tags.required
            )
            parts.append(f"--aws-zone-tags {tags}")
        return f" (filters: {'; '.join(parts)})" if parts else ""

    def _load(self) -> tuple[HostedZone, ...]:
        wanted_type = self._settings.zone_type
        zones: list[HostedZone] = []
        for info in self._api.list_zones():
            if wanted_type == "public" and info.private:
                continue
            if wanted_type == "private" and not info.private:
                continue
            try:
                name = DomainName.parse(decode_name(info.name))
            except InvalidNameError as exc:
                log.warning("skipping hosted zone %s: %s", info.id, exc)
                continue
            zones.append(HostedZone(info.id, name, info.private))
        if self._settings.zone_tags and zones:
            tags = self._api.zone_tags([z.id for z in zones])
            zones = [z for z in zones if self._settings.zone_tags.matches(tags.get(z.id, {}))]
        log.debug("Route53 zones: %s", ", ".join(f"{z.name.fqdn}={z.id}" for z in zones))
        return tuple(sorted(zones, key=lambda z: (z.name.text, z.id)))
