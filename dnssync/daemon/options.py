"""Settings only the daemon reads."""

from __future__ import annotations

from dnssync.providers.base import OptionKind
from dnssync.providers.base import ProviderOption as Option

RUN_OPTIONS: tuple[Option, ...] = (
    Option("interval", "full resync period (re-reads provider state)", default="1h"),
    Option("resync-jitter", "random delay added to each full resync", default="30s"),
    Option("debounce", "wait this long after a source event before reconciling", default="100ms"),
    Option(
        "metrics-address",
        "host:port serving /metrics, /healthz and /readyz",
        default="0.0.0.0:7979",
    ),
    Option(
        "ready-periods",
        "/readyz fails when no reconcile succeeded within this many resync periods",
        OptionKind.INT,
        default=2,
    ),
    Option(
        "leader-election",
        "only the holder of a coordination.k8s.io Lease writes",
        OptionKind.BOOL,
        default=False,
    ),
    Option(
        "leader-election-namespace",
        "namespace of the Lease (default: the pod's namespace, else 'default')",
    ),
    Option("leader-election-name", "name of the Lease", default="dnssync"),
    Option("leader-election-identity", "this replica's identity (default: the hostname)"),
    Option("lease-duration", "how long a Lease is valid without renewal", default="15s"),
    Option(
        "renew-deadline", "the leader gives up when it cannot renew for this long", default="10s"
    ),
    Option("retry-period", "how often candidates try to acquire or renew", default="2s"),
    Option(
        "events",
        "report warnings as Kubernetes Events on the objects",
        OptionKind.BOOL,
        default=True,
    ),
)
