"""The webhook provider under the engine: ``adjust`` before planning, and what a reconcile
costs in requests and bytes (counted by the fake server, which logs every request)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dnssync_webhook.provider import WebhookProvider

from dnssync.engine import EngineSettings, apply_plan, compute_plan
from dnssync.ownership.txt import TxtRegistry
from dnssync.planning.planner import PlanSettings
from dnssync.sources.manifests import read_manifests
from dnssync.sources.snapshot import SourceSnapshot
from testinfra.webhook_fake import FakeWebhook
from tests.providers.webhook.webhook_helpers import endpoint, make_provider

REPO = Path(__file__).resolve().parents[3]
KERBEROS = REPO / "examples" / "kerberos"
SETTINGS = EngineSettings(plan=PlanSettings(registry=TxtRegistry("engine")))


@pytest.fixture
def snapshot() -> SourceSnapshot:
    return read_manifests(KERBEROS)


def reconcile(provider: WebhookProvider, snapshot: SourceSnapshot) -> int:
    outcome = compute_plan(snapshot, provider, SETTINGS)
    assert not outcome.unsafe
    report = apply_plan(provider, outcome.plan)
    assert not report.failures
    return len(outcome.plan.changes)


@pytest.fixture
def fixed_ttl() -> Iterator[FakeWebhook]:
    """A backend that stores every record with TTL 60, and says so on /adjustendpoints."""
    with FakeWebhook(
        domain_filter={"include": ["example.com"]},
        adjust={"recordTTL": 60},
        store={"recordTTL": 60},
    ) as fake:
        yield fake


def test_adjusted_records_make_the_plan_compare_like_with_like(
    fixed_ttl: FakeWebhook, snapshot: SourceSnapshot
) -> None:
    provider = make_provider(fixed_ttl.url)
    first = compute_plan(snapshot, provider, SETTINGS)
    records = [c for c in first.plan.changes if c.rtype.value != "TXT"]
    assert records and all(c.new is not None and c.new.ttl == 60 for c in records)
    apply_plan(provider, first.plan)
    assert not compute_plan(snapshot, provider, SETTINGS).plan.has_changes


def test_without_adjust_the_same_backend_would_churn(
    fixed_ttl: FakeWebhook, snapshot: SourceSnapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the engine's hook is what makes the difference."""
    provider = make_provider(fixed_ttl.url)
    monkeypatch.setattr(provider, "adjust", lambda rrsets: rrsets)
    apply_plan(provider, compute_plan(snapshot, provider, SETTINGS).plan)
    again = compute_plan(snapshot, provider, SETTINGS).plan
    assert {c.action.value for c in again.changes} == {"update"}


def test_requests_per_reconcile(snapshot: SourceSnapshot) -> None:
    with FakeWebhook(domain_filter={"include": ["example.com"]}) as fake:
        provider = make_provider(fake.url)
        assert reconcile(provider, snapshot) == 8
        # First run: negotiate, adjust, list (for the plan and the check before writing:
        # it is seconds old), write.
        assert [(r.method, r.path) for r in fake.requests] == [
            ("GET", "/"),
            ("POST", "/adjustendpoints"),
            ("GET", "/records"),
            ("POST", "/records"),
        ]
        fake.reset_requests()
        # Nothing changed: one listing; the adjusted records are remembered.
        assert reconcile(provider, snapshot) == 0
        assert [(r.method, r.path) for r in fake.requests] == [("GET", "/records")]
        assert provider.requests.total() == 5
        assert provider.requests.bytes_sent > 0 and provider.requests.bytes_received > 0


def test_an_apply_long_after_its_plan_checks_against_a_new_listing(
    snapshot: SourceSnapshot,
) -> None:
    """The daemon's event-driven applies and a CLI waiting for "yes" come later than 5 s
    after the listing: the zone is read again, and a name taken meanwhile is a conflict,
    never sent."""
    now = [1000.0]
    with FakeWebhook(domain_filter={"include": ["example.com"]}) as fake:
        provider = make_provider(fake.url, clock=lambda: now[0])
        outcome = compute_plan(snapshot, provider, SETTINGS)
        fake.put(endpoint("kdc-tcp.example.com", "A", "198.51.100.9"))  # someone else
        now[0] += 60
        fake.reset_requests()
        report = apply_plan(provider, outcome.plan)
        assert [(r.method, r.path) for r in fake.requests] == [
            ("GET", "/records"),
            ("POST", "/records"),
        ]
        ((_, failure),) = report.failures
        assert failure.conflict and "kdc-tcp.example.com. A" in failure.message
        (post,) = [r.body for r in fake.requests if r.method == "POST"]
        assert "kdc-tcp.example.com" not in {e["dnsName"] for e in post["create"]}
        assert report.applied == 3
