"""The one reconcile pipeline, shared by ``plan``, ``apply`` and the daemon:
desired state + a record reader (+ a name scope) -> a checked plan -> apply.

``plan``/``apply`` and the daemon's full resync read the provider (:class:`ProviderReader`)
and plan every name; the daemon's event-driven reconcile reads its provider cache and plans
only the names an event changed. Everything else — placement in zones, ownership, the
keep/incomplete rules, policies and the safety checks — is :func:`check_plan`, the same for
all three. See docs/engine.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from dnssync.gcpause import gc_paused
from dnssync.model.changes import ChangeGroup, Plan, ZonePlan
from dnssync.model.diagnostics import Diagnostic
from dnssync.model.names import DomainName
from dnssync.model.records import RecordKey, RRset
from dnssync.planning.planner import PlanSettings, build_plan, safety_problems
from dnssync.providers.base import ApplyResult, GroupFailure, Provider
from dnssync.rules.merge import DesiredRecord, MergeResult
from dnssync.rules.settings import RuleSettings
from dnssync.rules.state import DesiredState
from dnssync.sources.snapshot import SourceSnapshot, SourceStatus

log = logging.getLogger(__name__)

__all__ = [
    "ApplyReport",
    "EngineSettings",
    "PlanOutcome",
    "ProviderReader",
    "RecordReader",
    "SourceStatus",
    "apply_plan",
    "check_plan",
    "compute_plan",
]


@dataclass(frozen=True, slots=True)
class EngineSettings:
    rules: RuleSettings = field(default_factory=RuleSettings)
    plan: PlanSettings = field(default_factory=PlanSettings)


class RecordReader(Protocol):
    """Where a plan reads the records it diffs against."""

    @property
    def supports_alias(self) -> bool: ...

    def zones(self) -> Sequence[DomainName]: ...

    def records(self, zone: DomainName, names: frozenset[DomainName] | None) -> Sequence[RRset]:
        """The zone's records; with ``names``, at least those at the names and at their
        ownership TXT names."""
        ...

    def owned(self, zone: DomainName) -> int | None:
        """Records we own in the zone when the reader knows (a scoped read sees only part
        of the zone); None: the plan counts them from what it read."""
        ...

    def adjust(self, rrsets: tuple[RRset, ...]) -> tuple[RRset, ...]:
        """The desired RRsets as the provider would store them (``Provider.adjust``)."""
        ...


class ProviderReader:
    """Reads whole zones from the provider; ``on_read`` sees each zone read (the daemon
    refreshes its cache with it)."""

    def __init__(
        self,
        provider: Provider,
        on_read: Callable[[DomainName, Sequence[RRset]], None] | None = None,
    ) -> None:
        self.provider = provider
        self.on_read = on_read

    @property
    def supports_alias(self) -> bool:
        return self.provider.supports_alias

    def zones(self) -> Sequence[DomainName]:
        return self.provider.zones()

    def records(self, zone: DomainName, names: frozenset[DomainName] | None) -> Sequence[RRset]:
        del names  # a provider reads whole zones; the plan looks only at what it needs
        records = self.provider.records(zone)
        if self.on_read is not None:
            self.on_read(zone, records)
        return records

    def owned(self, zone: DomainName) -> int | None:
        del zone  # counted from the whole zone as read
        return None

    def adjust(self, rrsets: tuple[RRset, ...]) -> tuple[RRset, ...]:
        return self.provider.adjust(rrsets)


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    plan: Plan
    desired: DesiredState
    unsafe: tuple[str, ...]
    # The source's problems and the plan's: what ``plan`` prints and the daemon reports.
    # A scoped plan leaves out the desired state's own (``desired.diagnostics()``).
    diagnostics: tuple[Diagnostic, ...]
    # Only the problems found placing and diffing the planned names.
    planning: tuple[Diagnostic, ...] = ()


def check_plan(
    desired: DesiredState,
    reader: RecordReader,
    settings: EngineSettings,
    source: SourceStatus | None = None,
    scope: frozenset[DomainName] | None = None,
) -> PlanOutcome:
    """The plan for ``desired`` against what ``reader`` holds, with its safety problems.

    ``scope`` limits the plan to those names (zones without one are not read). ``source``
    says whether the input was complete (no deletes otherwise) and which objects could not
    be read (their records stay). Raises ProviderError when a zone cannot be read.
    """
    with gc_paused():
        return _check_plan(desired, reader, settings, source or SourceStatus(), scope)


def _check_plan(
    desired: DesiredState,
    reader: RecordReader,
    settings: EngineSettings,
    source: SourceStatus,
    scope: frozenset[DomainName] | None,
) -> PlanOutcome:
    if scope is not None:
        # A wildcard and the name its TXT replacement spells share one ownership TXT name:
        # planned together or not at all (docs/ownership.md, "Wildcards").
        registry = settings.plan.registry
        twins = {registry.wildcard_twin(n) for n in scope}
        scope = scope | frozenset(t for t in twins if t is not None)
    records = dict(desired.records) if scope is None else desired.records_at(scope)
    records = provider_adjusted(reader, records)

    def read(zone: DomainName) -> Sequence[RRset]:
        names = None if scope is None else frozenset(n for n in scope if n.is_subdomain_of(zone))
        return reader.records(zone, names)

    plan = build_plan(
        MergeResult(records, keep=set(desired.keep)),
        reader.zones(),
        read,
        settings.plan,
        reader.supports_alias,
        allow_deletes=source.complete,
        keep_resources=source.unreadable,
        only_names=scope,
    )
    planning = plan.diagnostics
    zones = tuple(_owned_from(reader, z) for z in plan.zones)
    shown = planning if scope is not None else _unique((*desired.diagnostics(), *planning))
    plan = Plan(zones, shown)
    unsafe = safety_problems(plan, settings.plan, desired.record_count)
    return PlanOutcome(
        plan, desired, tuple(unsafe), tuple(source.diagnostics) + plan.diagnostics, planning
    )


def provider_adjusted(
    reader: RecordReader, records: dict[RecordKey, DesiredRecord]
) -> dict[RecordKey, DesiredRecord]:
    """``records`` with each RRset replaced by the provider's adjusted one; RRsets the
    provider left out are dropped. Most providers adjust nothing: then ``records``."""
    rrsets = tuple(record.rrset for record in records.values())
    adjusted = reader.adjust(rrsets)
    if adjusted is rrsets:
        return records
    by_key = {rrset.key: rrset for rrset in adjusted}
    return {
        key: (
            record
            if by_key[key] == record.rrset
            else DesiredRecord(by_key[key], record.contributors)
        )
        for key, record in records.items()
        if key in by_key
    }


def _owned_from(reader: RecordReader, zone_plan: ZonePlan) -> ZonePlan:
    owned = reader.owned(zone_plan.zone)
    if owned is None or owned == zone_plan.owned_records:
        return zone_plan
    return ZonePlan(zone_plan.zone, zone_plan.groups, owned)


def _unique(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    return tuple(dict.fromkeys(diagnostics))


def compute_plan(
    snapshot: SourceSnapshot, provider: Provider, settings: EngineSettings
) -> PlanOutcome:
    """``plan`` and ``apply``: the whole desired state against the provider's zones."""
    with gc_paused():
        desired = DesiredState.build(snapshot.objects, settings.rules)
        return check_plan(desired, ProviderReader(provider), settings, snapshot.status)


@dataclass(frozen=True, slots=True)
class ApplyReport:
    results: tuple[tuple[DomainName, ApplyResult], ...]

    @property
    def failures(self) -> list[tuple[DomainName, GroupFailure]]:
        return [(zone, f) for zone, r in self.results for f in r.failed]

    @property
    def applied(self) -> int:
        return sum(len(r.applied) for _, r in self.results)


def _applied_line(zone: DomainName, group: ChangeGroup) -> str:
    first, *rest = group.changes
    line = (
        f"{first.action.value} {first.rtype.value} {first.name.fqdn} in {zone.fqdn} "
        f"({first.owner_resource or '-'})"
    )
    if rest:
        line += "; " + ", ".join(f"{c.action.value} {c.rtype.value} {c.name.fqdn}" for c in rest)
    return line


def apply_plan(
    provider: Provider, plan: Plan, zones: Sequence[DomainName] | None = None
) -> ApplyReport:
    """Apply each zone's groups; ProviderError from a zone propagates to the caller."""
    results = []
    for zone_plan in plan.zones:
        if not zone_plan.groups or (zones is not None and zone_plan.zone not in zones):
            continue
        result = provider.apply(zone_plan.zone, zone_plan.groups)
        if log.isEnabledFor(logging.INFO):
            # One line per group (a record and its ownership TXT): a first converge of
            # 20,000 Services logs 20,000 lines, not 40,000 (docs/daemon.md).
            for group in result.applied:
                log.info("%s", _applied_line(zone_plan.zone, group))
        for failure in result.failed:
            log.error("not applied in %s: %s", zone_plan.zone.fqdn, failure.message)
        results.append((zone_plan.zone, result))
    return ApplyReport(tuple(results))
