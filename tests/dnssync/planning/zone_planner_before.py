"""The zone planner as it was before ownership became its own stage (oracle, frozen).

A verbatim copy of ``plan_zone`` and its helpers from before the refactor that moved the
TXT bookkeeping into :mod:`dnssync.ownership`; ``test_zone_planner_equivalence`` checks
that the planner still gives exactly these plans. Do not edit it to follow the planner:
a difference is what the test is there to find.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from dnssync.errors import OwnershipError
from dnssync.model.changes import Action, Change, ChangeGroup, ZonePlan
from dnssync.model.diagnostics import Diagnostic, for_object
from dnssync.model.names import DomainName
from dnssync.model.records import MANAGED_TYPES, RData, RecordKey, RecordType, RRset, Text
from dnssync.ownership.txt import Ownership, TxtRegistry, Untrusted, parse_ownership, read_ownership
from dnssync.planning.occlusion import ZoneCuts
from dnssync.rules.merge import DesiredRecord

# Ownership TXT records get a fixed TTL so a record's TTL change never churns its TXT.
OWNERSHIP_TTL = 300


@dataclass(frozen=True, slots=True)
class ExistingOwnership:
    ownership: Ownership
    txt: RRset
    legacy: bool


@dataclass
class ZoneState:
    """The provider's records of a zone, indexed, with their ownership resolved."""

    zone: DomainName
    registry: TxtRegistry
    rrsets: dict[RecordKey, RRset] = field(default_factory=dict)
    ownership_txts: dict[DomainName, tuple[Ownership, RRset]] = field(default_factory=dict)
    # TXT RRsets with a value that claims the ExternalDNS heritage but cannot be trusted.
    untrusted_txts: dict[DomainName, Untrusted] = field(default_factory=dict)
    types_at: dict[DomainName, set[RecordType]] = field(default_factory=lambda: defaultdict(set))
    cuts: ZoneCuts | None = None
    # RRsets at occluded names: left out of everything above, but they still exist.
    occluded: set[RecordKey] = field(default_factory=set)

    @classmethod
    def read(cls, zone: DomainName, registry: TxtRegistry, rrsets: Iterable[RRset]) -> ZoneState:
        listed = tuple(rrsets)
        cuts = ZoneCuts(zone, listed)
        state = cls(zone, registry, cuts=cuts)
        for rrset in listed:
            if cuts and cuts.occluding(rrset.name) is not None:
                # Not served by this zone, so not ours to touch (module docstring).
                state.occluded.add(rrset.key)
                continue
            state.rrsets[rrset.key] = rrset
            state.types_at[rrset.name].add(rrset.rtype)
            if rrset.rtype is RecordType.TXT:
                claims: list[Ownership] = []
                for value in rrset.values:
                    found = read_ownership(value.joined) if isinstance(value, Text) else None
                    if isinstance(found, Untrusted):
                        state.untrusted_txts.setdefault(rrset.name, found)
                    elif found is not None:
                        claims.append(found)
                if claims and rrset.name not in state.untrusted_txts:
                    # Claimed by several owners: contested, so not ours.
                    theirs = [c for c in claims if c.owner != registry.owner_id]
                    state.ownership_txts[rrset.name] = ((theirs or claims)[0], rrset)
        return state

    def ownership_of(self, key: RecordKey) -> ExistingOwnership | None:
        if self.sharing_txt(key) is not None:
            return None  # one TXT for two records: it cannot say which it owns
        try:
            txt_name = self.registry.txt_name(key.name, key.rtype, self.zone)
        except OwnershipError:
            txt_name = None
        if txt_name is not None and txt_name in self.ownership_txts:
            found, txt = self.ownership_txts[txt_name]
            return ExistingOwnership(found, txt, legacy=False)
        # Pre-v0.12 ExternalDNS: a TXT at the record's own name (never for AAAA, as there),
        # unless that TXT is the typed ownership TXT of a record in the zone.
        if key.rtype is not RecordType.AAAA and self.is_legacy_txt(key.name):
            found, txt = self.ownership_txts[key.name]
            return ExistingOwnership(found, txt, legacy=True)
        return None

    def sharing_txt(self, key: RecordKey) -> RecordKey | None:
        """The record in the zone whose ownership TXT name is key's too, or None.

        With --txt-wildcard-replacement X, ``*.apps`` and ``X.apps`` (same type) share it.
        """
        twin = self.registry.wildcard_twin(key.name)
        other = RecordKey(twin, key.rtype) if twin is not None else None
        return other if other is not None and other in self.rrsets else None

    def distrusted(self, key: RecordKey) -> str | None:
        """Why the ownership TXT that would own key cannot be trusted, or None."""
        other = self.sharing_txt(key)
        if other is not None:
            return (
                f"its ownership TXT name is also that of {other} (--txt-wildcard-replacement "
                f"{self.registry.wildcard_replacement!r}), so it cannot say which it owns"
            )
        try:
            names = [self.registry.txt_name(key.name, key.rtype, self.zone), key.name]
        except OwnershipError:
            names = [key.name]
        for name in names:
            found = self.untrusted_txts.get(name)
            if found is not None:
                return f"its ownership TXT {name.fqdn} cannot be trusted: {found.reason}"
        return None

    def is_legacy_txt(self, name: DomainName) -> bool:
        """An ownership TXT at name that is not the typed TXT of an existing record."""
        if name not in self.ownership_txts:
            return False
        return not any(
            RecordKey(n, t) in self.rrsets for n, t in self.registry.record_keys_for(name)
        )

    def is_ownership_txt(self, key: RecordKey) -> bool:
        return key.rtype is RecordType.TXT and key.name in self.ownership_txts

    def managed_keys(self) -> list[RecordKey]:
        return [k for k in self.rrsets if k.rtype in MANAGED_TYPES]


@dataclass
class ZonePlanResult:
    plan: ZonePlan
    diagnostics: list[Diagnostic]
    owned: int
    desired_count: int


# Complexity 29, as it was: this copy is frozen (module docstring).
def plan_zone(  # noqa: C901
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
    diagnostics: list[Diagnostic] = []
    owned: dict[RecordKey, ExistingOwnership] = {}
    foreign: dict[RecordKey, ExistingOwnership | None] = {}
    for key in state.managed_keys():
        if not manages(key.name):
            continue
        found = state.ownership_of(key)
        if found is not None and found.ownership.owner == registry.owner_id:
            owned[key] = found
        else:
            foreign[key] = found
    groups: list[ChangeGroup] = []
    deleted: set[RecordKey] = {
        k
        for k, o in owned.items()
        if k not in desired and allow_deletes and o.ownership.resource not in keep_resources
    }
    used_txts: set[DomainName] = set()
    # Typed ownership TXTs that go with the records deleted in this plan.
    deleted_txts = {owned[k].txt.name for k in deleted if not owned[k].legacy}
    # A pre-v0.12 TXT stays while a record it owns stays.
    used_txts.update(o.txt.name for k, o in owned.items() if o.legacy and k not in deleted)
    # Ownership TXT names the desired records need (a name may be both a record's and,
    # without a prefix, the typed TXT of another: "a-b" for b's A record).
    wanted_txts: set[DomainName] = set()
    for key in desired:
        try:
            wanted_txts.add(registry.txt_name(key.name, key.rtype, zone))
        except OwnershipError:
            continue

    def refuse(record: DesiredRecord, message: str, reason: str) -> None:
        for c in record.contributors:
            diagnostics.append(for_object(c.ref, c.field, message, reason=reason))

    for key in sorted(desired.keys() | owned.keys(), key=lambda k: k.order):
        want = desired.get(key)
        have = state.rrsets.get(key)
        mine = owned.get(key)
        if want is not None:
            if key.rtype not in MANAGED_TYPES:
                refuse(want, f"{key}: dnssync never writes {key.rtype.value} records", "NotOwned")
                continue
            try:
                txt_name = registry.txt_name(key.name, key.rtype, zone)
                registry.content(str(want.owner))  # a resource it cannot carry is refused
            except OwnershipError as exc:
                refuse(want, str(exc), "OwnershipNameInvalid")
                continue
            problem = _shared_txt_name(registry, key, txt_name, desired, state)
            if problem:
                refuse(want, problem, "OwnershipNameInvalid")
                continue
            problem = _occlusion(state, key, txt_name)
            if problem:
                refuse(want, problem, "Occluded")
                continue
            used_txts.add(txt_name)
        if want is not None and have is None:
            problem = _create_blocker(
                state, key, owned, deleted, txt_name, wanted_txts, deleted_txts
            )
            if problem:
                refuse(want, problem, "NotOwned")
                continue
            group = [Change(Action.CREATE, zone, want.rrset, None, str(want.owner))]
            group.extend(_txt_changes(state, registry, zone, txt_name, str(want.owner)))
            beside = state.rrsets.get(RecordKey(key.name, RecordType.TXT))
            if (
                key.rtype is RecordType.CNAME
                and beside is not None
                and key.name not in used_txts
                and key.name not in deleted_txts
            ):
                # Our pre-v0.12 TXT cannot stay beside a CNAME; the typed one replaces it.
                group.append(Change(Action.DELETE, zone, None, beside, str(want.owner)))
                used_txts.add(key.name)
            groups.append(ChangeGroup(tuple(group)))
        elif want is not None and have is not None and mine is None:
            found = foreign.get(key)
            if have.same_data(want.rrset) and found is None:
                message = f"{key} exists with the same data but without an ownership record; "
            else:
                message = f"{key} exists and "
            who = f"is owned by {found.ownership.owner!r}" if found else "is not owned by dnssync"
            distrust = state.distrusted(key) if found is None else None
            if distrust is not None:
                who = f"is not owned by dnssync ({distrust})"
            refuse(want, message + who + "; it is left unchanged", "NotOwned")
        elif want is not None and have is not None:
            group = []
            if not have.same_data(want.rrset):
                group.append(Change(Action.UPDATE, zone, want.rrset, have, str(want.owner)))
            if (
                mine is not None
                and mine.legacy
                and txt_name in state.types_at
                and txt_name not in state.ownership_txts
            ):
                diagnostics.extend(
                    for_object(
                        c.ref,
                        c.field,
                        f"{key} is owned through a pre-v0.12 TXT, but its ownership name "
                        f"{txt_name.fqdn} holds other data, so the new TXT is not written",
                        reason="OwnershipNameTaken",
                    )
                    for c in want.contributors
                )
            txt_cname = RecordKey(txt_name, RecordType.CNAME)
            if txt_cname not in state.rrsets or (txt_cname in owned and txt_cname in deleted):
                group.extend(_txt_changes(state, registry, zone, txt_name, str(want.owner)))
            if group:
                groups.append(ChangeGroup(tuple(group)))
        elif have is not None and mine is not None and key in deleted:
            resource = mine.ownership.resource
            group = [Change(Action.DELETE, zone, None, have, resource)]
            if not mine.legacy:
                group.append(Change(Action.DELETE, zone, None, mine.txt, resource))
                used_txts.add(mine.txt.name)
            if key.name not in used_txts and key.name not in wanted_txts:
                legacy = _legacy_txt_removal(state, key, owned, deleted)
                if legacy is not None:
                    group.append(legacy)
                    used_txts.add(key.name)
            groups.append(ChangeGroup(tuple(group)))
    if allow_deletes:
        groups.extend(_orphans(state, registry, zone, used_txts, desired, manages))
    groups.sort(key=lambda g: (g.primary.name.text, g.primary.rtype.value))
    plan = ZonePlan(zone, tuple(groups), owned_records=len(owned))
    return ZonePlanResult(plan, diagnostics, len(owned), len(desired))


def _shared_txt_name(
    registry: TxtRegistry,
    key: RecordKey,
    txt_name: DomainName,
    desired: Mapping[RecordKey, DesiredRecord],
    state: ZoneState,
) -> str | None:
    """Why key cannot be written: a wildcard and the name its replacement spells (same
    type) would share one ownership TXT (docs/ownership.md, "Wildcards")."""
    twin = registry.wildcard_twin(key.name)
    if twin is None:
        return None
    other = RecordKey(twin, key.rtype)
    if other not in desired and other not in state.rrsets:
        return None
    return (
        f"{key} is not written: its ownership TXT {txt_name.fqdn} would also be that of "
        f"{other} (--txt-wildcard-replacement {registry.wildcard_replacement!r}); choose a "
        "replacement that no published name uses"
    )


def _occlusion(state: ZoneState, key: RecordKey, txt_name: DomainName) -> str | None:
    """Why a record cannot live at key: its name or its ownership TXT name is occluded."""
    cuts = state.cuts
    if not cuts:
        return None
    for name, what in ((key.name, str(key)), (txt_name, f"the ownership TXT {txt_name.fqdn}")):
        cut = cuts.occluding(name)
        if cut is not None:
            return (
                f"{key} is not written: {what} is occluded by {cut.describe()} in zone "
                f"{state.zone.fqdn}; records there are not served by this zone (publish the "
                "name in the zone it is delegated to, or outside the DNAME)"
            )
    return None


def _create_blocker(
    state: ZoneState,
    key: RecordKey,
    owned: Mapping[RecordKey, ExistingOwnership],
    deleted: set[RecordKey],
    txt_name: DomainName,
    wanted_txts: set[DomainName],
    deleted_txts: set[DomainName],
) -> str | None:
    """Why a create at key must not happen, or None."""
    if key.rtype is RecordType.CNAME and key.name in wanted_txts:
        return f"cannot create CNAME {key.name.fqdn}: the name holds an ownership TXT"
    others = {
        RecordKey(key.name, t) for t in state.types_at.get(key.name, set()) if t is not key.rtype
    }
    remaining = {
        k for k in others if not (k in owned and k in deleted) and not state.is_ownership_txt(k)
    }
    # An ownership TXT at the name itself (pre-v0.12) must go for a CNAME to be written:
    # possible only when it holds nothing but our ownership, and is not the typed
    # ownership TXT of another record.
    beside = state.rrsets.get(RecordKey(key.name, RecordType.TXT))
    if (
        key.rtype is RecordType.CNAME
        and not remaining
        and beside is not None
        and beside.name not in deleted_txts
        and (not state.is_legacy_txt(key.name) or _without_ours(beside, state.registry))
    ):
        remaining = {beside.key}
    if key.rtype is RecordType.CNAME and remaining:
        kinds = ", ".join(sorted(k.rtype.value for k in remaining))
        return f"cannot create CNAME {key.name.fqdn}: the name already holds {kinds}"
    cname = RecordKey(key.name, RecordType.CNAME)
    if cname in remaining and cname in owned:
        return (
            f"cannot create {key}: {key.name.fqdn} is still our CNAME, not deleted "
            "(the policy or an incomplete source forbids deletes)"
        )
    if cname in remaining:
        return f"cannot create {key}: {key.name.fqdn} is a CNAME not owned by dnssync"
    txt_cname = RecordKey(txt_name, RecordType.CNAME)
    if txt_cname in state.rrsets and not (txt_cname in owned and txt_cname in deleted):
        return f"cannot create {key}: its ownership name {txt_name.fqdn} is a CNAME"
    txt = state.rrsets.get(RecordKey(txt_name, RecordType.TXT))
    if txt is not None:
        found = state.ownership_txts.get(txt_name)
        distrust = state.untrusted_txts.get(txt_name)
        if distrust is not None:
            return (
                f"cannot create {key}: its ownership TXT {txt_name.fqdn} cannot be trusted: "
                f"{distrust.reason}"
            )
        if found is None:
            return f"cannot create {key}: its ownership name {txt_name.fqdn} holds other TXT data"
        if found[0].owner != state.registry.owner_id:
            return f"cannot create {key}: it is claimed by owner {found[0].owner!r}"
    return None


def _legacy_txt_removal(
    state: ZoneState,
    key: RecordKey,
    owned: Mapping[RecordKey, ExistingOwnership],
    deleted: set[RecordKey],
) -> Change | None:
    """Our pre-v0.12 TXT at the name of the last record it owns, removed with that record.

    Left behind, it would make whatever record someone later puts at that name look ours.
    Other TXT data at the name (SPF...) is kept: only our value is taken out.
    """
    found = state.ownership_txts.get(key.name)
    if found is None or found[0].owner != state.registry.owner_id:
        return None
    if not state.is_legacy_txt(key.name):
        return None
    # Records it may still own (an AAAA never is, as in ExternalDNS).
    remaining = [
        k
        for k in state.managed_keys()
        if k.name == key.name
        and k != key
        and k.rtype is not RecordType.AAAA
        and not (k in owned and k in deleted)
    ]
    if remaining:
        return None
    ownership, txt = found
    kept = _without_ours(txt, state.registry)
    if not kept:
        return Change(Action.DELETE, state.zone, None, txt, ownership.resource)
    return Change(Action.UPDATE, state.zone, txt.with_values(kept), txt, ownership.resource)


def _txt_changes(
    state: ZoneState, registry: TxtRegistry, zone: DomainName, txt_name: DomainName, resource: str
) -> list[Change]:
    """Create or rewrite our ownership TXT; a TXT there that is not ours is never touched."""
    content = registry.content(resource)
    wanted = RRset.of(txt_name, RecordType.TXT, OWNERSHIP_TTL, [content])
    have = state.rrsets.get(wanted.key)
    if have is None:
        return [Change(Action.CREATE, zone, wanted, None, resource)]
    found = state.ownership_txts.get(txt_name)
    if found is None or found[0].owner != registry.owner_id:
        return []
    # Values beside our ownership value (unusual) are kept as they are.
    others = [v for v in have.values if not _is_ours(v, registry)]
    if set(have.values) == {content, *others}:
        return []
    new = have.with_values([content, *others])
    return [Change(Action.UPDATE, zone, new, have, resource)]


def _without_ours(txt: RRset, registry: TxtRegistry) -> list[RData]:
    """The values of a TXT RRset other than our ownership values."""
    return [v for v in txt.values if not _is_ours(v, registry)]


def _is_ours(value: RData, registry: TxtRegistry) -> bool:
    if not isinstance(value, Text):
        return False
    parsed = parse_ownership(value.joined)
    return parsed is not None and parsed.owner == registry.owner_id


def _orphans(
    state: ZoneState,
    registry: TxtRegistry,
    zone: DomainName,
    used: set[DomainName],
    desired: Mapping[RecordKey, DesiredRecord],
    manages: Callable[[DomainName], bool],
) -> list[ChangeGroup]:
    """Our typed ownership TXTs whose record is gone (deleted by hand): clean them up."""
    groups = []
    for txt_name, (found, rrset) in sorted(state.ownership_txts.items()):
        if txt_name in used or found.owner != registry.owner_id:
            continue
        keys = [RecordKey(n, t) for n, t in registry.record_keys_for(txt_name)]
        if not keys:
            continue  # a legacy TXT at a record's own name: it belongs to that name
        if not all(manages(k.name) for k in keys):
            continue
        if any(k in state.rrsets or k in desired or k in state.occluded for k in keys):
            continue
        if any(_wildcard_beside(state, k) for k in keys):
            continue  # maybe a wildcard's TXT under another --txt-wildcard-replacement
        here = state.types_at.get(txt_name, set())
        if any(t in MANAGED_TYPES and t is not RecordType.AAAA for t in here):
            continue  # it may be the pre-v0.12 TXT of the record at its own name
        kept = _without_ours(rrset, registry)
        if kept:  # other data shares the RRset: only our value goes
            change = Change(Action.UPDATE, zone, rrset.with_values(kept), rrset, found.resource)
        else:
            change = Change(Action.DELETE, zone, None, rrset, found.resource)
        groups.append(ChangeGroup((change,)))
    return groups


def _wildcard_beside(state: ZoneState, key: RecordKey) -> bool:
    """A wildcard of key's type next to key's name (``*.apps`` for ``wc.apps``): then the
    TXT naming key may be that wildcard's, written with a replacement we were not given
    (ExternalDNS's --txt-wildcard-replacement), so it is no orphan."""
    parent = key.name.parent
    if parent is None:
        return False
    return RecordKey(parent.prepend("*"), key.rtype) in state.rrsets
