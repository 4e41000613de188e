"""Full and event-driven reconciles, one at a time, through the one pipeline
(:func:`dnssync.engine.check_plan`).

A full resync builds the desired state from a snapshot of the source, re-reads every zone
from the provider (refreshing the provider cache), plans and applies. An event-driven
(targeted) reconcile applies the source's object changes to the desired state — only the
changed objects and those that read them are evaluated again — and plans only the names
whose desired records changed (plus the names the changed objects own, and names a previous
plan could not finish), against the cache: no zone is re-read, nothing is done per object
that did not change. See docs/engine.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from dnssync.engine import (
    EngineSettings,
    PlanOutcome,
    ProviderReader,
    SourceStatus,
    apply_plan,
    check_plan,
)
from dnssync.errors import DnssyncError, ProviderError
from dnssync.gcpause import gc_paused
from dnssync.model.diagnostics import Diagnostic
from dnssync.model.names import DomainName
from dnssync.model.publications import Publication
from dnssync.providers.base import Provider
from dnssync.rules.evaluate import NAMESPACE, ObjectKey, ref_of
from dnssync.rules.state import DesiredState
from dnssync.sources.kube.changes import ObjectChange
from dnssync.sources.objects import SourceObject
from dnssync.sources.snapshot import SourceSnapshot

from .cache import ProviderCache
from .metrics import Metrics
from .publications import publications

log = logging.getLogger(__name__)

DiagnosticsSink = Callable[[tuple[Diagnostic, ...]], None]
PublicationSink = Callable[[tuple[Publication, ...]], None]
SOURCE_KINDS = (
    "service",
    "ingress",
    "gateway",
    "httproute",
    "tlsroute",
    "tcproute",
    "udproute",
    "listenerset",
)


class Source(Protocol):
    """What the reconciler reads of the cluster source."""

    def snapshot(self) -> SourceSnapshot: ...

    def status(self) -> SourceStatus: ...


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
        source: Source,
        settings: EngineSettings,
        metrics: Metrics,
        may_write: Callable[[], bool] = lambda: True,
        report: DiagnosticsSink | None = None,
        published: PublicationSink | None = None,
    ) -> None:
        self.provider = provider
        self.source = source
        self.settings = settings
        self.metrics = metrics
        self.may_write = may_write
        self.report = report
        self.published = published
        self.cache = ProviderCache(settings.plan.registry)
        self._state: DesiredState | None = None
        # Names planned but not applied (unsafe, not the leader): planned again next time.
        self._pending: set[DomainName] = set()
        # Objects that exist but cannot be read, as the changes applied so far say (the
        # source's status may already be newer than the changes handed over).
        self._unreadable: set[str] = set()
        # Diagnostics of placing and diffing names, as the last plans found them, by the
        # object they concern ("" for none).
        self._planning: dict[str, dict[Diagnostic, None]] = {}
        self._reported: tuple[Diagnostic, ...] | None = None
        self._source_diagnostics: tuple[Diagnostic, ...] = ()
        # A reconcile since the last full resync saw the source incomplete (so it deleted
        # nothing): once the source is complete again, the next reconcile is a full one,
        # which reads the source's state and its objects consistently.
        self._seen_incomplete = False
        self._lock = threading.Lock()
        self.last_success: float | None = None
        self.last_result: Outcome | None = None
        self.needs_full = True

    @property
    def state(self) -> DesiredState | None:
        return self._state

    # ------------------------------------------------------------------ full resync

    def full(self) -> Outcome:
        with self._lock:
            return self._timed("full", self._full)

    def _full(self) -> Outcome:
        snapshot = self.source.snapshot()
        state = DesiredState(self.settings.rules)
        delta = state.load(snapshot.objects)
        self.metrics.rule_evaluations.inc(delta.evaluated)
        self._state = state
        self._count_objects(state)
        reader = ProviderReader(self.provider, on_read=self.cache.replace)
        outcome = check_plan(state, reader, self.settings, snapshot.status)
        for zone_plan in outcome.plan.zones:
            self.cache.set_owned(zone_plan.zone, zone_plan.owned_records)
            self.metrics.records_owned.labels(zone_plan.zone.text).set(zone_plan.owned_records)
        self._planning = {}
        self._remember(outcome.planning)
        self._report(snapshot.status, force=True)
        result = self._apply("full", outcome)
        self._unreadable = set(snapshot.unreadable)
        self._seen_incomplete = not snapshot.complete
        if result.result in ("success", "noop"):
            self.needs_full = False
            self._pending = set()
        return result

    # ------------------------------------------------------------------ event-driven

    def targeted(self, changes: Iterable[ObjectChange] = ()) -> Outcome:
        """Apply the changes and reconcile what they touched; a full resync instead while
        one is needed (the snapshot it reads includes the changes)."""
        with self._lock:
            if self._seen_incomplete and self.source.status().complete:
                self.needs_full = True
            if self.needs_full or self._state is None:
                return self._timed("full", self._full)
            state = self._state
            return self._timed("targeted", lambda: self._targeted(state, changes))

    def _targeted(self, state: DesiredState, changes: Iterable[ObjectChange]) -> Outcome:
        updates: dict[ObjectKey, SourceObject | None] = {}
        for change in changes:
            updates[change.key] = change.after  # None: deleted, or no longer readable
            if change.unreadable:
                self._unreadable.add(str(ref_of(change.key)))
            else:
                self._unreadable.discard(str(ref_of(change.key)))
        status = self.source.status()
        self._seen_incomplete |= not status.complete
        # Kept: what the source says now and what the applied changes said.
        status = replace(status, unreadable=status.unreadable | self._unreadable)
        delta = state.apply(updates)
        self.metrics.rule_evaluations.inc(delta.evaluated)
        self._count_objects(state)
        # Records an object owns may sit at names its claims no longer name (it was kept
        # for a bad annotation, or is gone): the cache's ownership index finds them.
        refs = {str(ref_of(k)) for k in (*updates, *delta.objects) if k[0] != NAMESPACE}
        scope = set(delta.names) | self._pending | self.cache.names_owned_by(refs)
        if not scope:
            self._report(status, force=delta.diagnostics_changed)
            return Outcome("targeted", "noop")
        reader = self.cache.reader(self.provider)
        outcome = check_plan(state, reader, self.settings, status, frozenset(scope))
        # What the plan found about the changed objects replaces what was found before.
        forgotten = [self._planning.pop(ref) for ref in refs if ref in self._planning]
        self._remember(outcome.planning)
        changed = delta.diagnostics_changed or bool(forgotten or outcome.planning)
        self._report(status, force=changed)
        self._pending = scope
        result = self._apply("targeted", outcome)
        if result.result in ("success", "noop"):
            self._pending = set()
        return result

    # ------------------------------------------------------------------ shared

    def _apply(self, kind: str, outcome: PlanOutcome) -> Outcome:
        plan = outcome.plan
        if outcome.unsafe:
            self.metrics.unsafe_plans.inc()
            for problem in outcome.unsafe:
                log.error("unsafe plan, not applied: %s", problem)
            return Outcome(kind, "unsafe", message="; ".join(outcome.unsafe))
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
            owned = self.cache.owned(zone)
            if owned is not None:
                self.metrics.records_owned.labels(zone.text).set(owned)
            if result.failed:
                self.metrics.change_failures.labels(zone.text).inc(len(result.failed))
        if self.published is not None:
            # Normal Events: what each object now has in DNS (outcome.desired: the state
            # this plan was made from).
            applied = [(zone, result.applied) for zone, result in report.results]
            found = publications(applied, outcome.desired.records)
            if found:
                self.published(tuple(found))
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

    def _remember(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            ref = "" if diagnostic.ref is None else str(diagnostic.ref)
            self._planning.setdefault(ref, {})[diagnostic] = None

    def _count_objects(self, state: DesiredState) -> None:
        for kind in SOURCE_KINDS:
            self.metrics.source_objects.labels(kind).set(state.count(kind))

    def _report(self, status: SourceStatus, force: bool) -> None:
        """Hand every current problem to the reporter when something may have changed."""
        assert self._state is not None
        if (
            not force
            and self._reported is not None
            and status.diagnostics == self._source_diagnostics
        ):
            return
        self._source_diagnostics = status.diagnostics
        diagnostics = tuple(
            dict.fromkeys(
                (
                    *status.diagnostics,
                    *self._state.diagnostics(),
                    *(d for found in self._planning.values() for d in found),
                )
            )
        )
        if diagnostics == self._reported:
            return
        self._reported = diagnostics
        counts: dict[str, int] = {}
        for diagnostic in diagnostics:
            counts[diagnostic.reason] = counts.get(diagnostic.reason, 0) + 1
        self.metrics.invalid_input.clear()
        for reason, count in counts.items():
            self.metrics.invalid_input.labels(reason).set(count)
        if self.report is not None and diagnostics:
            self.report(diagnostics)
