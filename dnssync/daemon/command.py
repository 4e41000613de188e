"""``dnssync run``: wires the cluster source, provider, reconciler, leader election,
metrics/health server and signals together."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Mapping
from types import FrameType

from dnssync.cli.config import Value
from dnssync.cli.options import CoreSettings
from dnssync.durations import parse_duration
from dnssync.engine import EngineSettings
from dnssync.errors import ConfigError
from dnssync.providers.base import Provider

from .http import HealthServer
from .leader import LeaderElector, LeaseSettings
from .loop import ReconcileLoop
from .metrics import Metrics
from .options import RUN_OPTIONS
from .reconciler import Reconciler
from .report import DiagnosticsReporter

__all__ = ["RUN_OPTIONS", "run_daemon"]

log = logging.getLogger("dnssync.daemon")
SYNC_TIMEOUT = 300.0


def _seconds(values: Mapping[str, Value], key: str) -> float:
    raw = values.get(key)
    try:
        seconds = parse_duration(str(raw))
    except ValueError as exc:
        raise ConfigError(f"--{key.replace('_', '-')}: {exc}") from None
    if seconds < 0:
        raise ConfigError(f"--{key.replace('_', '-')} must not be negative")
    return seconds


def _pod_namespace() -> str:
    path = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip() or "default"
    except OSError:
        return os.environ.get("POD_NAMESPACE", "default")


def run_daemon(
    core: CoreSettings, values: Mapping[str, Value], classes: Mapping[str, type[Provider]]
) -> int:
    from dnssync.cli.main import create_provider
    from dnssync.sources.kube.events import EventRecorder
    from dnssync.sources.kube.source import ClusterSource

    if core.manifests is not None:
        raise ConfigError("dnssync run watches a cluster; --manifests is for plan and apply")
    interval = _seconds(values, "interval")
    if interval < 1:
        raise ConfigError("--interval must be at least 1s")
    debounce = _seconds(values, "debounce")
    jitter = _seconds(values, "resync_jitter")
    periods = values.get("ready_periods")
    ready_periods = periods if isinstance(periods, int) and periods > 0 else 2

    metrics = Metrics()
    provider = create_provider(core, dict(values), dict(classes))
    provider.requests.observer = metrics.observe_request
    source = ClusterSource.connect(core)
    recorder = EventRecorder(source.api, lookup=source.identity) if values.get("events") else None
    report = DiagnosticsReporter(recorder.record if recorder is not None else None)
    stop = threading.Event()
    elector: LeaderElector | None = None
    may_run = threading.Event()

    def may_write() -> bool:
        return elector is None or elector.is_leader()

    reconciler = Reconciler(
        provider,
        source,
        EngineSettings(core.rules, core.plan),
        metrics,
        may_write=may_write,
        report=report,
    )
    loop = ReconcileLoop(
        reconciler, debounce=debounce, interval=interval, jitter=jitter, may_run=may_run
    )

    def ready() -> tuple[bool, str]:
        if not source.synced:
            return False, f"sources not synced: {source.last_error or 'listing'}"
        if elector is not None and not elector.is_leader():
            return True, "standby (not the leader)"
        last = reconciler.last_result
        if last is None or reconciler.last_success is None:
            return False, "no reconcile yet"
        if last.result == "error":
            return False, f"last reconcile failed: {last.message}"
        age = time.time() - reconciler.last_success
        if age > ready_periods * interval:
            return False, f"no successful reconcile for {age:.0f}s"
        return True, f"ok ({last.kind} reconcile: {last.result})"

    server = HealthServer(
        str(values.get("metrics_address") or "0.0.0.0:7979"), metrics.registry, ready
    )
    server.start()
    log.info("serving /metrics, /healthz and /readyz on port %d", server.port)

    if values.get("leader_election"):
        identity = str(values.get("leader_election_identity") or socket.gethostname())
        lease = LeaseSettings(
            namespace=str(values.get("leader_election_namespace") or _pod_namespace()),
            name=str(values.get("leader_election_name") or "dnssync"),
            identity=identity,
            lease_duration=_seconds(values, "lease_duration"),
            renew_deadline=_seconds(values, "renew_deadline"),
            retry_period=_seconds(values, "retry_period"),
        )
        if not lease.retry_period < lease.renew_deadline < lease.lease_duration:
            raise ConfigError("need --retry-period < --renew-deadline < --lease-duration")

        def started() -> None:
            metrics.leader.set(1)
            may_run.set()
            loop.request_full()

        def stopped() -> None:
            metrics.leader.set(0)
            may_run.clear()

        elector = LeaderElector(source.api, lease, started, stopped)
    else:
        may_run.set()
        metrics.leader.set(1)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: finishing the in-flight reconcile", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    source.add_listener(loop.notify)
    source.start()
    try:
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
