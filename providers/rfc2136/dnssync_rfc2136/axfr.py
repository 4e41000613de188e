"""Reading a zone: the SOA serial (one small query), a full, verified AXFR, and a few
RRsets by pipelined queries (checking a small write without a transfer).

The transfer is checked by dnspython's ``dns.xfr.Inbound`` (SOA at both ends, TSIG on the
first and last message and chained through the ones between) into a ``dns.zone.Zone``,
then turned into our RRsets. Every type we manage is kept, SRV and TXT included, and the
NS (below the apex) and DNAME sets that cut the zone, so the planner can avoid the names
under them. Records that the model cannot hold (odd owner names) are not ours by
definition and are left out with a log line; the data exactly as the server holds it is
kept next to the RRsets so prerequisites and deletes can quote it byte for byte.
"""

from __future__ import annotations

import bisect
import logging
import struct
from collections.abc import Mapping, Sequence

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdataset
import dns.rdatatype
import dns.xfr
import dns.zone

from dnssync.errors import DnssyncError, ProviderError
from dnssync.model.names import DomainName
from dnssync.model.records import RecordKey, RRset
from dnssync.providers.dnswire import (
    Unreadable,
    from_rdataset,
    rdatatype,
    to_dns_name,
    zone_rrsets,
)

from .errors import BadAnswer, describe_rcode
from .transport import Connection, Transport
from .tsig import TsigKey

log = logging.getLogger(__name__)

_FRAME_ID = struct.Struct("!H")  # a DNS message starts with its 16-bit id


class ZoneSnapshot:
    """The managed records of a zone at one SOA serial.

    ``wire`` holds the server's own data for each RRset, for value-dependent prerequisites
    and deletes; ``skipped`` counts records of managed types that could not be represented
    (never ours).
    """

    __slots__ = ("_index", "_sorted", "_superseded", "_tuple", "serial", "skipped", "wire", "zone")

    def __init__(
        self,
        zone: DomainName,
        serial: int,
        rrsets: Sequence[RRset],
        wire: dict[RecordKey, dns.rdataset.Rdataset] | None = None,
        skipped: int = 0,
    ) -> None:
        self.zone = zone
        self.serial = serial
        self.wire: dict[RecordKey, dns.rdataset.Rdataset] = {} if wire is None else wire
        self.skipped = skipped
        self._tuple: tuple[RRset, ...] | None = tuple(rrsets)
        # The sorted RRsets as a list a patch may change in place (see patched()).
        self._sorted: list[RRset] | None = None
        self._index: dict[RecordKey, RRset] | None = None
        self._superseded = False

    @property
    def rrsets(self) -> tuple[RRset, ...]:
        """The RRsets, sorted by key."""
        self._check()
        if self._tuple is None:
            assert self._sorted is not None
            self._tuple = tuple(self._sorted)
        return self._tuple

    def index(self) -> dict[RecordKey, RRset]:
        """The RRsets by key, built once (shared: copy it before changing it)."""
        self._check()
        if self._index is None:
            self._index = {r.key: r for r in self.rrsets}
        return self._index

    def __len__(self) -> int:
        return len(self.index())

    def patched(
        self,
        serial: int,
        changed: Mapping[RecordKey, RRset | None],
        wire: Mapping[RecordKey, dns.rdataset.Rdataset],
    ) -> ZoneSnapshot:
        """This snapshot at ``serial`` with ``changed`` applied (None: gone; the server's
        data from ``wire`` where it was queried, else the model's wire form, as written).

        A daemon patches its cached zone after every event, so this must not cost in
        proportion to the zone: the new snapshot takes this one's tables over instead of
        copying them, finds each change by binary search, and builds its RRset tuple only
        when asked (a full read). This snapshot is superseded and must not be used again.
        """
        self._check()
        index = self.index()
        raw = self.wire
        rrsets = self._sorted if self._sorted is not None else list(self.rrsets)
        # A few changes (an event) are placed by binary search; many (a first converge)
        # would make that quadratic, so the list is sorted again once instead.
        resort = len(changed) > 64 and len(changed) * 8 > len(rrsets)
        for key, rrset in changed.items():
            index.pop(key, None)
            raw.pop(key, None)
            if rrset is not None:
                index[key] = rrset
                if key in wire:
                    raw[key] = wire[key]  # else what we wrote: the model's own wire form
            if resort:
                continue
            position = bisect.bisect_left(rrsets, key, key=_key)
            present = position < len(rrsets) and rrsets[position].key == key
            if rrset is not None:
                if present:
                    rrsets[position] = rrset
                else:
                    rrsets.insert(position, rrset)
            elif present:
                del rrsets[position]
        if resort:
            rrsets = sorted(index.values(), key=_order)
        snapshot = ZoneSnapshot(self.zone, serial, (), raw, self.skipped)
        snapshot._tuple, snapshot._sorted, snapshot._index = None, rrsets, index
        self._superseded = True
        self._sorted = self._index = self._tuple = None
        return snapshot

    def _check(self) -> None:
        if self._superseded:
            raise RuntimeError(f"a superseded snapshot of {self.zone.fqdn} was used")


def _key(rrset: RRset) -> RecordKey:
    return rrset.key


def _order(rrset: RRset) -> tuple[str, str]:
    return rrset.key.order


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
    transport: Transport,
    zone: DomainName,
    key: TsigKey | None,
    timeout: float,
    *,
    idle: float | None = None,
) -> ZoneSnapshot:
    """The whole zone by AXFR over one TCP connection, within ``timeout`` seconds, and
    never waiting more than ``idle`` seconds for the next part (default: the transport's
    timeout)."""
    origin = to_dns_name(zone)
    query = dns.message.make_query(origin, dns.rdatatype.AXFR)
    if key is not None:
        query.use_tsig(key.dns_key())
    wire = query.to_wire()
    dns_zone = dns.zone.Zone(origin, relativize=False)
    silence = transport.timeout if idle is None else idle
    with transport.session("axfr", timeout, idle=silence) as connection:
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
    try:
        for item in zone_rrsets(dns_zone):
            if isinstance(item, Unreadable):
                skipped += len(item.rdataset)
                log.warning(
                    "rfc2136: %s: skipping %s (not representable, so never ours)", zone.fqdn, item
                )
                continue
            rrset, rdataset = item
            rrsets.append(rrset)
            wire[rrset.key] = rdataset
    except DnssyncError as exc:
        raise ProviderError(f"rfc2136: zone {zone.fqdn}: {exc}") from None
    rrsets.sort(key=_order)
    return ZoneSnapshot(zone, int(soa[0].serial), tuple(rrsets), wire, skipped)


def query_rrsets(
    transport: Transport,
    zone: DomainName,
    keys: Sequence[RecordKey],
    key: TsigKey | None,
    *,
    window: int = 64,
) -> ZoneSnapshot:
    """The zone's SOA serial and the RRsets at ``keys`` now, without a transfer.

    One TCP connection; the questions are pipelined ``window`` at a time (each with its own
    message id, as answers may come back in any order). The snapshot holds only the keys
    that exist. An answer synthesized from a wildcard cannot be told from a real RRset, so
    callers must not read "exists" here as proof that a delete was ignored.
    """
    origin = to_dns_name(zone)
    questions = [(origin, dns.rdatatype.SOA)]
    questions += [(to_dns_name(k.name), rdatatype(k.rtype)) for k in keys]
    answers: dict[int, dns.message.Message] = {}
    with transport.session("query") as connection:
        for start in range(0, len(questions), window):
            indexes = range(start, min(start + window, len(questions)))
            pending = _send_questions(connection, questions, indexes, key)
            while pending:
                index, answer = _receive_answer(connection, pending, transport.server)
                answers[index] = answer
    serial = _serial(answers[0], origin)
    if serial is None:
        raise ProviderError(
            f"rfc2136: {transport.server} is not authoritative for {zone.fqdn} (no SOA in its "
            "answer)"
        )
    rrsets, wire = _answered_rrsets(questions, answers)
    return ZoneSnapshot(zone, serial, tuple(rrsets), wire)


_Question = tuple[dns.name.Name, dns.rdatatype.RdataType]


def _send_questions(
    connection: Connection,
    questions: Sequence[_Question],
    indexes: range,
    key: TsigKey | None,
) -> dict[int, tuple[int, dns.message.QueryMessage]]:
    """Send one window of questions; message id -> (question index, query). Ids are
    unique within a window."""
    pending: dict[int, tuple[int, dns.message.QueryMessage]] = {}
    for index in indexes:
        name, rdtype = questions[index]
        query = dns.message.make_query(name, rdtype)
        query.id = index & 0xFFFF
        if key is not None:
            query.use_tsig(key.dns_key())
        connection.send(query.to_wire())
        pending[query.id] = (index, query)
    return pending


def _receive_answer(
    connection: Connection,
    pending: dict[int, tuple[int, dns.message.QueryMessage]],
    server: str,
) -> tuple[int, dns.message.Message]:
    """The next answer (in any order) and the index of its question, taken off pending."""
    raw = connection.receive()
    asked = pending.pop(_FRAME_ID.unpack_from(raw)[0], None) if len(raw) > 1 else None
    if asked is None:
        raise BadAnswer("an answer to a question that was not asked")
    index, query = asked
    answer = dns.message.from_wire(raw, keyring=query.keyring, request_mac=query.mac)
    if not query.is_response(answer):
        raise BadAnswer("the answer does not match the query")
    rcode = answer.rcode()
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        connection.result = dns.rcode.to_text(rcode).lower()
        raise ProviderError(
            f"rfc2136: query for {query.question[0].name} to {server} "
            f"failed: {describe_rcode(rcode)}"
        )
    return index, answer


def _serial(answer: dns.message.Message, origin: dns.name.Name) -> int | None:
    serial: int | None = None
    for soa in answer.answer:
        if soa.name == origin and soa.rdtype == dns.rdatatype.SOA and len(soa):
            serial = int(soa[0].serial)
    return serial


def _answered_rrsets(
    questions: Sequence[_Question], answers: Mapping[int, dns.message.Message]
) -> tuple[list[RRset], dict[RecordKey, dns.rdataset.Rdataset]]:
    """The RRsets that answer the questions after the first (the SOA), as the server
    holds them."""
    rrsets: list[RRset] = []
    wire: dict[RecordKey, dns.rdataset.Rdataset] = {}
    for ident, (name, rdtype) in enumerate(questions[1:], start=1):
        for found in answers[ident].answer:
            if found.name != name or found.rdtype != rdtype:
                continue  # e.g. the CNAME at the name, or the records it points to
            try:
                rrset = from_rdataset(name, found)
            except (DnssyncError, ValueError):
                continue  # not representable, so not what we wrote
            if rrset is not None:
                rrsets.append(rrset)
                wire[rrset.key] = found
    return rrsets, wire
