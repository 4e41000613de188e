"""Merging claims from several objects into RRsets (docs/rules.md, "When objects share a name").

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
from collections.abc import Container, Iterable, Sequence
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
        if len(self.contributors) == 1:
            return self.contributors[0].ref  # the common case, asked for every record
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
    """Merge every claim at once (the desired state merges name by name, incrementally)."""
    result = MergeResult()
    by_name: dict[DomainName, list[AddressClaim]] = defaultdict(list)
    for claim in addresses:
        by_name[claim.name].append(claim)
    srv_by_name: dict[DomainName, list[SrvClaim]] = defaultdict(list)
    for srv in services:
        srv_by_name[srv.name].append(srv)
    merged: dict[DomainName, AddressMerge] = {}
    for name in sorted(by_name, key=_text):
        found = merge_addresses(name, by_name[name], srv_at_name=name in srv_by_name)
        merged[name] = found
        result.diagnostics.extend(found.diagnostics)
        result.records.update((r.rrset.key, r) for r in found.records)
        if found.refused:
            result.refused.add(name)
    aliases = {name for name, found in merged.items() if found.is_alias}
    for name in sorted(srv_by_name, key=_text):
        here = merged.get(name, NO_ADDRESSES)
        srv_found = merge_srv(name, srv_by_name[name], here.blocks_srv, result.refused, aliases)
        result.diagnostics.extend(srv_found.diagnostics)
        if srv_found.record is not None:
            result.records[srv_found.record.rrset.key] = srv_found.record
    return result


@dataclass(frozen=True, slots=True)
class AddressMerge:
    """The address records of one name, or why it was refused."""

    records: tuple[DesiredRecord, ...] = ()
    refused: bool = False
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def is_alias(self) -> bool:
        """The name is published as a CNAME (an SRV must not target it)."""
        return any(r.rrset.rtype is RecordType.CNAME for r in self.records)

    @property
    def blocks_srv(self) -> bool:
        """A CNAME (or a refused name) never shares its name with an SRV."""
        return self.refused or self.is_alias


@dataclass(frozen=True, slots=True)
class SrvMerge:
    record: DesiredRecord | None = None
    diagnostics: tuple[Diagnostic, ...] = ()


NO_ADDRESSES = AddressMerge()
NO_SRV = SrvMerge()


def _text(name: DomainName) -> str:
    return name.text


def _contributions(claims: Iterable[AddressClaim | SrvClaim]) -> tuple[Contribution, ...]:
    return tuple(sorted({Contribution(c.ref, c.field) for c in claims}, key=lambda c: c.ref))


def _refused(claims: Sequence[AddressClaim], message: str, reason: str) -> AddressMerge:
    return AddressMerge(
        refused=True,
        diagnostics=tuple(
            for_object(ref, fld, message, reason=reason)
            for ref, fld in sorted({(c.ref, c.field) for c in claims})
        ),
    )


def merge_addresses(
    name: DomainName, claims: Sequence[AddressClaim], srv_at_name: bool
) -> AddressMerge:
    """The address records at one name from every object's claims there."""
    if not claims:
        return NO_ADDRESSES
    refs = ", ".join(sorted({str(c.ref) for c in claims}))
    cnames = {c.hostname for c in claims if c.hostname is not None}
    if cnames:
        if len(cnames) > 1 or len(cnames) != len({c.hostname for c in claims}) or srv_at_name:
            return _refused(
                claims,
                f"{name.fqdn} would be a CNAME beside other data ({refs}); a CNAME never "
                "shares a name, so it is not written",
                "CnameConflict",
            )
        target = next(iter(cnames))
        if target == name:
            return _refused(
                claims,
                f"{name.fqdn} would be a CNAME to itself ({refs}): the target must be "
                "another name, such as the load balancer's",
                "CnameToItself",
            )
        ttl = min(c.ttl for c in claims)
        rrset = RRset.of(name, RecordType.CNAME, ttl, [CanonicalName(target)])
        return AddressMerge((DesiredRecord(rrset, _contributions(claims)),))
    port_sets = {c.ports for c in claims}
    address_sets = {c.addresses for c in claims}
    if len(port_sets) > 1 and len(address_sets) > 1:
        return _refused(
            claims,
            f"{name.fqdn} is claimed by objects with different protocols and different "
            f"addresses ({refs}): give each its own dnssync.io/hostname and publish SRV "
            "records under a shared dnssync.io/srv-domain",
            "ProtocolSplitConflict",
        )
    ttl = min(c.ttl for c in claims)
    contributions = _contributions(claims)
    records: list[DesiredRecord] = []
    v4 = {ip for c in claims for ip in c.ipv4}
    v6 = {ip for c in claims for ip in c.ipv6}
    if v4:
        records.append(
            DesiredRecord(RRset.of(name, RecordType.A, ttl, (IPv4(ip) for ip in v4)), contributions)
        )
    if v6:
        records.append(
            DesiredRecord(
                RRset.of(name, RecordType.AAAA, ttl, (IPv6(ip) for ip in v6)), contributions
            )
        )
    return AddressMerge(tuple(records))


def merge_srv(
    name: DomainName,
    claims: Sequence[SrvClaim],
    blocked: bool,
    refused: Container[DomainName],
    aliases: Container[DomainName],
) -> SrvMerge:
    """The SRV RRset at one name. ``blocked``: the name holds a CNAME or was refused;
    ``refused``: every refused name and ``aliases`` every name we publish as a CNAME (an
    SRV must not target either)."""
    if not claims:
        return NO_SRV
    if blocked:
        return SrvMerge(
            diagnostics=tuple(
                for_object(
                    claim.ref,
                    claim.field,
                    f"SRV {name.fqdn} clashes with a CNAME there",
                    reason="CnameConflict",
                )
                for claim in claims
            )
        )
    kept: list[SrvClaim] = []
    diagnostics: list[Diagnostic] = []
    for claim in claims:
        target = claim.data.target
        if target in aliases:
            diagnostics.append(
                for_object(
                    claim.ref,
                    claim.field,
                    f"SRV {name.fqdn} is not written: its target {target.fqdn} is a CNAME "
                    "published by dnssync, and an SRV target must not be an alias (RFC 2782)",
                    reason="SrvTargetIsAlias",
                )
            )
            continue
        if claim.via_name is not None and claim.via_name in refused:
            diagnostics.append(
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
        return SrvMerge(diagnostics=tuple(diagnostics))
    rrset = RRset.of(name, RecordType.SRV, min(c.ttl for c in kept), (c.data for c in kept))
    return SrvMerge(DesiredRecord(rrset, _contributions(kept)), tuple(diagnostics))
