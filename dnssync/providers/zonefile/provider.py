"""The zone-file provider: one RFC 1035 master file per zone, ``DIR/<zone>.zone``.

What it keeps, refuses and locks is documented in docs/providers/zonefile.md. In short: a
file is parsed strictly (:mod:`.reader`), an apply changes only the RRsets its groups name
(:mod:`.editor`) and bumps the SOA serial, and the file is replaced under a lock with its
mode and owner kept (:mod:`.files`).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from pathlib import Path

import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone

from dnssync.errors import ConfigError, DnssyncError, ProviderError
from dnssync.model.changes import ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import RRset
from dnssync.providers.base import (
    ApplyResult,
    Provider,
    ProviderOption,
    ProviderOptions,
)
from dnssync.providers.dnswire import Unreadable, to_dns_name, zone_rrsets
from dnssync.providers.inmemory import ZONE_OPTION, zones_option

from . import files
from .editor import apply_groups
from .reader import ParsedZone, parse_zone

log = logging.getLogger(__name__)

DIR_OPTION = ProviderOption("zonefile-dir", "directory holding one <zone>.zone file per zone")
DEFAULT_SOA_TTL = 3600


class ZoneFileProvider(Provider):
    name = "zonefile"
    description = "RFC 1035 zone files in a directory"
    options = (DIR_OPTION, ZONE_OPTION)

    def __init__(
        self,
        directory: Path,
        zones: Sequence[DomainName],
        *,
        lock_timeout: float = files.LOCK_TIMEOUT,
    ) -> None:
        super().__init__()
        self._dir = directory
        self._zones = tuple(zones)
        self._lock_timeout = lock_timeout

    @classmethod
    def create(cls, options: ProviderOptions) -> ZoneFileProvider:
        raw = options.get("zonefile_dir")
        if not isinstance(raw, str) or not raw:
            raise ConfigError("--zonefile-dir is required for the zonefile provider")
        return cls(Path(raw), zones_option(options))

    def path(self, zone: DomainName) -> Path:
        return self._dir / f"{zone.text}.zone"

    def zones(self) -> tuple[DomainName, ...]:
        return self._zones

    def records(self, zone: DomainName) -> tuple[RRset, ...]:
        """The zone's records, with the NS (below the apex) and DNAME sets. The file is
        replaced atomically, so a read without the lock still sees one whole version."""
        self.requests.count("list")
        zone_file = self._locate(zone)
        return _model(zone_file, self._load(zone, zone_file).zone)

    def apply(self, zone: DomainName, groups: Sequence[ChangeGroup]) -> ApplyResult:
        self.requests.count("change")
        zone_file = self._locate(zone)
        if not groups:
            return ApplyResult(())
        with files.locked(zone_file, self._lock_timeout):
            # Read again under the lock: the exact-state checks must see the file as it is
            # now, not as it was when the plan was made.
            info = files.existing(zone_file)
            if info is not None:
                files.check_writable(zone_file, info)
            files.remove_stale_temps(zone_file)
            parsed = self._load(zone, zone_file)
            result = apply_groups(parsed.zone, groups)
            if result.applied:
                _bump_serial(parsed.zone)
                files.replace(zone_file, _render(parsed), info)
        return result

    def _locate(self, zone: DomainName) -> files.ZoneFile:
        if zone not in self._zones:
            raise ProviderError(f"zone {zone.fqdn} is not managed by this provider")
        return files.locate(self._dir, f"{zone.text}.zone")

    def _load(self, zone: DomainName, zone_file: files.ZoneFile) -> ParsedZone:
        data = files.read_bytes(zone_file)
        if data is None:
            return ParsedZone(_new_zone(zone), None)
        return parse_zone(data, to_dns_name(zone), str(zone_file.shown))


def _model(zone_file: files.ZoneFile, dns_zone: dns.zone.Zone) -> tuple[RRset, ...]:
    found: list[RRset] = []
    try:
        for item in zone_rrsets(dns_zone):
            if isinstance(item, Unreadable):
                # Data the model cannot hold is never ours; it stays in the file as it is.
                log.debug("zone file %s: leaving %s alone", zone_file.shown, item)
                continue
            found.append(item[0])
    except DnssyncError as exc:
        raise ProviderError(f"cannot read zone file {zone_file.shown}: {exc}") from None
    return tuple(sorted(found, key=lambda r: r.key))


def _render(parsed: ParsedZone) -> bytes:
    out = io.StringIO()
    if parsed.default_ttl is not None:
        out.write(f"$TTL {parsed.default_ttl}\n")
    parsed.zone.to_file(out, sorted=True, relativize=False)
    # dnspython escapes octets outside printable ASCII in the data it writes.
    return out.getvalue().encode("utf-8")


def _new_zone(zone: DomainName) -> dns.zone.Zone:
    origin = to_dns_name(zone)
    dns_zone = dns.zone.Zone(origin, relativize=False)
    soa = dns.rdata.from_text(
        dns.rdataclass.IN,
        dns.rdatatype.SOA,
        f"ns1.{zone.fqdn} hostmaster.{zone.fqdn} 1 3600 600 1209600 300",
    )
    dns_zone.find_rdataset(origin, dns.rdatatype.SOA, create=True).add(soa, DEFAULT_SOA_TTL)
    ns = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.NS, f"ns1.{zone.fqdn}")
    dns_zone.find_rdataset(origin, dns.rdatatype.NS, create=True).add(ns, DEFAULT_SOA_TTL)
    return dns_zone


def _bump_serial(dns_zone: dns.zone.Zone) -> None:
    """The one change to data dnssync does not own: secondaries must see the zone moved."""
    origin = dns_zone.origin
    assert origin is not None
    rdataset = dns_zone.get_rdataset(origin, dns.rdatatype.SOA)
    if rdataset is None or len(rdataset) != 1:
        return
    soa = rdataset[0]
    bumped = dns.rdataset.Rdataset(rdataset.rdclass, rdataset.rdtype)
    bumped.update_ttl(rdataset.ttl)
    bumped.add(soa.replace(serial=(soa.serial + 1) % 2**32))
    dns_zone.replace_rdataset(origin, bumped)
