"""Merging claims from several objects into RRsets (design section 3, "Merging").

- SRV: the union of all contributed records.
- Address records: objects with the same (port, protocol) set are replicas and their
  addresses are merged; different sets with different addresses are a protocol split done
  wrong and the name is not written.
- A CNAME never shares a name with anything else, and never points at its own name.
- An SRV never targets a name we publish as a CNAME (RFC 2782: the target must not be an
  alias).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from dnssync.model.diagnostics import Diagnostic, for_object
from dnssync.model.names import DomainName
from dnssync.model.records import (
    CanonicalName,
    IPv4,
    IPv6,
    RecordKey,
    RecordType,
    RRset,
)
from dnssync.model.refs import ObjectRef
from dnssync.rules.claims import AddressClaim, SrvClaim


@dataclass(frozen=True, slots=True)
class Contribution:
    """An object that contributed to a desired RRset, and the field that named it."""

    ref: ObjectRef
    field: str


@dataclass(frozen=True, slots=True)
class DesiredRecord:
    rrset: RRset
    contributors: tuple[Contribution, ...]

    @property
    def owner(self) -> ObjectRef:
        """The resource recorded in the ownership TXT: stable, the smallest contributor."""
        return min(c.ref for c in self.contributors)


@dataclass
class MergeResult:
    records: dict[RecordKey, DesiredRecord] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Names refused because of a conflict; SRV records must not point at them.
    refused: set[DomainName] = field(default_factory=set)
    # Objects (``kind/namespace/name``) with an unusable annotation: the records they
    # own are left as they are, neither updated away nor deleted.
    keep: set[str] = field(default_factory=set)


def merge(addresses: Iterable[AddressClaim], services: Iterable[SrvClaim]) -> MergeResult:
    result = MergeResult()
    by_name: dict[DomainName, list[AddressClaim]] = defaultdict(list)
    for claim in addresses:
        by_name[claim.name].append(claim)
    srv_by_name: dict[DomainName, list[SrvClaim]] = defaultdict(list)
    for srv in services:
        srv_by_name[srv.name].append(srv)
    for name in sorted(by_name, key=_text):
        _merge_addresses(name, by_name[name], result, srv_at_name=name in srv_by_name)
    for name in sorted(srv_by_name, key=_text):
        _merge_srv(name, srv_by_name[name], result)
    return result


def _text(name: DomainName) -> str:
    return name.text


def _contributions(claims: Iterable[AddressClaim | SrvClaim]) -> tuple[Contribution, ...]:
    return tuple(sorted({Contribution(c.ref, c.field) for c in claims}, key=lambda c: c.ref))


def _refuse(
    name: DomainName, claims: list[AddressClaim], message: str, reason: str, result: MergeResult
) -> None:
    result.refused.add(name)
    for claim in sorted({(c.ref, c.field) for c in claims}):
        result.diagnostics.append(for_object(claim[0], claim[1], message, reason=reason))


def _merge_addresses(
    name: DomainName, claims: list[AddressClaim], result: MergeResult, srv_at_name: bool
) -> None:
    refs = ", ".join(sorted({str(c.ref) for c in claims}))
    cnames = {c.hostname for c in claims if c.hostname is not None}
    if cnames:
        if len(cnames) > 1 or len(cnames) != len({c.hostname for c in claims}) or srv_at_name:
            _refuse(
                name,
                claims,
                f"{name.fqdn} would be a CNAME beside other data ({refs}); a CNAME never "
                "shares a name, so it is not written",
                "CnameConflict",
                result,
            )
            return
        target = next(iter(cnames))
        if target == name:
            _refuse(
                name,
                claims,
                f"{name.fqdn} would be a CNAME to itself ({refs}): the target must be "
                "another name, such as the load balancer's",
                "CnameToItself",
                result,
            )
            return
        ttl = min(c.ttl for c in claims)
        rrset = RRset.of(name, RecordType.CNAME, ttl, [CanonicalName(target)])
        result.records[rrset.key] = DesiredRecord(rrset, _contributions(claims))
        return
    port_sets = {c.ports for c in claims}
    address_sets = {c.addresses for c in claims}
    if len(port_sets) > 1 and len(address_sets) > 1:
        _refuse(
            name,
            claims,
            f"{name.fqdn} is claimed by objects with different protocols and different "
            f"addresses ({refs}): give each its own dnssync.io/hostname and publish SRV "
            "records under a shared dnssync.io/srv-domain",
            "ProtocolSplitConflict",
            result,
        )
        return
    ttl = min(c.ttl for c in claims)
    contributions = _contributions(claims)
    v4 = {ip for c in claims for ip in c.ipv4}
    v6 = {ip for c in claims for ip in c.ipv6}
    if v4:
        rrset = RRset.of(name, RecordType.A, ttl, (IPv4(ip) for ip in v4))
        result.records[rrset.key] = DesiredRecord(rrset, contributions)
    if v6:
        rrset = RRset.of(name, RecordType.AAAA, ttl, (IPv6(ip) for ip in v6))
        result.records[rrset.key] = DesiredRecord(rrset, contributions)


def _merge_srv(name: DomainName, claims: list[SrvClaim], result: MergeResult) -> None:
    if RecordKey(name, RecordType.CNAME) in result.records or name in result.refused:
        for claim in claims:
            result.diagnostics.append(
                for_object(
                    claim.ref,
                    claim.field,
                    f"SRV {name.fqdn} clashes with a CNAME there",
                    reason="CnameConflict",
                )
            )
        return
    kept: list[SrvClaim] = []
    for claim in claims:
        target = claim.data.target
        if RecordKey(target, RecordType.CNAME) in result.records:
            result.diagnostics.append(
                for_object(
                    claim.ref,
                    claim.field,
                    f"SRV {name.fqdn} is not written: its target {target.fqdn} is a CNAME "
                    "published by dnssync, and an SRV target must not be an alias (RFC 2782)",
                    reason="SrvTargetIsAlias",
                )
            )
            continue
        if claim.via_name is not None and claim.via_name in result.refused:
            result.diagnostics.append(
                for_object(
                    claim.ref,
                    claim.field,
                    f"SRV {name.fqdn} is not written: its target {claim.via_name.fqdn} "
                    "is in conflict",
                    reason="SrvTargetConflict",
                )
            )
            continue
        kept.append(claim)
    if not kept:
        return
    rrset = RRset.of(name, RecordType.SRV, min(c.ttl for c in kept), (c.data for c in kept))
    result.records[rrset.key] = DesiredRecord(rrset, _contributions(kept))
