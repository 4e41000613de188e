"""UPDATE messages encoded from the model read back, in dnspython, exactly as the message
dnspython itself builds from the same changes; signed ones verify with the key."""

from __future__ import annotations

import base64
import ipaddress

import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.update
from dnssync_rfc2136.encoding import name_wire, owner_wire
from dnssync_rfc2136.tsig import TsigKey
from dnssync_rfc2136.updates import build, render
from hypothesis import given
from hypothesis import strategies as st

from dnssync.model.changes import Action, Change, ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import (
    CanonicalName,
    IPv4,
    IPv6,
    RData,
    RecordType,
    RRset,
    Service,
    Text,
)
from dnssync.providers.dnswire import to_rdata

ZONE = DomainName.parse("example.com")
KEY = TsigKey(dns.name.from_text("ddns-key"), "hmac-sha256", base64.b64decode("c" * 44))

labels = st.from_regex(r"[a-z0-9_]([a-z0-9_-]{0,20}[a-z0-9_])?", fullmatch=True)
names = st.lists(labels, min_size=0, max_size=3).map(
    lambda parts: DomainName.parse(".".join([*parts, ZONE.text]))
)
targets = st.lists(labels, min_size=1, max_size=4).map(lambda p: DomainName.parse(".".join(p)))
ttls = st.integers(0, 2**31 - 1)


def values_of(rtype: RecordType) -> st.SearchStrategy[RData]:
    if rtype is RecordType.A:
        return st.integers(0, 2**32 - 1).map(lambda n: IPv4(ipaddress.IPv4Address(n)))
    if rtype is RecordType.AAAA:
        return st.integers(0, 2**128 - 1).map(lambda n: IPv6(ipaddress.IPv6Address(n)))
    if rtype is RecordType.CNAME:
        return targets.map(CanonicalName)
    if rtype is RecordType.SRV:
        port = st.integers(0, 65535)
        return st.builds(Service, port, port, port, targets)
    strings = st.lists(st.binary(max_size=255), min_size=1, max_size=4)
    return strings.map(lambda s: Text(tuple(s)))


@st.composite
def rrsets(draw: st.DrawFn, name: DomainName, rtype: RecordType) -> RRset:
    size = 1 if rtype is RecordType.CNAME else draw(st.integers(1, 4))
    values = draw(st.lists(values_of(rtype), min_size=size, max_size=size))
    return RRset.of(name, rtype, draw(ttls), values)


@st.composite
def changes(draw: st.DrawFn) -> Change:
    name = draw(names)
    rtype = draw(st.sampled_from([t for t in RecordType if t in _TYPES]))
    action = draw(st.sampled_from(Action))
    old = draw(rrsets(name, rtype)) if action is not Action.CREATE else None
    new = draw(rrsets(name, rtype)) if action is not Action.DELETE else None
    return Change(action, ZONE, new, old)


_TYPES = {RecordType.A, RecordType.AAAA, RecordType.CNAME, RecordType.SRV, RecordType.TXT}


def reference(group: ChangeGroup) -> dns.update.UpdateMessage:
    """The same group built with dnspython's own UPDATE API (guards all kept)."""
    message = dns.update.UpdateMessage(ZONE.fqdn)
    guards: list[tuple[dns.name.Name, dns.rdatatype.RdataType | None]] = []
    for change in group:
        name = dns.name.from_text(change.name.fqdn)
        rdtype = dns.rdatatype.from_text(change.rtype.value)
        if change.old is None:
            message.absent(name, rdtype)
            guards.append((name, None if rdtype == dns.rdatatype.CNAME else dns.rdatatype.CNAME))
        else:
            message.present(name, *[to_rdata(v) for v in change.old.values])
    for name, guard in guards:
        if guard is None:
            message.absent(name)
        else:
            message.absent(name, guard)
    for change in group:
        name = dns.name.from_text(change.name.fqdn)
        if change.old is not None:
            message.delete(name, *[to_rdata(v) for v in change.old.values])
        if change.new is not None:
            message.add(name, change.new.ttl, *[to_rdata(v) for v in change.new.values])
    return message


def sections(message: dns.message.Message) -> list[list[tuple[object, ...]]]:
    def rows(section: list[dns.rrset.RRset]) -> list[tuple[object, ...]]:
        return sorted(
            (
                str(r.name),
                r.rdclass,
                r.rdtype,
                r.deleting or 0,
                r.ttl,
                sorted(d.to_wire() for d in r),
            )
            for r in section
        )

    return [rows(s) for s in message.sections]


# One change per name, so every guard is kept (test_rfc2136_updates covers dropping them).
@given(st.lists(changes(), min_size=1, max_size=4, unique_by=lambda c: c.name))
def test_encoding_reads_back_as_dnspythons_own_message(group_changes: list[Change]) -> None:
    group = ChangeGroup(tuple(group_changes))
    ours = dns.message.from_wire(render(ZONE, [build(ZONE, group)], None).wire)
    theirs = dns.message.from_wire(reference(group).to_wire())
    assert ours.opcode() == theirs.opcode() == dns.opcode.UPDATE
    assert sections(ours) == sections(theirs)


def test_a_signed_message_verifies_and_carries_its_mac() -> None:
    group = ChangeGroup(
        (
            Change(
                Action.CREATE,
                ZONE,
                RRset.of(ZONE, RecordType.A, 60, [IPv4(ipaddress.IPv4Address("192.0.2.1"))]),
                None,
            ),
        )
    )
    signed = render(ZONE, [build(ZONE, group)], KEY)
    read = dns.message.from_wire(signed.wire, keyring=KEY.dns_key())
    assert read.had_tsig and read.id == signed.request.id
    assert read.mac == signed.request.mac and signed.request.mac
    # Another key does not verify it.
    other = TsigKey(dns.name.from_text("ddns-key"), "hmac-sha256", base64.b64decode("d" * 44))
    try:
        dns.message.from_wire(signed.wire, keyring=other.dns_key())
    except dns.tsig.BadSignature:
        pass
    else:
        raise AssertionError("a message signed with one key verified with another")


def test_names_on_the_wire() -> None:
    assert (
        name_wire(DomainName.parse("_sip._tcp.example.com"))
        == b"\x04_sip\x04_tcp\x07example\x03com\x00"
    )
    assert owner_wire(ZONE, ZONE) == b"\xc0\x0c"
    assert owner_wire(ZONE, DomainName.parse("*.apps.example.com")) == b"\x01*\x04apps\xc0\x0c"
