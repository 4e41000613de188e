"""Applying change groups to a parsed zone, touching only the RRsets the changes name.

Everything else in the zone (every type, TTL, multi-string TXT, escape) stays exactly as
dnspython read it. Each change is checked against what the zone holds now, in dnspython's
own data, not the model's: a create needs the RRset to be absent (even when it holds data
the model cannot represent), an update or delete needs it to read as exactly
``Change.old``. A group applies all or nothing, and never leaves a CNAME beside other data
(of any type, MX included) at a name.
"""

from __future__ import annotations

from collections.abc import Sequence

import dns.name
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone

from dnssync.errors import DnssyncError, ProviderConflictError
from dnssync.model.changes import Action, Change, ChangeGroup
from dnssync.providers.base import ApplyResult, GroupFailure
from dnssync.providers.dnswire import from_rdataset, rdatatype, to_dns_name, to_rdataset

# Types a CNAME may share its name with (RFC 2181 10.1, RFC 4035 2.5).
_BESIDE_CNAME = frozenset({dns.rdatatype.CNAME, dns.rdatatype.RRSIG, dns.rdatatype.NSEC})
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
    undo: list[tuple[dns.name.Name, dns.rdatatype.RdataType, dns.rdataset.Rdataset | None]] = []
    try:
        for change in group:
            name, rdtype = to_dns_name(change.name), rdatatype(change.rtype)
            undo.append((name, rdtype, zone.get_rdataset(name, rdtype)))
            if change.action is Action.DELETE:
                zone.delete_rdataset(name, rdtype)
            else:
                assert change.new is not None
                zone.replace_rdataset(name, to_rdataset(change.new))
        for change in group:
            if change.action is not Action.DELETE:
                _check_cname_alone(zone, change)
    except BaseException:
        for name, rdtype, previous in reversed(undo):
            if previous is None:
                zone.delete_rdataset(name, rdtype)
            else:
                zone.replace_rdataset(name, previous)
        raise


def _check(zone: dns.zone.Zone, change: Change) -> None:
    current = zone.get_rdataset(to_dns_name(change.name), rdatatype(change.rtype))
    if change.action is Action.CREATE:
        if current is not None:
            raise ProviderConflictError(f"{change.key} already exists: {_describe(current)}")
        return
    if current is None:
        raise ProviderConflictError(
            f"{change.key} changed since it was read: expected {change.old}, found nothing"
        )
    try:
        held = from_rdataset(to_dns_name(change.name), current)
    except (DnssyncError, ValueError):
        held = None
    if held is None or held != change.old:
        raise ProviderConflictError(
            f"{change.key} changed since it was read: expected {change.old}, "
            f"found {_describe(current)}"
        )


def _check_cname_alone(zone: dns.zone.Zone, change: Change) -> None:
    node = zone.get_node(to_dns_name(change.name))
    if node is None:
        return
    types = {r.rdtype for r in node.rdatasets if r.rdclass == dns.rdataclass.IN}
    others = types - _BESIDE_CNAME
    if dns.rdatatype.CNAME in types and others:
        kinds = ", ".join(sorted(dns.rdatatype.to_text(t) for t in others))
        raise ProviderConflictError(
            f"{change.name.fqdn} would hold a CNAME and other data ({kinds})"
        )


def _describe(rdataset: dns.rdataset.Rdataset) -> str:
    values = ", ".join(r.to_text() for r in rdataset)
    return f"{rdataset.ttl} {dns.rdatatype.to_text(rdataset.rdtype)} {values}"
