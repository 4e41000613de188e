"""Property tests of ownership over randomised zones (docs/ownership.md).

Zones hold records without ownership TXT, with another owner's, with ours (typed or
pre-v0.12), orphan TXTs and unrelated TXT data; desired records are random too. Whatever
the mix, the planner never touches what is not ours, a record and its TXT always travel
in one change group, every group applies cleanly, and planning again after applying
gives nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnssync.model.changes import Action, Plan
from dnssync.model.names import DomainName
from dnssync.model.records import (
    MANAGED_TYPES,
    CanonicalName,
    IPv4,
    IPv6,
    RData,
    RecordKey,
    RecordType,
    RRset,
    Service,
    Text,
)
from dnssync.model.refs import ObjectRef
from dnssync.ownership.txt import TxtRegistry
from dnssync.planning.planner import PlanSettings, Policy, build_plan
from dnssync.planning.zone_planner import ZoneState
from dnssync.providers.inmemory import InMemoryProvider
from dnssync.rules.merge import Contribution, DesiredRecord, MergeResult
from dnssync.testing.scenarios import seed

ZONE = DomainName.parse("example.com")
OURS, THEIRS = "ours", "theirs"
# "a-b" is also where the typed ownership TXT of b's A record lives (without a prefix).
ADDRESS_NAMES = ("a", "b", "c", "a-b")
SRV_NAMES = ("_k._tcp", "_k._udp")
RESOURCES = ("service/ns/x", "service/ns/y", "tcproute/ns/z")

ipv4 = st.sampled_from(["192.0.2.1", "192.0.2.2", "192.0.2.3"]).map(IPv4.parse)
ipv6 = st.sampled_from(["2001:db8::1", "2001:db8::2"]).map(IPv6.parse)
cname = st.sampled_from(["lb1.example.net", "lb2.example.net", "a.example.com"]).map(
    CanonicalName.parse
)
srv = st.builds(
    Service,
    st.sampled_from([0, 10]),
    st.sampled_from([100, 5]),
    st.sampled_from([88, 464]),
    st.sampled_from(["a.example.com", "lb1.example.net"]).map(DomainName.parse),
)
ttl = st.sampled_from([60, 300])
# Who owns an existing record: nobody, us, another owner, or a TXT that is not ownership.
ownership = st.sampled_from([None, OURS, THEIRS, "garbage"])


def values_for(rtype: RecordType) -> st.SearchStrategy[list[RData]]:
    element: st.SearchStrategy[RData] = {
        RecordType.A: ipv4,
        RecordType.AAAA: ipv6,
        RecordType.CNAME: cname,
        RecordType.SRV: srv,
    }[rtype]
    size = 1 if rtype is RecordType.CNAME else 3
    return st.lists(element, min_size=1, max_size=size)


def txt_content(owner: str, resource: str) -> Text:
    if owner == "garbage":
        return Text.of("v=spf1 -all")
    return Text.of(
        f"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}"
    )


@dataclass(frozen=True)
class World:
    registry: TxtRegistry
    existing: tuple[RRset, ...]
    desired: MergeResult
    policy: Policy


@st.composite
def worlds(draw: st.DrawFn) -> World:
    prefix = draw(st.sampled_from(["", "dnssync-%{record_type}.", "_own."]))
    registry = TxtRegistry(OURS, prefix)
    theirs = TxtRegistry(THEIRS, prefix)
    existing: dict[RecordKey, RRset] = {}

    def put(rrset: RRset) -> None:
        key = rrset.key
        # A valid zone: a CNAME shares its name with nothing (ownership TXTs of other names
        # can land on a record's name, as "a-b" shows).
        types_here = {k.rtype for k in existing if k.name == rrset.name}
        if types_here - {rrset.rtype} and RecordType.CNAME in types_here | {rrset.rtype}:
            return
        if key in existing:  # two TXT sources at one name: one RRset, values merged
            rrset = rrset.with_values(existing[key].values + rrset.values)
        existing[key] = rrset

    for label in ADDRESS_NAMES + SRV_NAMES:
        name = ZONE.prepend(label) if "." not in label else DomainName.parse(f"{label}.example.com")
        if label in SRV_NAMES:
            choices = [[], [RecordType.SRV]]
        else:
            choices = [
                [],
                [RecordType.CNAME],
                [RecordType.A],
                [RecordType.AAAA],
                [RecordType.A, RecordType.AAAA],
            ]
        types = draw(st.sampled_from(choices))
        for rtype in types:
            put(RRset.of(name, rtype, draw(ttl), draw(values_for(rtype))))
        # Typed ownership TXT per possible type, with or without its record (orphans).
        for rtype in MANAGED_TYPES:
            if rtype is RecordType.CNAME and types and RecordType.CNAME not in types:
                continue
            who = draw(ownership)
            if who is None:
                continue
            txt_name = (registry if who != THEIRS else theirs).txt_name(name, rtype, ZONE)
            put(
                RRset.of(
                    txt_name,
                    RecordType.TXT,
                    300,
                    [txt_content(who, draw(st.sampled_from(RESOURCES)))],
                )
            )
        # A pre-v0.12 TXT at the name itself (never beside a CNAME).
        if RecordType.CNAME not in types:
            who = draw(ownership)
            if who is not None:
                put(
                    RRset.of(
                        name,
                        RecordType.TXT,
                        300,
                        [txt_content(who, draw(st.sampled_from(RESOURCES)))],
                    )
                )

    desired: dict[RecordKey, DesiredRecord] = {}
    for label in ADDRESS_NAMES + SRV_NAMES:
        name = DomainName.parse(f"{label}.example.com")
        if label in SRV_NAMES:
            choices = [[], [RecordType.SRV]]
        else:
            choices = [[], [RecordType.CNAME], [RecordType.A], [RecordType.A, RecordType.AAAA]]
        for rtype in draw(st.sampled_from(choices)):
            resource = ObjectRef.parse(draw(st.sampled_from(RESOURCES)))
            assert resource is not None
            rrset = RRset.of(name, rtype, draw(ttl), draw(values_for(rtype)))
            desired[rrset.key] = DesiredRecord(rrset, (Contribution(resource, "f"),))
    policy = draw(st.sampled_from(list(Policy)))
    return World(registry, tuple(existing.values()), MergeResult(records=desired), policy)


def plan(world: World, provider: InMemoryProvider) -> Plan:
    settings_ = PlanSettings(registry=world.registry, policy=world.policy, force=True)
    return build_plan(world.desired, provider.zones(), provider.records, settings_)


def not_ours(world: World) -> tuple[set[RecordKey], set[RecordKey]]:
    """Managed keys not owned by us, and TXT RRsets that are not our ownership TXT."""
    state = ZoneState.read(ZONE, world.registry, world.existing)
    records = set()
    for key in state.managed_keys():
        found = state.ownership_of(key)
        if found is None or found.ownership.owner != OURS:
            records.add(key)
    txts = set()
    for key, _rrset in state.rrsets.items():
        if key.rtype is not RecordType.TXT:
            continue
        mine = state.ownership_txts.get(key.name)
        if mine is None or mine[0].owner != OURS:
            txts.add(key)
    return records, txts


PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(worlds())
def test_records_not_ours_are_never_touched(world: World) -> None:
    provider = InMemoryProvider((ZONE,))
    seed(provider, world.existing)
    foreign_records, foreign_txts = not_ours(world)
    result = plan(world, provider)
    for change in result.changes:
        assert change.key not in foreign_records, f"{change.action.value} of {change.key}"
        assert change.key not in foreign_txts, f"{change.action.value} of {change.key}"
    # And after applying, each of them is exactly as it was.
    before = {r.key: r for r in world.existing}
    for zone_plan in result.zones:
        applied = provider.apply(zone_plan.zone, zone_plan.groups)
        assert not applied.failed, [f.message for f in applied.failed]
    after = {r.key: r for r in provider.records(ZONE)}
    for key in foreign_records | foreign_txts:
        assert after.get(key) == before[key]


@PROPERTY_SETTINGS
@given(worlds())
def test_a_record_and_its_txt_travel_together(world: World) -> None:
    provider = InMemoryProvider((ZONE,))
    seed(provider, world.existing)
    result = plan(world, provider)
    group_of: dict[tuple[RecordKey, Action], int] = {}
    groups = [g for z in result.zones for g in z.groups]
    for index, group in enumerate(groups):
        records = [c for c in group.changes if c.rtype is not RecordType.TXT]
        # At most one record per group, and it comes first.
        assert len(records) <= 1
        if records:
            assert group.changes[0] is records[0]
        for change in group.changes:
            group_of[(change.key, change.action)] = index
    for index, group in enumerate(groups):
        record = group.changes[0]
        if record.rtype is RecordType.TXT:
            continue
        txt_key = RecordKey(
            world.registry.txt_name(record.name, record.rtype, ZONE), RecordType.TXT
        )
        for action in Action:
            other = group_of.get((txt_key, action))
            assert other in (None, index), f"{record.key} and its TXT in different groups"
        if record.action is Action.CREATE:
            # A create always comes with ownership (unless our TXT is already there).
            wanted = world.registry.content(record.owner_resource or "")
            held = {r.key: r for r in provider.records(ZONE)}.get(txt_key)
            in_group = [c for c in group.changes[1:] if c.key == txt_key]
            assert in_group or (held is not None and wanted in held.values)


@PROPERTY_SETTINGS
@given(worlds())
def test_apply_then_plan_again_is_a_no_op(world: World) -> None:
    provider = InMemoryProvider((ZONE,))
    seed(provider, world.existing)
    first = plan(world, provider)
    for zone_plan in first.zones:
        applied = provider.apply(zone_plan.zone, zone_plan.groups)
        assert not applied.failed, [f.message for f in applied.failed]
    second = plan(world, provider)
    assert not second.has_changes, [f"{c.action.value} {c.key}" for c in second.changes]
    # Every desired record we hold now is ours and has its typed ownership TXT.
    state = ZoneState.read(ZONE, world.registry, provider.records(ZONE))
    for key, record in world.desired.records.items():
        held = state.rrsets.get(key)
        if held is None:
            continue
        found = state.ownership_of(key)
        if found is not None and found.ownership.owner == OURS and world.policy is Policy.SYNC:
            assert held == record.rrset
            # Migrated to the typed TXT, unless that name holds someone else's TXT data.
            txt_name = world.registry.txt_name(key.name, key.rtype, ZONE)
            assert not found.legacy or txt_name in state.types_at
