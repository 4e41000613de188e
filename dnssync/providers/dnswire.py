"""Conversion between the record model and dnspython's rdata, for zone files and RFC2136.

TXT data travels as its character-strings, byte for byte, never through presentation
text, so foreign TXT data (several strings, any octets) is written back exactly.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.DNAME
import dns.rdtypes.ANY.NS
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rdtypes.IN.SRV
import dns.zone

from dnssync.errors import DnssyncError, InvalidRecordError
from dnssync.model.names import DomainName
from dnssync.model.records import (
    Alias,
    CanonicalName,
    IPv4,
    IPv6,
    NameServer,
    RData,
    RecordType,
    Redirection,
    RRset,
    Service,
    Text,
)

_RDTYPES = {
    RecordType.A: dns.rdatatype.A,
    RecordType.AAAA: dns.rdatatype.AAAA,
    RecordType.CNAME: dns.rdatatype.CNAME,
    RecordType.SRV: dns.rdatatype.SRV,
    RecordType.TXT: dns.rdatatype.TXT,
    RecordType.NS: dns.rdatatype.NS,
    RecordType.DNAME: dns.rdatatype.DNAME,
}
_TYPES = {v: k for k, v in _RDTYPES.items()}
_CUTS = (dns.rdatatype.NS, dns.rdatatype.DNAME)


def rdatatype(rtype: RecordType) -> dns.rdatatype.RdataType:
    return _RDTYPES[rtype]


def to_dns_name(name: DomainName) -> dns.name.Name:
    return dns.name.from_text(name.fqdn)


def from_dns_name(name: dns.name.Name) -> DomainName:
    return DomainName.parse(name.to_text())


def to_rdata(value: RData) -> dns.rdata.Rdata:
    if isinstance(value, Alias):
        raise InvalidRecordError(f"{value.to_text()} cannot be written to a standard DNS server")
    if isinstance(value, Text):
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, value.strings)
    # Our presentation text is canonical and fully qualified, so it parses back exactly.
    return dns.rdata.from_text(dns.rdataclass.IN, _RDTYPES[value.rtype], value.to_text())


def from_rdata(rdata: dns.rdata.Rdata) -> RData:
    if isinstance(rdata, dns.rdtypes.IN.A.A):
        return IPv4(ipaddress.IPv4Address(rdata.address))
    if isinstance(rdata, dns.rdtypes.IN.AAAA.AAAA):
        return IPv6(ipaddress.IPv6Address(rdata.address))
    if isinstance(rdata, dns.rdtypes.ANY.CNAME.CNAME):
        return CanonicalName(from_dns_name(rdata.target))
    if isinstance(rdata, dns.rdtypes.IN.SRV.SRV):
        return Service(rdata.priority, rdata.weight, rdata.port, from_dns_name(rdata.target))
    if isinstance(rdata, dns.rdtypes.ANY.TXT.TXT):
        return Text(tuple(rdata.strings))
    if isinstance(rdata, dns.rdtypes.ANY.NS.NS):
        return NameServer(from_dns_name(rdata.target))
    if isinstance(rdata, dns.rdtypes.ANY.DNAME.DNAME):
        return Redirection(from_dns_name(rdata.target))
    raise InvalidRecordError(f"unsupported rdata {rdata!r}")


def record_type_of(rdtype: int) -> RecordType | None:
    """Our type for a dnspython type, or None for types dnssync does not manage."""
    try:
        return _TYPES.get(dns.rdatatype.RdataType(rdtype))
    except ValueError:
        return None


def to_rdataset(rrset: RRset) -> dns.rdataset.Rdataset:
    rdataset = dns.rdataset.Rdataset(dns.rdataclass.IN, _RDTYPES[rrset.rtype])
    rdataset.update_ttl(rrset.ttl)
    for value in rrset.values:
        rdataset.add(to_rdata(value))
    return rdataset


def from_rdataset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> RRset | None:
    """Our RRset for a dnspython rdataset, or None when the type is not one we manage."""
    rtype = record_type_of(rdataset.rdtype)
    if rtype is None or rdataset.rdclass != dns.rdataclass.IN or not len(rdataset):
        return None
    return RRset.of(from_dns_name(name), rtype, rdataset.ttl, (from_rdata(r) for r in rdataset))


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An RRset of a type we model whose name or data the model cannot hold."""

    name: dns.name.Name
    rdataset: dns.rdataset.Rdataset
    reason: str

    def __str__(self) -> str:
        rtype = dns.rdatatype.to_text(self.rdataset.rdtype)
        return f"{self.name} {rtype}: {self.reason}"


def zone_rrsets(
    dns_zone: dns.zone.Zone,
) -> Iterator[tuple[RRset, dns.rdataset.Rdataset] | Unreadable]:
    """The RRsets of a dnspython zone that the model holds, each with dnspython's own data,
    and the ones of those types it cannot hold. The NS at the apex is left out: it is no
    delegation, and dnssync never changes it."""
    origin = dns_zone.origin
    for name, node in dns_zone.nodes.items():
        for rdataset in node.rdatasets:
            if rdataset.rdclass != dns.rdataclass.IN or record_type_of(rdataset.rdtype) is None:
                continue
            if rdataset.rdtype == dns.rdatatype.NS and name == origin:
                continue
            try:
                rrset = from_rdataset(name, rdataset)
            except (DnssyncError, ValueError) as exc:
                if rdataset.rdtype in _CUTS and _holds_name(name):
                    # Names below this cut may be ours to avoid; guessing is not safe.
                    raise InvalidRecordError(
                        f"{name} {dns.rdatatype.to_text(rdataset.rdtype)} cannot be read "
                        f"({exc}), so the names below it cannot be kept apart"
                    ) from None
                yield Unreadable(name, rdataset, str(exc))
                continue
            if rrset is not None:
                yield rrset, rdataset


def _holds_name(name: dns.name.Name) -> bool:
    """Whether the model can hold this owner name (else nothing of ours is at or below it)."""
    try:
        from_dns_name(name)
    except (DnssyncError, ValueError):
        return False
    return True
