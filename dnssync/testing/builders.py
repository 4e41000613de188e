"""Small builders for records and change groups, for tests of any provider."""

from __future__ import annotations

from dnssync.model.changes import Action, Change, ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import RData, RecordType, RRset, Text, parse_rdata


def name(text: str) -> DomainName:
    return DomainName.parse(text)


def rrset(owner: str, rtype: str, *values: str, ttl: int = 300) -> RRset:
    kind = RecordType.parse(rtype)
    data: list[RData] = [parse_rdata(kind, v) for v in values]
    return RRset.of(DomainName.parse(owner), kind, ttl, data)


def ownership_txt(
    owner: str,
    rtype: str,
    resource: str,
    owner_id: str = "contract",
    *,
    wildcard_replacement: str = "",
) -> RRset:
    """The ownership TXT that ExternalDNS and dnssync write for a record (no prefix):
    ``a-*.apps...`` for a wildcard, or ``a-<replacement>.apps...`` with a replacement."""
    record = DomainName.parse(owner)
    head, _, rest = record.text.partition(".")
    if head == "*" and wildcard_replacement:
        head = wildcard_replacement
    txt_name = DomainName.parse(f"{rtype.lower()}-{head}.{rest}")
    content = (
        f"heritage=external-dns,external-dns/owner={owner_id},external-dns/resource={resource}"
    )
    return RRset.of(txt_name, RecordType.TXT, 300, [Text.of(content)])


def create(zone: DomainName, *rrsets: RRset) -> ChangeGroup:
    return ChangeGroup(tuple(Change(Action.CREATE, zone, r, None) for r in rrsets))


def delete(zone: DomainName, *rrsets: RRset) -> ChangeGroup:
    return ChangeGroup(tuple(Change(Action.DELETE, zone, None, r) for r in rrsets))


def update(zone: DomainName, old: RRset, new: RRset) -> ChangeGroup:
    return ChangeGroup((Change(Action.UPDATE, zone, new, old),))
