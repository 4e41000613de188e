"""Reading a zone: the SOA serial (one small query) and a full, verified AXFR.

The transfer is checked by dnspython's ``dns.xfr.Inbound`` (SOA at both ends, TSIG on the
first and last message and chained through the ones between) into a ``dns.zone.Zone``,
then turned into our RRsets. Every type we manage is kept, SRV and TXT included. Records
that the model cannot hold (odd owner names, non-ASCII TXT) are not ours by definition and
are left out with a log line; the data exactly as the server holds it is kept next to the
RRsets so prerequisites and deletes can quote it byte for byte.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.xfr
import dns.zone

from dnssync.errors import DnssyncError, ProviderError
from dnssync.model.names import DomainName
from dnssync.model.records import RecordKey, RRset
from dnssync.providers.dnswire import from_rdataset, record_type_of, to_dns_name

from .errors import BadAnswer, describe_rcode
from .transport import Transport
from .tsig import TsigKey

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ZoneSnapshot:
    """The managed records of a zone at one SOA serial."""

    zone: DomainName
    serial: int
    rrsets: tuple[RRset, ...]
    # The server's own data for each RRset, for value-dependent prerequisites and deletes.
    wire: Mapping[RecordKey, dns.rdataset.Rdataset] = field(default_factory=dict)
    # Records of managed types that could not be represented (never ours).
    skipped: int = 0

    def index(self) -> dict[RecordKey, RRset]:
        return {r.key: r for r in self.rrsets}


def soa_serial(transport: Transport, zone: DomainName, key: TsigKey | None) -> int:
    """The zone's current SOA serial from the primary: one query."""
    query = dns.message.make_query(to_dns_name(zone), dns.rdatatype.SOA)
    if key is not None:
        query.use_tsig(key.dns_key())
    answer = transport.exchange("soa", query)
    rcode = answer.rcode()
    if rcode != dns.rcode.NOERROR:
        raise ProviderError(
            f"rfc2136: SOA query for {zone.fqdn} to {transport.server} failed: "
            f"{describe_rcode(rcode)}"
        )
    origin = to_dns_name(zone)
    for rrset in answer.answer:
        if rrset.name == origin and rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            return int(rrset[0].serial)
    raise ProviderError(
        f"rfc2136: {transport.server} is not authoritative for {zone.fqdn} (no SOA in its answer)"
    )


def transfer(
    transport: Transport, zone: DomainName, key: TsigKey | None, timeout: float
) -> ZoneSnapshot:
    """The whole zone by AXFR over one TCP connection, within ``timeout`` seconds."""
    origin = to_dns_name(zone)
    query = dns.message.make_query(origin, dns.rdatatype.AXFR)
    if key is not None:
        query.use_tsig(key.dns_key())
    wire = query.to_wire()
    dns_zone = dns.zone.Zone(origin, relativize=False)
    with transport.session("axfr", timeout) as connection:
        connection.send(wire)
        with dns.xfr.Inbound(dns_zone, dns.rdatatype.AXFR) as inbound:
            tsig_ctx = None
            first = True
            done = False
            while not done:
                answer = dns.message.from_wire(
                    connection.receive(),
                    keyring=query.keyring,
                    request_mac=query.mac,
                    xfr=True,
                    origin=dns_zone.from_wire_origin(),
                    tsig_ctx=tsig_ctx,
                    multi=True,
                )
                if not query.is_response(answer, xfr_continuation=not first):
                    raise BadAnswer("the transfer answer does not match the query")
                rcode = answer.rcode()
                if rcode != dns.rcode.NOERROR:
                    connection.result = dns.rcode.to_text(rcode).lower()
                    raise ProviderError(_refused(zone, transport.server, rcode, key))
                first = False
                done = inbound.process_message(answer)
                tsig_ctx = answer.tsig_ctx
    return snapshot_of(zone, dns_zone)


def _refused(zone: DomainName, server: str, rcode: dns.rcode.Rcode, key: TsigKey | None) -> str:
    message = (
        f"rfc2136: zone transfer (AXFR) of {zone.fqdn} from {server} was refused "
        f"({dns.rcode.to_text(rcode)}): the server must serve the zone and allow transfers "
    )
    if key is None:
        return message + (
            "without a key; this one was unsigned (--rfc2136-tsig-axfr=false or "
            "--rfc2136-insecure), so sign it with the TSIG key or allow our address"
        )
    return message + f"with {key} (BIND: allow-transfer {{ key {key.name}; }};)"


def snapshot_of(zone: DomainName, dns_zone: dns.zone.Zone) -> ZoneSnapshot:
    origin = to_dns_name(zone)
    soa = dns_zone.get_rdataset(origin, dns.rdatatype.SOA)
    if soa is None or not len(soa):
        raise ProviderError(f"rfc2136: the transfer of {zone.fqdn} has no SOA record")
    rrsets: list[RRset] = []
    wire: dict[RecordKey, dns.rdataset.Rdataset] = {}
    skipped = 0
    for name, node in dns_zone.nodes.items():
        for rdataset in node.rdatasets:
            if rdataset.rdclass != dns.rdataclass.IN or record_type_of(rdataset.rdtype) is None:
                continue
            try:
                rrset = from_rdataset(name, rdataset)
            except (DnssyncError, ValueError) as exc:
                skipped += len(rdataset)
                log.warning(
                    "rfc2136: %s: skipping %s %s (not representable, so never ours): %s",
                    zone.fqdn,
                    name,
                    dns.rdatatype.to_text(rdataset.rdtype),
                    exc,
                )
                continue
            if rrset is not None:
                rrsets.append(rrset)
                wire[rrset.key] = rdataset
    rrsets.sort(key=lambda r: r.key)
    return ZoneSnapshot(zone, int(soa[0].serial), tuple(rrsets), wire, skipped)
