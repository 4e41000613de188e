"""Which objects a reconcile published records for (Normal Events, issue 15 item 7).

Each applied create or update of a record (not its ownership TXT, not a delete) is a
publication for every object that contributed to the record: replicas merged at one name
each get their Event. Contributors come from the desired state; a change whose record is
no longer desired (a race with a newer event) falls back to the owner it was planned for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dnssync.model.changes import Action, ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.publications import Publication
from dnssync.model.records import RecordKey, RecordType
from dnssync.model.refs import ObjectRef
from dnssync.rules.merge import DesiredRecord


def publications(
    applied: Iterable[tuple[DomainName, Iterable[ChangeGroup]]],
    desired: Mapping[RecordKey, DesiredRecord],
) -> list[Publication]:
    found: list[Publication] = []
    for zone, groups in applied:
        for group in groups:
            change = group.primary
            if change.action is Action.DELETE or change.rtype is RecordType.TXT:
                continue
            assert change.new is not None
            record = desired.get(change.key)
            if record is not None:
                refs = sorted({c.ref for c in record.contributors})
            else:
                owner = ObjectRef.parse(change.owner_resource or "")
                refs = [owner] if owner is not None else []
            found.extend(Publication(ref, zone, change.new) for ref in refs)
    return found
