"""``dnssync explain KIND/NAMESPACE/NAME``: what one object publishes, and why not more.

It reads the same sources as ``plan`` and runs the same rules. With ``--provider`` it also
reads the zones, so names outside every zone, records owned by someone else and the
pending changes of the object are shown; without one, only the rules are applied.

Exit codes (docs/cli.md): 0 the object publishes records and nothing is wrong with it;
2 it publishes nothing, lost a name or has warnings (something to look at); 1 an error
(the object is not found, input could not be read, bad settings).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dnssync.errors import ConfigError
from dnssync.model.changes import Change, ChangeGroup
from dnssync.model.diagnostics import Diagnostic, Severity
from dnssync.model.records import RecordKey
from dnssync.model.refs import ObjectRef
from dnssync.rules.merge import DesiredRecord
from dnssync.sources.objects import NamespaceObject, SourceObject
from dnssync.sources.snapshot import SourceSnapshot

# Diagnostics that mean the object lost a name to another object or record.
CONFLICTS = frozenset(
    {
        "CnameConflict",
        "CnameToItself",
        "ProtocolSplitConflict",
        "SrvTargetConflict",
        "SrvTargetIsAlias",
        "NotOwned",
        "Occluded",
        "OwnershipNameTaken",
        "OwnershipNameInvalid",
    }
)
# Short names people type for kinds.
KIND_ALIASES = {"svc": "service", "gw": "gateway", "ls": "listenerset"}


def parse_object(text: str) -> ObjectRef:
    """``KIND/NAMESPACE/NAME`` (kind case-insensitive; ``svc``, ``gw``, ``ls`` accepted)."""
    parts = text.split("/")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise ConfigError(
            f"explain needs KIND/NAMESPACE/NAME (e.g. tcproute/krb/kdc), not {text!r}"
        )
    kind = parts[0].strip().lower()
    return ObjectRef(KIND_ALIASES.get(kind, kind), parts[1].strip(), parts[2].strip())


@dataclass(frozen=True, slots=True)
class Explanation:
    ref: ObjectRef
    found: bool
    unreadable: bool
    records: tuple[DesiredRecord, ...]
    conflicts: tuple[Diagnostic, ...]
    diagnostics: tuple[Diagnostic, ...]
    changes: tuple[Change, ...] = ()
    zones_checked: bool = False
    source_problems: tuple[Diagnostic, ...] = field(default=())

    @property
    def exit_code(self) -> int:
        if not self.found or any(d.severity is Severity.ERROR for d in self.source_problems):
            return 1
        if self.conflicts or self.diagnostics or not self.records:
            return 2
        return 0


def explain(
    ref: ObjectRef,
    snapshot: SourceSnapshot,
    desired: Mapping[RecordKey, DesiredRecord],
    diagnostics: Sequence[Diagnostic],
    groups: Sequence[ChangeGroup] = (),
    zones_checked: bool = False,
) -> Explanation:
    """``diagnostics``: every diagnostic of the run (rules, and the planner's when zones
    were read); the object's own are picked out here."""
    found = any(_ref(o) == ref for o in snapshot.objects)
    unreadable = str(ref) in snapshot.unreadable
    records = tuple(
        record
        for _, record in sorted(desired.items(), key=lambda kv: kv[0].order)
        if any(c.ref == ref for c in record.contributors)
    )
    own = list(dict.fromkeys(d for d in diagnostics if d.ref == ref))
    conflicts = tuple(d for d in own if d.reason in CONFLICTS)
    others = tuple(d for d in own if d.reason not in CONFLICTS)
    names = {r.rrset.name for r in records}
    # A record's change travels with its ownership TXT change: show the group.
    mine = tuple(
        c
        for g in groups
        if g.primary.owner_resource == str(ref) or g.primary.name in names
        for c in g
    )
    source_problems = tuple(d for d in snapshot.diagnostics if d.ref is None or d.ref == ref)
    return Explanation(
        ref,
        found or unreadable,
        unreadable,
        records,
        conflicts,
        others,
        mine,
        zones_checked,
        source_problems,
    )


def _ref(obj: SourceObject) -> ObjectRef | None:
    if isinstance(obj, NamespaceObject):
        return None
    return obj.ref


def render_text(explanation: Explanation) -> str:
    e = explanation
    lines = [f"{e.ref}"]
    if not e.found:
        lines.append("  not found in the sources read (check the kind, namespace and name,")
        lines.append("  and --source, --namespace and the label and annotation filters)")
        return "\n".join(lines) + "\n"
    if e.unreadable:
        lines.append("  could not be read: its records are kept as they are (see the error)")
    if e.records:
        lines.append("  publishes:")
        for record in e.records:
            lines.append(f"    {record.rrset}{_shared(record, e.ref)}")
    else:
        lines.append("  publishes nothing")
    if e.conflicts:
        lines.append("  lost in a conflict:")
        lines.extend(f"    {_line(d)}" for d in e.conflicts)
    if e.diagnostics:
        lines.append("  warnings:")
        lines.extend(f"    {_line(d)}" for d in e.diagnostics)
    if e.zones_checked:
        if e.changes:
            lines.append("  pending changes:")
            lines.extend(f"    {_change(c)}" for c in e.changes)
        elif e.records:
            lines.append("  in sync: the zones already hold these records")
    else:
        lines.append("  zones not read (give --provider to check zones and pending changes)")
    return "\n".join(lines) + "\n"


def _shared(record: DesiredRecord, ref: ObjectRef) -> str:
    others = sorted({str(c.ref) for c in record.contributors if c.ref != ref})
    notes = []
    if others:
        notes.append(f"merged with {', '.join(others)}")
    if record.owner != ref:
        notes.append(f"ownership TXT names {record.owner}")
    return f"  ({'; '.join(notes)})" if notes else ""


def _line(diagnostic: Diagnostic) -> str:
    where = f"{diagnostic.field}: " if diagnostic.field else ""
    return f"[{diagnostic.reason}] {where}{diagnostic.message}"


def _change(change: Change) -> str:
    return f"{change.action.value} {change.rrset}"


def render_json(explanation: Explanation) -> str:
    e = explanation
    document = {
        "object": str(e.ref),
        "found": e.found,
        "unreadable": e.unreadable,
        "records": [
            {
                "name": r.rrset.name.fqdn,
                "type": r.rrset.rtype.value,
                "ttl": r.rrset.ttl,
                "values": list(r.rrset.value_texts()),
                "owner_resource": str(r.owner),
                "contributors": sorted({str(c.ref) for c in r.contributors}),
            }
            for r in e.records
        ],
        "conflicts": [_diagnostic_json(d) for d in e.conflicts],
        "diagnostics": [_diagnostic_json(d) for d in e.diagnostics],
        "zones_checked": e.zones_checked,
        "changes": [
            {
                "action": c.action.value,
                "zone": c.zone.fqdn,
                "name": c.name.fqdn,
                "type": c.rtype.value,
                "values": list(c.rrset.value_texts()),
            }
            for c in e.changes
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _diagnostic_json(diagnostic: Diagnostic) -> dict[str, str]:
    return {
        "severity": diagnostic.severity.value,
        "reason": diagnostic.reason,
        "field": diagnostic.field,
        "message": diagnostic.message,
    }


__all__ = ["Explanation", "explain", "parse_object", "render_json", "render_text"]
