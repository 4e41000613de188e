"""One reconcile pass, shared by ``plan``, ``apply`` and the daemon's full resync:
source snapshot -> desired records -> provider records -> plan -> safety -> apply."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dnssync.gcpause import gc_paused
from dnssync.model.changes import Plan
from dnssync.model.diagnostics import Diagnostic
from dnssync.model.names import DomainName
from dnssync.planning.planner import PlanSettings, build_plan, safety_problems
from dnssync.providers.base import ApplyResult, GroupFailure, Provider
from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.rules.merge import DesiredRecord, MergeResult
from dnssync.sources.objects import SourceObject
from dnssync.sources.snapshot import SourceSnapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    rules: RuleSettings = field(default_factory=RuleSettings)
    plan: PlanSettings = field(default_factory=PlanSettings)


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    plan: Plan
    desired: MergeResult
    unsafe: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]


def compute_plan(
    snapshot: SourceSnapshot, provider: Provider, settings: EngineSettings
) -> PlanOutcome:
    with gc_paused():
        return _compute_plan(snapshot, provider, settings)


def _compute_plan(
    snapshot: SourceSnapshot, provider: Provider, settings: EngineSettings
) -> PlanOutcome:
    desired = desired_for(provider, snapshot.objects, settings.rules)
    plan = build_plan(
        desired,
        provider.zones(),
        provider.records,
        settings.plan,
        provider.supports_alias,
        allow_deletes=snapshot.complete,
        keep_resources=snapshot.unreadable,
    )
    unsafe = safety_problems(plan, settings.plan, len(desired.records))
    diagnostics = tuple(snapshot.diagnostics) + plan.diagnostics
    return PlanOutcome(plan, desired, tuple(unsafe), diagnostics)


def desired_for(
    provider: Provider, objects: Iterable[SourceObject], rules: RuleSettings
) -> MergeResult:
    """The desired records, as the provider would store them (``Provider.adjust``)."""
    return provider_adjusted(provider, desired_records(objects, rules))


def provider_adjusted(provider: Provider, desired: MergeResult) -> MergeResult:
    """``desired`` with each RRset replaced by the provider's adjusted one; RRsets the
    provider left out are dropped. Most providers adjust nothing: then ``desired``."""
    rrsets = tuple(record.rrset for record in desired.records.values())
    adjusted = provider.adjust(rrsets)
    if adjusted is rrsets:
        return desired
    by_key = {rrset.key: rrset for rrset in adjusted}
    records = {
        key: (
            record
            if by_key[key] == record.rrset
            else DesiredRecord(by_key[key], record.contributors)
        )
        for key, record in desired.records.items()
        if key in by_key
    }
    return MergeResult(records, desired.diagnostics, desired.refused, desired.keep)


@dataclass(frozen=True, slots=True)
class ApplyReport:
    results: tuple[tuple[DomainName, ApplyResult], ...]

    @property
    def failures(self) -> list[tuple[DomainName, GroupFailure]]:
        return [(zone, f) for zone, r in self.results for f in r.failed]

    @property
    def applied(self) -> int:
        return sum(len(r.applied) for _, r in self.results)


def apply_plan(
    provider: Provider, plan: Plan, zones: Sequence[DomainName] | None = None
) -> ApplyReport:
    """Apply each zone's groups; ProviderError from a zone propagates to the caller."""
    results = []
    for zone_plan in plan.zones:
        if not zone_plan.groups or (zones is not None and zone_plan.zone not in zones):
            continue
        result = provider.apply(zone_plan.zone, zone_plan.groups)
        for group in result.applied:
            for change in group:
                log.info(
                    "%s %s %s in %s (%s)",
                    change.action.value,
                    change.rtype.value,
                    change.name.fqdn,
                    zone_plan.zone.fqdn,
                    change.owner_resource or "-",
                )
        for failure in result.failed:
            log.error("not applied in %s: %s", zone_plan.zone.fqdn, failure.message)
        results.append((zone_plan.zone, result))
    return ApplyReport(tuple(results))
