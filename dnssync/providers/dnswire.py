"""Conversion between the record model and dnspython's rdata, for zone files and RFC2136."""

from __future__ import annotations

import ipaddress

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rdtypes.IN.SRV

from dnssync.errors import InvalidRecordError
from dnssync.model.names import DomainName
from dnssync.model.records import (
    Alias,
    CanonicalName,
    IPv4,
    IPv6,
    RData,
    RecordType,
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
}
_TYPES = {v: k for k, v in _RDTYPES.items()}


def rdatatype(rtype: RecordType) -> dns.rdatatype.RdataType:
    return _RDTYPES[rtype]


def to_dns_name(name: DomainName) -> dns.name.Name:
    return dns.name.from_text(name.fqdn)


def from_dns_name(name: dns.name.Name) -> DomainName:
    return DomainName.parse(name.to_text())


def to_rdata(value: RData) -> dns.rdata.Rdata:
    if isinstance(value, Alias):
        raise InvalidRecordError(f"{value.to_text()} cannot be written to a standard DNS server")
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
        return Text.from_chunks(rdata.strings)
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
