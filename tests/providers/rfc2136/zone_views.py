"""What a zone holds, read two ways for the rfc2136 tests: by the provider, and by a
plain dnspython transfer independent of it (the truth a provider's cache is checked
against)."""

from __future__ import annotations

import dns.query
import dns.rdatatype
import dns.zone
from dnssync_rfc2136.provider import Rfc2136Provider

from dnssync.model.names import DomainName
from dnssync.model.records import RecordKey, RRset
from testinfra.bind import DnsServer


def truth(server: DnsServer, zone: DomainName) -> dict[str, list[str]]:
    """The zone by a plain dnspython AXFR, independent of the provider: 'name TYPE' -> data."""
    xfr = dns.query.xfr(
        server.host,
        zone.fqdn,
        port=server.port,
        keyring=server.tsig.dns_key(),
        lifetime=30,
        relativize=False,
    )
    dns_zone = dns.zone.from_xfr(xfr, relativize=False)
    found: dict[str, list[str]] = {}
    for name, rdataset in dns_zone.iterate_rdatasets():
        key = f"{name} {dns.rdatatype.to_text(rdataset.rdtype)}"
        found[key] = sorted(r.to_text() for r in rdataset)
    return found


def index(provider: Rfc2136Provider, zone: DomainName) -> dict[RecordKey, RRset]:
    """The zone as the provider reads it (its cache, when the serial has not moved)."""
    return {r.key: r for r in provider.records(zone)}
