"""The zone-file provider: one RFC 1035 master file per zone, ``DIR/<zone>.zone``.

Files are read and written with dnspython; other record types in the file (SOA, NS, MX...)
are kept as they are. Every write bumps the SOA serial and replaces the file atomically.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone

from dnssync.errors import ConfigError, ProviderError
from dnssync.model.changes import ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import RRset
from dnssync.providers.base import (
    ApplyResult,
    Provider,
    ProviderOption,
    ProviderOptions,
)
from dnssync.providers.dnswire import from_rdataset, record_type_of, to_dns_name, to_rdataset
from dnssync.providers.inmemory import ZONE_OPTION, zones_option
from dnssync.providers.store import RRsetStore

DIR_OPTION = ProviderOption("zonefile-dir", "directory holding one <zone>.zone file per zone")
DEFAULT_SOA_TTL = 3600


class ZoneFileProvider(Provider):
    name = "zonefile"
    description = "RFC 1035 zone files in a directory"
    options = (DIR_OPTION, ZONE_OPTION)

    def __init__(self, directory: Path, zones: Sequence[DomainName]) -> None:
        super().__init__()
        self._dir = directory
        self._zones = tuple(zones)

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
        self.requests.count("list")
        return _managed(self._load(zone))

    def apply(self, zone: DomainName, groups: Sequence[ChangeGroup]) -> ApplyResult:
        self.requests.count("change")
        dns_zone = self._load(zone)
        store = RRsetStore(_managed(dns_zone))
        result = store.apply(groups)
        if result.applied:
            _replace_managed(dns_zone, store.rrsets())
            _bump_serial(dns_zone)
            self._save(zone, dns_zone)
        return result

    def _load(self, zone: DomainName) -> dns.zone.Zone:
        if zone not in self._zones:
            raise ProviderError(f"zone {zone.fqdn} is not managed by this provider")
        path = self.path(zone)
        if not path.exists():
            return _new_zone(zone)
        try:
            return dns.zone.from_file(
                str(path), origin=to_dns_name(zone), relativize=False, check_origin=False
            )
        except (dns.exception.DNSException, OSError, UnicodeError) as exc:
            raise ProviderError(f"cannot read zone file {path}: {exc}") from exc

    def _save(self, zone: DomainName, dns_zone: dns.zone.Zone) -> None:
        path = self.path(zone)
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=f".{zone.text}.", suffix=".tmp")
            with os.fdopen(fd, "w") as handle:
                dns_zone.to_file(handle, sorted=True, relativize=False)
            os.replace(tmp, path)
        except OSError as exc:
            raise ProviderError(f"cannot write zone file {path}: {exc}") from exc


def _managed(dns_zone: dns.zone.Zone) -> tuple[RRset, ...]:
    found: list[RRset] = []
    for name, node in dns_zone.nodes.items():
        for rdataset in node.rdatasets:
            rrset = from_rdataset(name, rdataset)
            if rrset is not None:
                found.append(rrset)
    return tuple(sorted(found, key=lambda r: r.key))


def _replace_managed(dns_zone: dns.zone.Zone, rrsets: Sequence[RRset]) -> None:
    for name in list(dns_zone.nodes):
        node = dns_zone.nodes[name]
        for rdataset in list(node.rdatasets):
            if record_type_of(rdataset.rdtype) is not None:
                node.delete_rdataset(rdataset.rdclass, rdataset.rdtype)
        if not node.rdatasets:
            del dns_zone.nodes[name]
    for rrset in rrsets:
        node = dns_zone.find_node(to_dns_name(rrset.name), create=True)
        node.replace_rdataset(to_rdataset(rrset))


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
    origin = dns_zone.origin
    assert origin is not None
    rdataset = dns_zone.get_rdataset(origin, dns.rdatatype.SOA)
    if rdataset is None:
        return
    soa = rdataset[0]
    bumped = dns.rdataset.Rdataset(rdataset.rdclass, rdataset.rdtype)
    bumped.update_ttl(rdataset.ttl)
    bumped.add(soa.replace(serial=(soa.serial + 1) % 2**32))
    dns_zone.replace_rdataset(origin, bumped)
