"""Prometheus metrics of the daemon, in a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.reconciles = Counter(
            "dnssync_reconciles",
            "Reconciles by kind (full, targeted) and result",
            ["kind", "result"],
            registry=r,
        )
        self.reconcile_seconds = Histogram(
            "dnssync_reconcile_duration_seconds",
            "Time of one reconcile",
            ["kind"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=r,
        )
        self.changes = Counter(
            "dnssync_changes_applied",
            "Record changes applied, by action and zone",
            ["action", "zone"],
            registry=r,
        )
        self.change_failures = Counter(
            "dnssync_changes_failed",
            "Change groups a provider refused, by zone",
            ["zone"],
            registry=r,
        )
        self.provider_requests = Counter(
            "dnssync_provider_requests",
            "Provider API requests by operation and result",
            ["provider", "operation", "result"],
            registry=r,
        )
        self.records_owned = Gauge(
            "dnssync_records_owned",
            "Records dnssync owns, by zone",
            ["zone"],
            registry=r,
        )
        self.source_objects = Gauge(
            "dnssync_source_objects",
            "Source objects in the cache, by kind",
            ["kind"],
            registry=r,
        )
        self.invalid_input = Gauge(
            "dnssync_invalid_input",
            "Problems in source objects at the last reconcile, by reason",
            ["reason"],
            registry=r,
        )
        self.rule_evaluations = Counter(
            "dnssync_rule_evaluations",
            "Source objects whose record rules ran: every object at a full resync; for an "
            "event, the changed objects and the objects that read them (a Gateway's routes)",
            registry=r,
        )
        self.unsafe_plans = Counter(
            "dnssync_unsafe_plans",
            "Plans refused by the safety checks",
            registry=r,
        )
        self.last_success = Gauge(
            "dnssync_last_success_timestamp_seconds",
            "Unix time of the last successful reconcile",
            registry=r,
        )
        self.leader = Gauge(
            "dnssync_leader",
            "1 while this replica may write DNS",
            registry=r,
        )
        self.source_synced = Gauge(
            "dnssync_source_synced",
            "1 when every source has listed once",
            registry=r,
        )

    def observe_request(self, provider: str, operation: str, result: str) -> None:
        self.provider_requests.labels(provider, operation, result).inc()
