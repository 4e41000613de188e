"""Full and event-driven reconciles, one at a time.

A full resync re-reads every zone from the provider, plans and applies, and refreshes the
provider cache. An event-driven reconcile recomputes the desired records (cheap: projected
objects, no API calls), finds the names whose desired state changed since the last
reconcile, and plans and applies only those, against the cache: no zone is re-read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from dnssync.engine import EngineSettings, apply_plan, desired_for
from dnssync.errors import DnssyncError, ProviderError
from dnssync.gcpause import gc_paused
from dnssync.model.changes import Action, Plan
from dnssync.model.diagnostics import Diagnostic
from dnssync.model.names import DomainName
from dnssync.model.records import RecordKey, RecordType, RRset
from dnssync.planning.planner import build_plan, safety_problems
from dnssync.providers.base import Provider
from dnssync.rules.merge import DesiredRecord, MergeResult
from dnssync.sources.snapshot import SourceSnapshot

from .cache import ProviderCache
from .metrics import Metrics

log = logging.getLogger(__name__)

SnapshotSource = Callable[[], SourceSnapshot]
DiagnosticsSink = Callable[[tuple[Diagnostic, ...]], None]


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str  # full | targeted
    result: str  # success | error | unsafe | skipped | noop
    applied: int = 0
    message: str = ""


class Reconciler:
    def __init__(
        self,
        provider: Provider,
        snapshot: SnapshotSource,
        settings: EngineSettings,
        metrics: Metrics,
        may_write: Callable[[], bool] = lambda: True,
        report: DiagnosticsSink | None = None,
    ) -> None:
        self.provider = provider
        self.snapshot = snapshot
        self.settings = settings
        self.metrics = metrics
        self.may_write = may_write
        self.report = report
        self.cache = ProviderCache()
        self._desired: dict[RecordKey, DesiredRecord] | None = None
        self._owned: dict[DomainName, int] = {}
        self._lock = threading.Lock()
        self.last_success: float | None = None
        self.last_result: Outcome | None = None
        self.needs_full = True

    # ------------------------------------------------------------------ full resync

    def full(self) -> Outcome:
        with self._lock:
            return self._timed("full", self._full)

    def _full(self) -> Outcome:
        snapshot = self.snapshot()
        desired = desired_for(self.provider, snapshot.objects, self.settings.rules)
        self._count_objects(snapshot)
        zones = self.provider.zones()

        def read(zone: DomainName) -> tuple[RRset, ...]:
            records = self.provider.records(zone)
            self.cache.replace(zone, records)
            return records

        plan = build_plan(
            desired,
            zones,
            read,
            self.settings.plan,
            self.provider.supports_alias,
            allow_deletes=snapshot.complete,
            keep_resources=snapshot.unreadable,
        )
        self._owned = {z.zone: z.owned_records for z in plan.zones}
        for zone, owned in self._owned.items():
            self.metrics.records_owned.labels(zone.text).set(owned)
        self._report(snapshot, plan)
        outcome = self._apply(
            "full", plan, safety_problems(plan, self.settings.plan, len(desired.records))
        )
        if outcome.result in ("success", "noop"):
            self._desired = dict(desired.records)
            self.needs_full = False
        return outcome

    # ------------------------------------------------------------------ event-driven

    def targeted(self) -> Outcome:
        with self._lock:
            if self.needs_full or self._desired is None:
                return self._timed("full", self._full)
            return self._timed("targeted", self._targeted)

    def _targeted(self) -> Outcome:
        snapshot = self.snapshot()
        desired = desired_for(self.provider, snapshot.objects, self.settings.rules)
        self._count_objects(snapshot)
        assert self._desired is not None
        touched = _changed_names(self._desired, desired)
        if not touched:
            self._report(snapshot, None, desired)
            return Outcome("targeted", "noop")
        zones = self.cache.zones()
        registry = self.settings.plan.registry

        def read(zone: DomainName) -> list[RRset]:
            return self.cache.around(
                zone, (n for n in touched if n.is_subdomain_of(zone)), registry
            )

        plan = build_plan(
            desired,
            zones,
            read,
            self.settings.plan,
            self.provider.supports_alias,
            allow_deletes=snapshot.complete,
            keep_resources=snapshot.unreadable,
            only_names=frozenset(touched),
        )
        self._report(snapshot, plan)
        safety = self._targeted_safety(plan, len(desired.records))
        outcome = self._apply("targeted", plan, safety)
        if outcome.result in ("success", "noop"):
            self._desired = dict(desired.records)
        return outcome

    def _targeted_safety(self, plan: Plan, desired_total: int) -> list[str]:
        """The full-zone safety rules, with owned counts from the cache's last full read."""
        zones = tuple(
            type(z)(z.zone, z.groups, self._owned.get(z.zone, z.owned_records)) for z in plan.zones
        )
        return safety_problems(Plan(zones, plan.diagnostics), self.settings.plan, desired_total)

    # ------------------------------------------------------------------ shared

    def _apply(self, kind: str, plan: Plan, safety: list[str]) -> Outcome:
        if safety:
            self.metrics.unsafe_plans.inc()
            for problem in safety:
                log.error("unsafe plan, not applied: %s", problem)
            return Outcome(kind, "unsafe", message="; ".join(safety))
        if not plan.has_changes:
            return Outcome(kind, "noop")
        if not self.may_write():
            log.info("not the leader: %d change(s) left to the leader", len(plan.changes))
            return Outcome(kind, "skipped")
        report = apply_plan(self.provider, plan)
        for zone, result in report.results:
            self.cache.applied(zone, result.applied)
            for group in result.applied:
                for change in group:
                    self.metrics.changes.labels(change.action.value, zone.text).inc()
                primary = group.primary
                if primary.rtype is not RecordType.TXT and zone in self._owned:
                    delta = {Action.CREATE: 1, Action.DELETE: -1}.get(primary.action, 0)
                    self._owned[zone] += delta
                    self.metrics.records_owned.labels(zone.text).set(self._owned[zone])
            if result.failed:
                self.metrics.change_failures.labels(zone.text).inc(len(result.failed))
        if report.failures:
            # Drift or a concurrent writer: re-read the zones on the next reconcile.
            self.needs_full = True
            first = report.failures[0][1].message
            return Outcome(
                kind,
                "error",
                report.applied,
                f"{len(report.failures)} change group(s) not applied: {first}",
            )
        return Outcome(kind, "success", report.applied)

    def _timed(self, kind: str, run: Callable[[], Outcome]) -> Outcome:
        started = time.monotonic()
        try:
            with gc_paused():
                outcome = run()
        except (ProviderError, DnssyncError) as exc:
            self.needs_full = True
            log.error("%s reconcile failed: %s", kind, exc)
            outcome = Outcome(kind, "error", message=str(exc))
        except Exception as exc:  # a bug must not end the reconcile thread silently
            self.needs_full = True
            log.exception("%s reconcile failed unexpectedly", kind)
            outcome = Outcome(kind, "error", message=f"{type(exc).__name__}: {exc}")
        self.metrics.reconcile_seconds.labels(outcome.kind).observe(time.monotonic() - started)
        self.metrics.reconciles.labels(outcome.kind, outcome.result).inc()
        if outcome.result in ("success", "noop", "skipped"):
            self.last_success = time.time()
            self.metrics.last_success.set(self.last_success)
        self.last_result = outcome
        return outcome

    def _count_objects(self, snapshot: SourceSnapshot) -> None:
        counts: dict[str, int] = {}
        for obj in snapshot.objects:
            kind = getattr(getattr(obj, "ref", None), "kind", "namespace")
            counts[kind] = counts.get(kind, 0) + 1
        for kind in ("service", "gateway", "httproute", "tlsroute", "tcproute", "udproute"):
            self.metrics.source_objects.labels(kind).set(counts.get(kind, 0))

    def _report(
        self, snapshot: SourceSnapshot, plan: Plan | None, desired: MergeResult | None = None
    ) -> None:
        diagnostics = tuple(snapshot.diagnostics)
        diagnostics += (
            plan.diagnostics if plan is not None else tuple(desired.diagnostics if desired else ())
        )
        counts: dict[str, int] = {}
        for diagnostic in diagnostics:
            counts[diagnostic.reason] = counts.get(diagnostic.reason, 0) + 1
        self.metrics.invalid_input.clear()
        for reason, count in counts.items():
            self.metrics.invalid_input.labels(reason).set(count)
        if self.report is not None and diagnostics:
            self.report(diagnostics)


def _changed_names(before: dict[RecordKey, DesiredRecord], after: MergeResult) -> set[DomainName]:
    now = after.records
    changed = {k.name for k in before.keys() | now.keys() if before.get(k) != now.get(k)}
    # A conflict removes a name from the desired set: it is "changed" too (handled above),
    # and the names it was refused at need a look in case we own records there.
    changed.update(after.refused)
    return changed
