"""Applying change groups to a parsed zone, touching only the RRsets the changes name.

Everything else in the zone (every type, TTL, multi-string TXT, escape) stays exactly as
dnspython read it. Each change is checked against what the zone holds now, in dnspython's
own data, not the model's: a create needs the RRset to be absent (even when it holds data
the model cannot represent), an update or delete needs it to read as exactly
``Change.old``. A group applies all or nothing, and never leaves a CNAME beside other data
(of any type, MX included) at a name. That check runs before anything changes: dnspython's
nodes keep themselves consistent by silently dropping the other data when a CNAME is
added (or the CNAME when other data is), which would lose foreign records.
"""

from __future__ import annotations

from collections.abc import Sequence

import dns.name
import dns.node
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone

from dnssync.errors import DnssyncError, ProviderConflictError
from dnssync.model.changes import Action, Change, ChangeGroup
from dnssync.providers.base import ApplyResult, GroupFailure
from dnssync.providers.dnswire import from_rdataset, rdatatype, to_dns_name, to_rdataset

_ORDER = {Action.DELETE: 0, Action.UPDATE: 1, Action.CREATE: 2}


def apply_groups(zone: dns.zone.Zone, groups: Sequence[ChangeGroup]) -> ApplyResult:
    """Apply each group atomically (deletes first); conflicts are reported per group."""
    applied: list[ChangeGroup] = []
    failed: list[GroupFailure] = []
    for group in sorted(groups, key=lambda g: _ORDER[g.action]):
        try:
            _apply_group(zone, group)
        except ProviderConflictError as exc:
            failed.append(GroupFailure(group, str(exc), conflict=True))
        else:
            applied.append(group)
    return ApplyResult(tuple(applied), tuple(failed))


def _apply_group(zone: dns.zone.Zone, group: ChangeGroup) -> None:
    for change in group:
        _check(zone, change)
    _check_cname_alone(zone, group)
    undo: list[tuple[dns.name.Name, dns.rdatatype.RdataType, dns.rdataset.Rdataset | None]] = []
    try:
        for change in sorted(group, key=lambda c: _ORDER[c.action]):
            name, rdtype = to_dns_name(change.name), rdatatype(change.rtype)
            undo.append((name, rdtype, zone.get_rdataset(name, rdtype)))
            if change.action is Action.DELETE:
                zone.delete_rdataset(name, rdtype)
            else:
                assert change.new is not None
                zone.replace_rdataset(name, to_rdataset(change.new))
    except BaseException:
        for name, rdtype, previous in reversed(undo):
            if previous is None:
                zone.delete_rdataset(name, rdtype)
            else:
                zone.replace_rdataset(name, previous)
        raise


def _check(zone: dns.zone.Zone, change: Change) -> None:
    name = to_dns_name(change.name)
    if zone.origin is None or not name.is_subdomain(zone.origin):
        raise ProviderConflictError(f"{change.key} is outside the zone {zone.origin}")
    current = zone.get_rdataset(name, rdatatype(change.rtype))
    if change.action is Action.CREATE:
        if current is not None:
            raise ProviderConflictError(f"{change.key} already exists: {_describe(current)}")
        return
    if current is None:
        raise ProviderConflictError(
            f"{change.key} changed since it was read: expected {change.old}, found nothing"
        )
    try:
        held = from_rdataset(name, current)
    except (DnssyncError, ValueError):
        held = None
    if held is None or held != change.old:
        raise ProviderConflictError(
            f"{change.key} changed since it was read: expected {change.old}, "
            f"found {_describe(current)}"
        )


def _check_cname_alone(zone: dns.zone.Zone, group: ChangeGroup) -> None:
    """Refuse a group that would leave a CNAME beside other data at one of its names."""
    after: dict[dns.name.Name, set[tuple[dns.rdatatype.RdataType, dns.rdatatype.RdataType]]] = {}
    for change in group:
        name = to_dns_name(change.name)
        if name not in after:
            node = zone.get_node(name)
            held = node.rdatasets if node is not None else []
            after[name] = {(r.rdtype, r.covers) for r in held if r.rdclass == dns.rdataclass.IN}
        kind = (rdatatype(change.rtype), dns.rdatatype.NONE)
        if change.action is Action.DELETE:
            after[name].discard(kind)
        else:
            after[name].add(kind)
    for name, types in after.items():
        kinds = {dns.node.NodeKind.classify(t, c) for t, c in types}
        if dns.node.NodeKind.CNAME in kinds and dns.node.NodeKind.REGULAR in kinds:
            others = sorted(
                dns.rdatatype.to_text(t)
                for t, c in types
                if dns.node.NodeKind.classify(t, c) is dns.node.NodeKind.REGULAR
            )
            raise ProviderConflictError(
                f"{name} would hold a CNAME and other data ({', '.join(others)})"
            )


def _describe(rdataset: dns.rdataset.Rdataset) -> str:
    values = ", ".join(r.to_text() for r in rdataset)
    return f"{rdataset.ttl} {dns.rdatatype.to_text(rdataset.rdtype)} {values}"
