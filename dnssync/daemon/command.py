"""``dnssync run``: wires the cluster source, provider, reconciler, leader election,
metrics/health server and signals together (docs/daemon.md)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING

from dnssync.engine import EngineSettings
from dnssync.providers.base import Provider

from .http import HealthServer
from .leader import LeaderElector
from .loop import ReconcileLoop
from .metrics import Metrics
from .options import RUN_OPTIONS
from .reconciler import Reconciler
from .report import DiagnosticsReporter
from .settings import DaemonSettings

if TYPE_CHECKING:
    from dnssync.sources.kube.settings import ClusterSettings
    from dnssync.sources.kube.source import ClusterSource

__all__ = ["RUN_OPTIONS", "DaemonSettings", "run_daemon"]

log = logging.getLogger("dnssync.daemon")
SYNC_TIMEOUT = 300.0


class Readiness:
    """``/readyz``: synced sources, and a recent successful reconcile (or standby)."""

    def __init__(
        self,
        source: ClusterSource,
        reconciler: Reconciler,
        settings: DaemonSettings,
        elector: LeaderElector | None = None,
    ) -> None:
        self.source = source
        self.reconciler = reconciler
        self.settings = settings
        self.elector = elector

    def __call__(self) -> tuple[bool, str]:
        if not self.source.synced:
            return False, f"sources not synced: {self.source.last_error or 'listing'}"
        if self.elector is not None and not self.elector.is_leader():
            return True, "standby (not the leader)"
        last = self.reconciler.last_result
        if last is None or self.reconciler.last_success is None:
            return False, "no reconcile yet"
        if last.result == "error":
            return False, f"last reconcile failed: {last.message}"
        age = time.time() - self.reconciler.last_success
        if age > self.settings.ready_periods * self.settings.interval:
            return False, f"no successful reconcile for {age:.0f}s"
        return True, f"ok ({last.kind} reconcile: {last.result})"


def run_daemon(
    settings: DaemonSettings,
    engine: EngineSettings,
    cluster: ClusterSettings,
    provider: Provider,
) -> int:
    """Run until SIGTERM/SIGINT; the provider is closed on the way out."""
    from dnssync.sources.kube.events import EventRecorder
    from dnssync.sources.kube.source import ClusterSource

    metrics = Metrics()
    provider.requests.observer = metrics.observe_request
    source = ClusterSource.connect(cluster)
    if settings.lease is None:
        # The zones are read while the watches list, instead of after (docs/daemon.md); a
        # replica that may become a standby reads nothing until it leads.
        threading.Thread(target=provider.prefetch, name="dnssync-prefetch", daemon=True).start()
    recorder = EventRecorder(source.api, lookup=source.identity) if settings.events else None
    report = DiagnosticsReporter(
        recorder.record if recorder is not None else None,
        recorder.record_published if recorder is not None else None,
    )
    may_run = threading.Event()
    elector: LeaderElector | None = None

    def may_write() -> bool:
        return elector is None or elector.is_leader()

    reconciler = Reconciler(
        provider,
        source,
        engine,
        metrics,
        may_write=may_write,
        report=report,
        published=report.published,
    )
    loop = ReconcileLoop(
        reconciler,
        debounce=settings.debounce,
        interval=settings.interval,
        jitter=settings.jitter,
        may_run=may_run,
    )
    readiness = Readiness(source, reconciler, settings)
    server = HealthServer(settings.metrics_address, metrics.registry, readiness)
    server.start()
    log.info("serving /metrics, /healthz and /readyz on port %d", server.port)
    if settings.lease is not None:
        elector = readiness.elector = _elector(source, settings, metrics, loop, may_run)
    else:
        may_run.set()
        metrics.leader.set(1)
    try:
        _serve(source, loop, elector, metrics)
    finally:
        finished = loop.stop()
        if elector is not None:
            # A reconcile still writing keeps the Lease until it runs out.
            elector.stop(release=finished)
        source.stop()
        report.stop()
        server.stop()
        provider.close()
    log.info("stopped")
    return 0


def _elector(
    source: ClusterSource,
    settings: DaemonSettings,
    metrics: Metrics,
    loop: ReconcileLoop,
    may_run: threading.Event,
) -> LeaderElector:
    assert settings.lease is not None

    def started() -> None:
        metrics.leader.set(1)
        may_run.set()
        loop.request_full()

    def stopped() -> None:
        metrics.leader.set(0)
        may_run.clear()

    return LeaderElector(source.api, settings.lease, started, stopped)


def _serve(
    source: ClusterSource,
    loop: ReconcileLoop,
    elector: LeaderElector | None,
    metrics: Metrics,
) -> None:
    """Start the watches, wait for them to sync, then reconcile until a signal."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: finishing the in-flight reconcile", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    source.add_listener(loop.notify)
    source.start()
    deadline = time.monotonic() + SYNC_TIMEOUT
    while not stop.is_set() and not source.wait_synced(1.0):
        if time.monotonic() > deadline:
            log.warning("sources not synced after %.0fs: %s", SYNC_TIMEOUT, source.last_error)
            deadline = time.monotonic() + SYNC_TIMEOUT
    metrics.source_synced.set(1 if source.synced else 0)
    if not stop.is_set():
        if elector is not None:
            elector.start()
        loop.start()
    while not stop.wait(1.0):
        metrics.source_synced.set(1 if source.synced else 0)
