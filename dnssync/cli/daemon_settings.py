"""``dnssync run``'s options (declared in dnssync.daemon.options) -> DaemonSettings."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

from dnssync.daemon.leader import LeaseSettings
from dnssync.daemon.settings import DaemonSettings
from dnssync.durations import parse_duration
from dnssync.errors import ConfigError

from .config import Value

SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


def daemon_settings(values: Mapping[str, Value]) -> DaemonSettings:
    interval = _seconds(values, "interval")
    if interval < 1:
        raise ConfigError("--interval must be at least 1s")
    periods = values.get("ready_periods")
    return DaemonSettings(
        interval=interval,
        jitter=_seconds(values, "resync_jitter"),
        debounce=_seconds(values, "debounce"),
        ready_periods=periods if isinstance(periods, int) and periods > 0 else 2,
        metrics_address=str(values.get("metrics_address") or "0.0.0.0:7979"),
        events=bool(values.get("events")),
        lease=_lease(values) if values.get("leader_election") else None,
    )


def _lease(values: Mapping[str, Value]) -> LeaseSettings:
    lease = LeaseSettings(
        namespace=str(values.get("leader_election_namespace") or _pod_namespace()),
        name=str(values.get("leader_election_name") or "dnssync"),
        identity=str(values.get("leader_election_identity") or socket.gethostname()),
        lease_duration=_seconds(values, "lease_duration"),
        renew_deadline=_seconds(values, "renew_deadline"),
        retry_period=_seconds(values, "retry_period"),
    )
    if not lease.retry_period < lease.renew_deadline < lease.lease_duration:
        raise ConfigError("need --retry-period < --renew-deadline < --lease-duration")
    return lease


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
    try:
        with open(SERVICE_ACCOUNT_NAMESPACE, encoding="utf-8") as handle:
            return handle.read().strip() or "default"
    except OSError:
        return os.environ.get("POD_NAMESPACE", "default")
