"""The daemon's typed settings; the CLI builds them from its options (dnssync.cli)."""

from __future__ import annotations

from dataclasses import dataclass

from .leader import LeaseSettings


@dataclass(frozen=True, slots=True)
class DaemonSettings:
    # Seconds between full resyncs (each re-reads the provider), and the random delay
    # added to each; the pause after a source event before reconciling.
    interval: float = 3600.0
    jitter: float = 30.0
    debounce: float = 0.1
    # /readyz fails when no reconcile succeeded within this many intervals.
    ready_periods: int = 2
    metrics_address: str = "0.0.0.0:7979"
    events: bool = True
    # None: no leader election, this replica always writes.
    lease: LeaseSettings | None = None
