"""The Reconciler with the real planner and the in-memory provider.

A full reconcile reads every zone; an event-driven (targeted) reconcile plans only the
names whose desired records changed, against the provider cache, so it makes no provider
list calls at all: ``provider.requests`` counts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from dnssync.daemon.metrics import Metrics
from dnssync.daemon.reconciler import Reconciler
from dnssync.engine import EngineSettings, compute_plan
from dnssync.errors import ProviderError
from dnssync.model.changes import ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import RecordKey, RecordType, RRset
from dnssync.ownership.txt import TxtRegistry
from dnssync.planning.planner import PlanSettings
from dnssync.providers.base import ApplyResult
from dnssync.providers.inmemory import InMemoryProvider
from dnssync.rules.desired import RuleSettings
from dnssync.testing.builders import create, delete, ownership_txt, rrset, update
from tests.dnssync.daemon.daemon_testkit import FakeSource, service
from tests.dnssync.rules.builders import gateway, httproute

COM = DomainName.parse("example.com")
ORG = DomainName.parse("example.org")
OWNER = "unit"


class Provider(InMemoryProvider):
    """The in-memory provider, with a switch to fail like an unreachable server."""

    def __init__(self, zones: Sequence[DomainName]) -> None:
        super().__init__(zones)
        self.down = False
        self.explode: Exception | None = None

    def records(self, zone: DomainName) -> tuple[RRset, ...]:
        if self.down:
            raise ProviderError("provider unreachable")
        return super().records(zone)

    def apply(self, zone: DomainName, groups: Sequence[ChangeGroup]) -> ApplyResult:
        if self.explode is not None:
            raise self.explode
        if self.down:
            raise ProviderError("provider unreachable")
        return super().apply(zone, groups)

    def held(self, zone: DomainName = COM) -> dict[str, list[str]]:
        return {str(r.key): r.value_texts() for r in self._store(zone).rrsets()}

    def write(self, zone: DomainName, *groups: ChangeGroup) -> None:
        """Someone else's write, behind the daemon's back (not counted)."""
        result = self._store(zone).apply(groups)
        assert result.ok, result.failed


def settings(**plan: object) -> EngineSettings:
    return EngineSettings(RuleSettings(), PlanSettings(registry=TxtRegistry(OWNER), **plan))  # type: ignore[arg-type]


@pytest.fixture
def provider() -> Provider:
    return Provider([COM, ORG])


@pytest.fixture
def source() -> FakeSource:
    return FakeSource(
        [
            service("web", "web.example.com", "192.0.2.1"),
            service("api", "api.example.com,api.example.org", "192.0.2.2"),
            service("six", "six.example.com", "2001:db8::6"),
        ]
    )


def reconciler(
    provider: Provider, source: FakeSource, leader: list[bool] | None = None, **plan: object
) -> Reconciler:
    return Reconciler(
        provider,
        source,
        settings(**plan),
        Metrics(),
        may_write=(lambda: leader[0]) if leader is not None else (lambda: True),
    )


def lists(provider: Provider) -> int:
    return provider.requests.total("list")


def sample(r: Reconciler, metric: str, **labels: str) -> float:
    value = r.metrics.registry.get_sample_value(metric, labels)
    return 0.0 if value is None else value


def converged(provider: Provider, source: FakeSource) -> bool:
    """A fresh full plan (as ``dnssync plan`` would compute it) finds nothing to do."""
    outcome = compute_plan(source.snapshot(), provider, settings())
    return not outcome.plan.has_changes


# --------------------------------------------------------------------------- full vs targeted


def test_first_reconcile_is_full_then_events_make_no_list_calls(
    provider: Provider, source: FakeSource
) -> None:
    r = reconciler(provider, source)
    assert r.needs_full
    first = r.targeted(source.take())  # nothing cached yet: a full resync
    assert (first.kind, first.result) == ("full", "success")
    assert lists(provider) == 2  # both zones read once
    assert provider.held()["web.example.com. A"] == ["192.0.2.1"]
    assert provider.held(ORG)["api.example.org. A"] == ["192.0.2.2"]

    provider.requests.reset()
    source.put(service("web", "web.example.com", "192.0.2.99"))
    outcome = r.targeted(source.take())
    assert (outcome.kind, outcome.result, outcome.applied) == ("targeted", "success", 1)
    assert lists(provider) == 0
    assert provider.requests.total("change") == 1  # only the zone that changed
    assert provider.held()["web.example.com. A"] == ["192.0.2.99"]

    # A burst of events of every kind: still no list call, and the result is what a fresh
    # full plan would give.
    source.put(service("new", "new.example.com,new.example.org", "192.0.2.7"))
    source.put(service("six", "six.example.com", "2001:db8::7", "192.0.2.6"))
    source.remove("api")
    source.put(service("lb", "lb.example.com", "192.0.2.8"))
    assert r.targeted(source.take()).result == "success"
    source.put(service("lb", "moved.example.com", "192.0.2.8"))
    assert r.targeted(source.take()).result == "success"
    assert lists(provider) == 0
    assert converged(provider, source)
    held = provider.held()
    assert "api.example.com. A" not in held and "a-api.example.com. TXT" not in held
    assert "lb.example.com. A" not in held and held["moved.example.com. A"] == ["192.0.2.8"]
    assert held["six.example.com. A"] == ["192.0.2.6"]
    assert "api.example.org. A" not in provider.held(ORG)


def test_no_change_is_a_noop_without_provider_calls(provider: Provider, source: FakeSource) -> None:
    r = reconciler(provider, source)
    r.full()
    provider.requests.reset()
    source.put(service("web", "web.example.com", "192.0.2.1"))  # same as before
    outcome = r.targeted(source.take())
    assert (outcome.kind, outcome.result) == ("targeted", "noop")
    assert provider.requests.total() == 0
    assert sample(r, "dnssync_reconciles_total", kind="targeted", result="noop") == 1


def test_targeted_plans_only_touched_names_full_repairs_drift(
    provider: Provider, source: FakeSource
) -> None:
    r = reconciler(provider, source)
    r.full()
    # Someone deletes our web record and its TXT behind our back: only a full resync
    # (which re-reads the zone) can see that.
    web = provider._store(COM).get(RecordKey(DomainName.parse("web.example.com"), RecordType.A))
    txt = provider._store(COM).get(RecordKey(DomainName.parse("a-web.example.com"), RecordType.TXT))
    assert web is not None and txt is not None
    provider.write(COM, delete(COM, web, txt))
    source.put(service("api", "api.example.com,api.example.org", "192.0.2.3"))
    assert r.targeted(source.take()).result == "success"
    assert "web.example.com. A" not in provider.held()  # not touched by the event
    provider.requests.reset()
    outcome = r.full()
    assert (outcome.kind, outcome.result, outcome.applied) == ("full", "success", 1)
    assert lists(provider) == 2
    assert provider.held()["web.example.com. A"] == ["192.0.2.1"]


# --------------------------------------------------------------------------- conflicts, errors


def test_conflict_asks_for_a_full_resync_which_converges(
    provider: Provider, source: FakeSource
) -> None:
    r = reconciler(provider, source)
    r.full()
    # Another writer changes our record: the cache now disagrees with the provider.
    web = provider._store(COM).get(RecordKey(DomainName.parse("web.example.com"), RecordType.A))
    assert web is not None
    provider.write(COM, update(COM, web, rrset("web.example.com", "A", "203.0.113.1")))
    source.put(service("web", "web.example.com", "192.0.2.50"))
    outcome = r.targeted(source.take())
    assert (outcome.kind, outcome.result) == ("targeted", "error")
    assert "not applied" in outcome.message
    assert r.needs_full
    assert sample(r, "dnssync_changes_failed_total", zone="example.com") == 1
    provider.requests.reset()
    again = r.targeted(source.take())  # what the loop does next: a full resync
    assert (again.kind, again.result) == ("full", "success")
    assert lists(provider) == 2
    assert provider.held()["web.example.com. A"] == ["192.0.2.50"]
    assert not r.needs_full


def test_foreign_record_at_a_wanted_name_is_never_overwritten(
    provider: Provider, source: FakeSource
) -> None:
    r = reconciler(provider, source)
    r.full()
    theirs = rrset("shop.example.com", "A", "203.0.113.9")
    other_owner = ownership_txt("shop.example.com", "A", "service/x/shop", owner_id="someone")
    provider.write(COM, create(COM, theirs), create(COM, other_owner))
    r.full()  # the cache knows them now
    before = provider.held()
    source.put(service("shop", "shop.example.com", "192.0.2.10"))
    provider.requests.reset()
    outcome = r.targeted(source.take())
    assert (outcome.kind, outcome.result) == ("targeted", "noop")
    assert provider.requests.total() == 0
    assert provider.held() == before


def test_provider_error_is_an_error_outcome_and_the_next_run_is_full(
    provider: Provider, source: FakeSource
) -> None:
    r = reconciler(provider, source)
    r.full()
    provider.down = True
    source.put(service("web", "web.example.com", "192.0.2.77"))
    outcome = r.targeted(source.take())
    assert (outcome.kind, outcome.result) == ("targeted", "error")
    assert "unreachable" in outcome.message
    assert r.needs_full
    assert r.last_result is outcome
    assert sample(r, "dnssync_reconciles_total", kind="targeted", result="error") == 1
    assert r.targeted(source.take()).kind == "full"  # still down: full, error
    provider.down = False
    outcome = r.targeted(source.take())
    assert (outcome.kind, outcome.result) == ("full", "success")
    assert provider.held()["web.example.com. A"] == ["192.0.2.77"]


def test_an_unexpected_exception_is_an_error_not_a_dead_thread(
    provider: Provider, source: FakeSource
) -> None:
    r = reconciler(provider, source)
    r.full()
    provider.explode = RuntimeError("bug")
    source.put(service("web", "web.example.com", "192.0.2.78"))
    outcome = r.targeted(source.take())
    assert outcome.result == "error" and "RuntimeError: bug" in outcome.message
    assert r.needs_full
    provider.explode = None
    assert r.targeted(source.take()).result == "success"


# --------------------------------------------------------------------------- safety


def test_unsafe_targeted_plan_is_not_applied(provider: Provider) -> None:
    source = FakeSource(service(f"s{i}", f"s{i}.example.com", f"192.0.2.{i}") for i in range(10))
    r = reconciler(provider, source)
    assert r.full().result == "success"
    assert sample(r, "dnssync_records_owned", zone="example.com") == 10
    for i in range(4):  # 40% of the 10 records we own, in one batch: over 30%
        source.remove(f"s{i}")
    before = provider.held()
    provider.requests.reset()
    outcome = r.targeted(source.take())
    assert (outcome.kind, outcome.result) == ("targeted", "unsafe")
    assert "max-change-percent" in outcome.message
    assert provider.held() == before
    assert provider.requests.total() == 0
    assert sample(r, "dnssync_unsafe_plans_total") == 1
    # Within the limit, one at a time, it goes through (and the owned count follows).
    source.put(service("s0", "s0.example.com", "192.0.2.0"))
    source.put(service("s1", "s1.example.com", "192.0.2.1"))
    source.put(service("s2", "s2.example.com", "192.0.2.2"))
    assert r.targeted(source.take()).result == "success"
    assert sample(r, "dnssync_records_owned", zone="example.com") == 9
    assert lists(provider) == 0


def test_deleting_the_last_source_object_is_refused(provider: Provider) -> None:
    source = FakeSource([service("only", "only.example.com", "192.0.2.1")])
    r = reconciler(provider, source)
    r.full()
    source.remove("only")
    outcome = r.targeted(source.take())
    assert outcome.result == "unsafe"
    assert "returned no records" in outcome.message
    assert provider.held()["only.example.com. A"] == ["192.0.2.1"]
    assert r.full().result == "unsafe"  # the resync refuses too
    forced = reconciler(provider, source, force=True)
    assert forced.full().result == "success"
    assert "only.example.com. A" not in provider.held()


def test_incomplete_source_never_deletes(provider: Provider, source: FakeSource) -> None:
    r = reconciler(provider, source)
    r.full()
    source.complete = False  # e.g. a list failed: a missing object may only be unreadable
    source.remove("web")
    source.put(service("api", "api.example.com,api.example.org", "192.0.2.22"))
    assert r.targeted(source.take()).result == "success"
    held = provider.held()
    assert held["web.example.com. A"] == ["192.0.2.1"]  # kept
    assert held["api.example.com. A"] == ["192.0.2.22"]  # updates still flow


# --------------------------------------------------------------------------- leadership


def test_not_the_leader_writes_nothing_and_catches_up_when_leading(
    provider: Provider, source: FakeSource
) -> None:
    leader = [False]
    r = reconciler(provider, source, leader)
    outcome = r.full()
    assert (outcome.kind, outcome.result) == ("full", "skipped")
    assert provider.requests.total("change") == 0
    assert provider.held() == {}
    leader[0] = True
    assert r.targeted(source.take()).result == "success"  # still needs a full: it never applied one
    assert provider.held()["web.example.com. A"] == ["192.0.2.1"]

    leader[0] = False
    source.put(service("web", "web.example.com", "192.0.2.5"))
    assert r.targeted(source.take()).result == "skipped"
    assert provider.held()["web.example.com. A"] == ["192.0.2.1"]
    leader[0] = True
    provider.requests.reset()
    outcome = r.targeted(source.take())  # the skipped change is planned again
    assert (outcome.kind, outcome.result) == ("targeted", "success")
    assert lists(provider) == 0
    assert provider.held()["web.example.com. A"] == ["192.0.2.5"]


# --------------------------------------------------------------------------- metrics


def test_metrics_follow_the_reconciles(provider: Provider, source: FakeSource) -> None:
    r = reconciler(provider, source)
    r.full()
    assert sample(r, "dnssync_reconciles_total", kind="full", result="success") == 1
    assert sample(r, "dnssync_changes_applied_total", action="create", zone="example.com") == 6
    assert sample(r, "dnssync_records_owned", zone="example.com") == 3
    assert sample(r, "dnssync_records_owned", zone="example.org") == 1
    assert sample(r, "dnssync_source_objects", kind="service") == 3
    assert sample(r, "dnssync_last_success_timestamp_seconds") > 0
    assert sample(r, "dnssync_reconcile_duration_seconds_count", kind="full") == 1
    source.put(service("extra", "extra.example.com", "192.0.2.30"))
    r.targeted(source.take())
    assert sample(r, "dnssync_records_owned", zone="example.com") == 4
    assert sample(r, "dnssync_source_objects", kind="service") == 4
    assert sample(r, "dnssync_reconcile_duration_seconds_count", kind="targeted") == 1
    source.remove("extra")
    r.targeted(source.take())
    assert sample(r, "dnssync_records_owned", zone="example.com") == 3
    assert sample(r, "dnssync_changes_applied_total", action="delete", zone="example.com") == 2


# --------------------------------------------------------------------------- the incremental state


def evaluations(r: Reconciler) -> float:
    return sample(r, "dnssync_rule_evaluations_total")


def test_an_event_evaluates_only_the_changed_objects_and_their_dependents(
    provider: Provider,
) -> None:
    source = FakeSource(
        [
            *(service(f"s{i}", f"s{i}.example.com", f"192.0.2.{i}") for i in range(20)),
            gateway("gw1", "infra", "203.0.113.1"),
            gateway("gw2", "infra", "203.0.113.2"),
            httproute("r1", "r1.example.com", ("infra", "gw1")),
            httproute("r2", "r2.example.com", ("infra", "gw1")),
            httproute("r3", "r3.example.com", ("infra", "gw2")),
        ]
    )
    r = reconciler(provider, source)
    assert r.full().result == "success"
    assert evaluations(r) == 25
    snapshots = source.calls

    source.put(service("s3", "s3.example.com", "192.0.2.99"))
    assert r.targeted(source.take()).result == "success"
    assert evaluations(r) == 25 + 1
    source.put(gateway("gw1", "infra", "203.0.113.9"))
    assert r.targeted(source.take()).result == "success"
    assert evaluations(r) == 26 + 1 + 2  # the Gateway and its two routes
    assert provider.held()["r1.example.com. A"] == ["203.0.113.9"]
    assert provider.held()["r3.example.com. A"] == ["203.0.113.2"]
    assert source.calls == snapshots  # no snapshot per event, only the cheap status
    assert lists(provider) == 2
    assert converged(provider, source)


def test_an_unreadable_object_keeps_its_records_and_they_follow_it_again(
    provider: Provider, source: FakeSource
) -> None:
    r = reconciler(provider, source)
    r.full()
    source.break_object(("service", "apps", "web"))
    source.put(service("api", "api.example.com,api.example.org", "192.0.2.22"))
    assert r.targeted(source.take()).result == "success"
    held = provider.held()
    assert held["web.example.com. A"] == ["192.0.2.1"]  # kept: it exists, unreadable
    assert held["api.example.com. A"] == ["192.0.2.22"]
    assert r.last_result is not None and r.last_result.kind == "targeted"
    source.put(service("web", "www.example.com", "192.0.2.1"))  # readable again, renamed
    assert r.targeted(source.take()).result == "success"
    held = provider.held()
    assert "web.example.com. A" not in held and held["www.example.com. A"] == ["192.0.2.1"]
    assert converged(provider, source)


def test_records_a_kept_object_owns_are_cleaned_up_once_it_is_usable(
    provider: Provider, source: FakeSource
) -> None:
    """A bad annotation keeps an object's records; when it is fixed and the object names
    another host, the old records go at once: the cache knows what the object owns."""
    r = reconciler(provider, source)
    r.full()
    broken = dict(service("web", "web.example.com", "192.0.2.1").annotations)
    broken["dnssync.io/ttl"] = "soon"
    source.put(
        replace(service("web", "web.example.com", "192.0.2.1"), annotations=tuple(broken.items()))
    )
    assert r.targeted(source.take()).result == "noop"  # kept as it is
    assert provider.held()["web.example.com. A"] == ["192.0.2.1"]
    assert sample(r, "dnssync_invalid_input", reason="InvalidAnnotation") == 1
    source.put(service("web", "moved.example.com", "192.0.2.1"))
    assert r.targeted(source.take()).result == "success"
    held = provider.held()
    assert "web.example.com. A" not in held and "a-web.example.com. TXT" not in held
    assert held["moved.example.com. A"] == ["192.0.2.1"]
    assert sample(r, "dnssync_invalid_input", reason="InvalidAnnotation") == 0
    assert converged(provider, source)


def test_deletes_held_back_while_incomplete_happen_once_complete(
    provider: Provider, source: FakeSource
) -> None:
    r = reconciler(provider, source)
    r.full()
    source.complete = False
    source.remove("web")
    assert r.targeted(source.take()).kind == "targeted"
    assert "web.example.com. A" in provider.held()
    source.complete = True
    # Complete again: a full resync reads the source consistently, then deletes.
    outcome = r.targeted(source.take())
    assert (outcome.kind, outcome.result) == ("full", "success")
    assert "web.example.com. A" not in provider.held()
    assert r.targeted(source.take()).kind == "targeted"


def test_a_full_resync_on_an_incomplete_source_is_followed_by_one_when_complete(
    provider: Provider, source: FakeSource
) -> None:
    r = reconciler(provider, source)
    r.full()
    source.complete = False
    source.remove("web")
    assert r.full().result in ("success", "noop")
    assert "web.example.com. A" in provider.held()
    source.complete = True
    outcome = r.targeted(source.take())
    assert (outcome.kind, outcome.result) == ("full", "success")
    assert "web.example.com. A" not in provider.held()


def test_planning_problems_last_until_their_object_changes(
    provider: Provider, source: FakeSource
) -> None:
    """A record held by someone else is reported when planned; an event elsewhere does not
    forget it (it is not planned then), a change of the object that wants it does."""
    r = reconciler(provider, source)
    theirs = rrset("shop.example.com", "A", "203.0.113.9")
    provider.write(COM, create(COM, theirs))
    r.full()
    source.put(service("shop", "shop.example.com", "192.0.2.10"))
    assert r.targeted(source.take()).result == "noop"
    assert sample(r, "dnssync_invalid_input", reason="NotOwned") == 1
    source.put(service("web", "web.example.com", "192.0.2.11"))
    assert r.targeted(source.take()).result == "success"
    assert sample(r, "dnssync_invalid_input", reason="NotOwned") == 1
    source.remove("shop")
    assert r.targeted(source.take()).result == "noop"
    assert sample(r, "dnssync_invalid_input", reason="NotOwned") == 0
    assert provider.held()["shop.example.com. A"] == ["203.0.113.9"]
