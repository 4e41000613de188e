"""The whole plan: desired records are placed in zones, each zone is diffed, then policy
and safety apply. Providers are only asked to list records; they never decide changes."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dnssync.model.changes import Action, ChangeGroup, Plan, ZonePlan
from dnssync.model.diagnostics import Diagnostic, Severity, for_object
from dnssync.model.names import DomainName, find_zone
from dnssync.model.records import KEY_ORDER, Alias, CanonicalName, RecordKey, RecordType, RRset
from dnssync.ownership.txt import TxtRegistry
from dnssync.planning.zone_planner import plan_zone
from dnssync.rules.merge import DesiredRecord, MergeResult


class Policy(enum.Enum):
    SYNC = "sync"
    UPSERT_ONLY = "upsert-only"
    CREATE_ONLY = "create-only"

    def allows(self, action: Action) -> bool:
        if self is Policy.SYNC:
            return True
        if self is Policy.UPSERT_ONLY:
            return action is not Action.DELETE
        return action is Action.CREATE


@dataclass(frozen=True, slots=True)
class DomainFilter:
    include: tuple[DomainName, ...] = ()
    exclude: tuple[DomainName, ...] = ()

    def matches(self, name: DomainName) -> bool:
        if not self.exclude and not self.include:
            return True  # no filter (the common case): asked for every record
        if any(name.is_subdomain_of(d) for d in self.exclude):
            return False
        return not self.include or any(name.is_subdomain_of(d) for d in self.include)

    def overlaps_zone(self, zone: DomainName) -> bool:
        """A zone is managed when it may hold a name the filter matches."""
        if any(zone.is_subdomain_of(d) for d in self.exclude):
            return False
        return not self.include or any(
            zone.is_subdomain_of(d) or d.is_subdomain_of(zone) for d in self.include
        )


@dataclass(frozen=True, slots=True)
class PlanSettings:
    registry: TxtRegistry = field(default_factory=TxtRegistry)
    policy: Policy = Policy.SYNC
    max_change_percent: float = 30.0
    min_owned_for_threshold: int = 10
    force: bool = False
    domain_filter: DomainFilter = field(default_factory=DomainFilter)


RecordsReader = Callable[[DomainName], Sequence[RRset]]


def managed_zones(zones: Sequence[DomainName], settings: PlanSettings) -> tuple[DomainName, ...]:
    return tuple(z for z in zones if settings.domain_filter.overlaps_zone(z))


def place_in_zones(
    desired: MergeResult,
    zones: Sequence[DomainName],
    settings: PlanSettings,
    supports_alias: bool,
) -> tuple[dict[DomainName, dict[RecordKey, DesiredRecord]], list[Diagnostic]]:
    """Desired records per zone; names outside every zone and apex CNAMEs are reported."""
    placed: dict[DomainName, dict[RecordKey, DesiredRecord]] = defaultdict(dict)
    problems: list[Diagnostic] = []
    zone_tuple = tuple(zones)
    for key in sorted(desired.records, key=KEY_ORDER):
        record = desired.records[key]
        if not settings.domain_filter.matches(key.name):
            continue
        zone = find_zone(key.name, zone_tuple)
        if zone is None:
            for c in record.contributors:
                problems.append(
                    for_object(
                        c.ref,
                        c.field,
                        f"{key.name.fqdn} is outside every managed zone "
                        f"({', '.join(z.fqdn for z in zone_tuple) or 'none'})",
                        reason="OutsideZones",
                    )
                )
            continue
        if key.rtype is RecordType.CNAME and key.name == zone:
            for alias in _apex_aliases(record, supports_alias, problems):
                placed[zone][alias.rrset.key] = alias
            continue
        placed[zone][key] = record
    return placed, problems


def _apex_aliases(
    record: DesiredRecord, supports_alias: bool, problems: list[Diagnostic]
) -> list[DesiredRecord]:
    rrset = record.rrset
    if not supports_alias:
        for c in record.contributors:
            problems.append(
                for_object(
                    c.ref,
                    c.field,
                    f"{rrset.name.fqdn} is a zone apex, where a CNAME is illegal, and this "
                    "provider has no alias records; publish a name below the apex",
                    severity=Severity.ERROR,
                    reason="ApexCname",
                )
            )
        return []
    target = rrset.values[0]
    assert isinstance(target, CanonicalName)
    return [
        DesiredRecord(
            RRset.of(rrset.name, t, rrset.ttl, [Alias(target.target)]), record.contributors
        )
        for t in (RecordType.A, RecordType.AAAA)
    ]


def build_plan(
    desired: MergeResult,
    zones: Sequence[DomainName],
    read_records: RecordsReader,
    settings: PlanSettings,
    supports_alias: bool = False,
    *,
    allow_deletes: bool = True,
    keep_resources: frozenset[str] = frozenset(),
    only_names: frozenset[DomainName] | None = None,
) -> Plan:
    """The plan over the given zones. Raises ProviderError when a zone cannot be read.

    ``only_names`` limits the plan to those names (the daemon's event-driven reconcile):
    zones without one are not read, and ``read_records`` need only return the records at
    those names and at their ownership TXT names.

    ``allow_deletes`` is False when a source was incomplete; ``keep_resources`` names
    objects that exist but could not be read, whose records must stay (as do those of
    ``desired.keep``, objects with an unusable annotation)."""
    zones = managed_zones(zones, settings)
    keep_resources = keep_resources | frozenset(desired.keep)
    placed, problems = place_in_zones(desired, zones, settings, supports_alias)
    diagnostics = list(desired.diagnostics) + problems
    zone_plans: list[ZonePlan] = []
    manages: Callable[[DomainName], bool] = settings.domain_filter.matches
    if only_names is not None:
        names = only_names
        zones = tuple(z for z in zones if any(n.is_subdomain_of(z) for n in names))
        placed = {
            z: {k: r for k, r in records.items() if k.name in names}
            for z, records in placed.items()
        }
        manages = lambda n: n in names and settings.domain_filter.matches(n)  # noqa: E731
    for zone in zones:
        result = plan_zone(
            zone,
            placed.get(zone, {}),
            read_records(zone),
            settings.registry,
            # A create that needs a delete first (CNAME <-> A) must not be planned alone.
            allow_deletes=allow_deletes and settings.policy.allows(Action.DELETE),
            keep_resources=keep_resources,
            manages=manages,
        )
        diagnostics.extend(result.diagnostics)
        groups = tuple(g for g in result.plan.groups if settings.policy.allows(g.action))
        zone_plans.append(ZonePlan(zone, groups, result.owned))
    return Plan(tuple(zone_plans), tuple(_unique(diagnostics)))


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[Diagnostic] = set()
    kept = []
    for d in diagnostics:
        if d not in seen:
            seen.add(d)
            kept.append(d)
    return kept


def destructive(group: ChangeGroup) -> bool:
    return group.action is not Action.CREATE and group.primary.rtype is not RecordType.TXT


def safety_problems(plan: Plan, settings: PlanSettings, desired_total: int) -> list[str]:
    """Why the plan is unsafe (empty when it is safe). ``--force`` skips these checks.

    The threshold counts records (A, AAAA, CNAME, SRV), as ``owned_records`` does; the
    plan lists each with its ownership TXT, so the messages give both counts."""
    if settings.force:
        return []

    def counted(groups: Sequence[ChangeGroup]) -> str:
        changes = [c for g in groups for c in g.changes]
        txts = sum(1 for c in changes if c.rtype is RecordType.TXT)
        return (
            f"{len(changes)} changes in the plan: {len(changes) - txts} record(s) and "
            f"{txts} ownership TXT record(s)"
        )

    problems = []
    for zone_plan in plan.zones:
        owned = zone_plan.owned_records
        risky = [g for g in zone_plan.groups if destructive(g)]
        deletes = [g for g in risky if g.action is Action.DELETE]
        if desired_total == 0 and deletes:
            problems.append(
                f"zone {zone_plan.zone.fqdn}: the sources returned no records while dnssync "
                f"owns {owned} record(s) here; refusing to delete them all "
                f"({counted(deletes)}; use --force if intended)"
            )
            continue
        limit = owned * settings.max_change_percent / 100
        if owned >= settings.min_owned_for_threshold and len(risky) > limit:
            problems.append(
                f"zone {zone_plan.zone.fqdn}: {len(risky)} of {owned} owned records would be "
                f"updated or deleted ({counted(risky)}), more than --max-change-percent "
                f"{settings.max_change_percent:g}%; use --force if intended"
            )
    return problems
