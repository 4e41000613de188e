"""The record rules as one pass over a whole snapshot: the pre-incremental implementation,
kept verbatim as the oracle the incremental desired state is checked against.

It shares only the per-object rules (services.py, gateways.py, listenersets.py,
silence.py, per_object.py) with the real code; the merging, the dependency tracking and
the bookkeeping are its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from dnssync.model.diagnostics import for_object
from dnssync.model.names import DomainName
from dnssync.model.records import (
    CanonicalName,
    IPv4,
    IPv6,
    RecordKey,
    RecordType,
    RRset,
)
from dnssync.rules.claims import AddressClaim, SrvClaim
from dnssync.rules.gateways import AttachResult, attach_route, gateway_claims, route_claims
from dnssync.rules.listenersets import listener_set_claims
from dnssync.rules.merge import Contribution, DesiredRecord, MergeResult
from dnssync.rules.per_object import Claims
from dnssync.rules.services import service_claims
from dnssync.rules.settings import RuleSettings
from dnssync.rules.silence import why_silent
from dnssync.rules.wildcards import drop_literal_stars
from dnssync.sources.annotations import ObjectSettings, parse_settings
from dnssync.sources.objects import (
    GatewayObject,
    ListenerSetObject,
    NamespaceObject,
    ServiceObject,
    SourceObject,
)

WHOLE_OBJECT = frozenset({"ttl", "target"})
SRV_SETTINGS = frozenset({"srv-service", "srv-priority", "srv-weight"})


def reference_desired_records(
    objects: Iterable[SourceObject], settings: RuleSettings
) -> MergeResult:
    objects = list(objects)
    claims = Claims()
    parsed: dict[int, ObjectSettings] = {}
    for index, obj in enumerate(objects):
        if isinstance(obj, NamespaceObject):
            continue
        obj_settings, problems = parse_settings(obj.ref, obj.annotations)
        parsed[index] = obj_settings
        if settings.object_filter.publishes(obj) and _ours(obj_settings, settings):
            claims.diagnostics.extend(problems)
    gateways = {
        (obj.ref.namespace, obj.ref.name): (obj, parsed[i])
        for i, obj in enumerate(objects)
        if isinstance(obj, GatewayObject)
    }
    listener_sets = {
        (obj.ref.namespace, obj.ref.name): (obj, parsed[i])
        for i, obj in enumerate(objects)
        if isinstance(obj, ListenerSetObject)
    }
    namespaces = {obj.name: dict(obj.labels) for obj in objects if isinstance(obj, NamespaceObject)}
    bad_targets = {key for key, (_, s) in gateways.items() if "target" in s.invalid}
    bad_sets = {key for key, (_, s) in listener_sets.items() if "target" in s.invalid}
    ttl = settings.default_ttl
    keep: set[str] = set()
    for index, obj in enumerate(objects):
        if isinstance(obj, NamespaceObject) or not settings.object_filter.publishes(obj):
            continue
        obj_settings = parsed[index]
        if not _ours(obj_settings, settings):
            continue
        unusable = bool(obj_settings.invalid)
        attached: AttachResult | None = None
        if isinstance(obj, ServiceObject):
            found = service_claims(obj, obj_settings, ttl)
        elif isinstance(obj, GatewayObject):
            found = gateway_claims(obj, obj_settings, ttl)
        elif isinstance(obj, ListenerSetObject):
            found = listener_set_claims(obj, obj_settings, gateways, namespaces, ttl)
        else:
            attached = attach_route(obj, gateways, namespaces, listener_sets)
            usable = [
                a
                for a in attached.attachments
                if (a.gateway.ref.namespace, a.gateway.ref.name) not in bad_targets
                and (
                    a.listener_set is None
                    or (a.listener_set.ref.namespace, a.listener_set.ref.name) not in bad_sets
                )
            ]
            unusable = unusable or len(usable) != len(attached.attachments)
            found = route_claims(obj, obj_settings, usable, ttl)
            attached = AttachResult(tuple(usable), attached.problems)
        found.diagnostics.extend(why_silent(obj, obj_settings, found, claims.diagnostics, attached))
        # A bad value skips the records that depend on it (docs/annotations.md), and the
        # records the object already owns stay as they are instead of being deleted.
        if unusable:
            keep.add(str(obj.ref))
        if obj_settings.invalid & WHOLE_OBJECT:
            continue
        if obj_settings.invalid & SRV_SETTINGS:
            found.srv.clear()
        claims.extend(found)
    # Wildcards are published (docs/annotations.md); a '*' inside a name never is.
    drop_literal_stars(claims)
    result = merge(claims.addresses, claims.srv)
    result.diagnostics[:0] = claims.diagnostics
    result.keep = keep
    return result


def _ours(obj_settings: ObjectSettings, settings: RuleSettings) -> bool:
    return obj_settings.controller in (None, "", settings.controller)


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
