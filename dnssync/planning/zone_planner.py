"""The diff of one zone: desired records + provider records + ownership -> change groups.

Rules (docs/safety.md): a record is ours only if its ownership TXT names our owner id;
records without one, or with another owner, are never changed or deleted, and creating
over them is refused and reported. A record and its TXT always travel in one group.
An ownership TXT that does not parse exactly (``Untrusted``, docs/ownership.md) counts as
data nobody owns: never ours, never an orphan, and it blocks creates at its name.
Names at or below a delegation, or below a DNAME, are occluded (docs/safety.md, "Occluded
names"): nothing is planned there, and NS, DNAME and SOA are never changed.

The planner decides the record changes; the ownership stage (:mod:`dnssync.ownership`)
says which records are ours and gives the TXT changes that travel with each of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Self

from dnssync.errors import OwnershipError
from dnssync.model.changes import Action, Change, ChangeGroup, ZonePlan
from dnssync.model.diagnostics import Diagnostic, for_object
from dnssync.model.names import DomainName
from dnssync.model.records import KEY_ORDER, MANAGED_TYPES, RecordKey, RRset
from dnssync.ownership.changes import OwnershipChanges
from dnssync.ownership.registry import Owners, ZoneOwnership
from dnssync.ownership.txt import TxtRegistry
from dnssync.planning.occlusion import ZoneCuts
from dnssync.rules.merge import DesiredRecord

__all__ = [
    "ZonePlanResult",
    "ZoneState",
    "plan_zone",
]


@dataclass
class ZoneState(ZoneOwnership):
    """A zone as the planner sees it: the records it serves with their ownership resolved
    (the ownership stage), and where it is cut (delegations, DNAMEs)."""

    cuts: ZoneCuts | None = None

    @classmethod
    def read(cls, zone: DomainName, registry: TxtRegistry, rrsets: Iterable[RRset]) -> Self:
        listed = tuple(rrsets)
        cuts = ZoneCuts(zone, listed)
        served: Iterable[RRset] = listed  # a zone without cuts serves every record
        occluded: list[RecordKey] = []
        if cuts:
            served = []
            for rrset in listed:
                if cuts.occluding(rrset.name) is not None:
                    # Not served by this zone, so not ours to touch (module docstring).
                    occluded.append(rrset.key)
                else:
                    served.append(rrset)
        state = cls.of(zone, registry, served, occluded)
        state.cuts = cuts
        return state

    def occlusion(self, key: RecordKey, txt_name: DomainName) -> str | None:
        """Why a record cannot live at key: its name or its ownership TXT name is
        occluded."""
        if not self.cuts:
            return None
        for name, what in ((key.name, str(key)), (txt_name, f"the ownership TXT {txt_name.fqdn}")):
            cut = self.cuts.occluding(name)
            if cut is not None:
                return (
                    f"{key} is not written: {what} is occluded by {cut.describe()} in zone "
                    f"{self.zone.fqdn}; records there are not served by this zone (publish "
                    "the name in the zone it is delegated to, or outside the DNAME)"
                )
        return None


@dataclass
class ZonePlanResult:
    plan: ZonePlan
    diagnostics: list[Diagnostic]
    owned: int
    desired_count: int


def plan_zone(
    zone: DomainName,
    desired: Mapping[RecordKey, DesiredRecord],
    existing: Iterable[RRset],
    registry: TxtRegistry,
    *,
    allow_deletes: bool = True,
    keep_resources: frozenset[str] = frozenset(),
    manages: Callable[[DomainName], bool] = lambda _: True,
) -> ZonePlanResult:
    """Diff one zone. Without ``allow_deletes`` (an incomplete source) nothing is deleted;
    records of ``keep_resources`` (objects that could not be read) are left alone, and so
    are records at names ``manages`` rejects (domain filters), whoever owns them."""
    state = ZoneState.read(zone, registry, existing)
    owners = state.owners(manages)
    deleted = _deletions(owners, desired, allow_deletes, keep_resources)
    diff = _ZoneDiff(state, owners, OwnershipChanges(state, owners.ours, deleted, desired))
    for key in sorted(desired.keys() | owners.ours.keys(), key=KEY_ORDER):
        want = desired.get(key)
        if want is not None:
            diff.write(key, want)
        elif key in deleted:
            diff.delete(key)
    if allow_deletes:
        diff.groups.extend(diff.txts.orphans(desired, manages))
    diff.groups.sort(key=lambda g: (g.primary.name.text, g.primary.rtype.value))
    plan = ZonePlan(zone, tuple(diff.groups), owned_records=len(owners.ours))
    return ZonePlanResult(plan, diff.diagnostics, len(owners.ours), len(desired))


def _deletions(
    owners: Owners,
    desired: Mapping[RecordKey, DesiredRecord],
    allow_deletes: bool,
    keep_resources: frozenset[str],
) -> set[RecordKey]:
    """Our records nothing wants any more, unless deletes are off or their object is kept."""
    if not allow_deletes:
        return set()
    return {
        k
        for k, o in owners.ours.items()
        if k not in desired and o.ownership.resource not in keep_resources
    }


@dataclass
class _ZoneDiff:
    """The change groups and refusals of one zone, built one record key at a time."""

    state: ZoneState
    owners: Owners
    txts: OwnershipChanges
    groups: list[ChangeGroup] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def write(self, key: RecordKey, want: DesiredRecord) -> None:
        """A record the plan wants: create it, update it, or refuse it."""
        resource = str(want.owner)  # what the ownership TXT records
        txt_name = self._writable(key, want, resource)
        if txt_name is None:
            return
        self.txts.claim(txt_name)
        have = self.state.rrsets.get(key)
        if have is None:
            self._create(key, want, txt_name, resource)
        elif key not in self.owners.ours:
            self._refuse(want, self._not_ours(key, have, want), "NotOwned")
        else:
            self._update(key, want, have, txt_name, resource)

    def delete(self, key: RecordKey) -> None:
        """One of our records nothing wants any more, with its ownership TXT."""
        have = self.state.rrsets[key]
        resource = self.owners.ours[key].ownership.resource
        group = [Change(Action.DELETE, self.state.zone, None, have, resource)]
        group.extend(self.txts.for_delete(key))
        self.groups.append(ChangeGroup(tuple(group)))

    def _writable(self, key: RecordKey, want: DesiredRecord, resource: str) -> DomainName | None:
        """The ownership TXT name of a record dnssync may write at key, or None (refused)."""
        if key.rtype not in MANAGED_TYPES:
            self._refuse(want, f"{key}: dnssync never writes {key.rtype.value} records", "NotOwned")
            return None
        try:
            txt_name = self.txts.txt_name(key, resource)
        except OwnershipError as exc:
            self._refuse(want, str(exc), "OwnershipNameInvalid")
            return None
        problem = self.txts.shared_txt_name(key, txt_name)
        if problem:
            self._refuse(want, problem, "OwnershipNameInvalid")
            return None
        problem = self.state.occlusion(key, txt_name)
        if problem:
            self._refuse(want, problem, "Occluded")
            return None
        return txt_name

    def _create(
        self, key: RecordKey, want: DesiredRecord, txt_name: DomainName, resource: str
    ) -> None:
        problem = self.txts.create_blocker(key, txt_name)
        if problem:
            self._refuse(want, problem, "NotOwned")
            return
        group = [Change(Action.CREATE, self.state.zone, want.rrset, None, resource)]
        group.extend(self.txts.for_create(key, txt_name, resource))
        self.groups.append(ChangeGroup(tuple(group)))

    def _update(
        self, key: RecordKey, want: DesiredRecord, have: RRset, txt_name: DomainName, resource: str
    ) -> None:
        group = []
        if not have.same_data(want.rrset):
            group.append(Change(Action.UPDATE, self.state.zone, want.rrset, have, resource))
        problem = self.txts.legacy_unmigrated(key, txt_name)
        if problem:
            self._refuse(want, problem, "OwnershipNameTaken")
        group.extend(self.txts.for_update(txt_name, resource))
        if group:
            self.groups.append(ChangeGroup(tuple(group)))

    def _not_ours(self, key: RecordKey, have: RRset, want: DesiredRecord) -> str:
        """Why an existing record the plan wants is left as it is."""
        found = self.owners.foreign.get(key)
        if have.same_data(want.rrset) and found is None:
            message = f"{key} exists with the same data but without an ownership record; "
        else:
            message = f"{key} exists and "
        if found is not None:
            who = f"is owned by {found.ownership.owner!r}"
        else:
            distrust = self.state.distrusted(key)
            who = "is not owned by dnssync"
            if distrust is not None:
                who = f"is not owned by dnssync ({distrust})"
        return message + who + "; it is left unchanged"

    def _refuse(self, record: DesiredRecord, message: str, reason: str) -> None:
        for c in record.contributors:
            self.diagnostics.append(for_object(c.ref, c.field, message, reason=reason))
