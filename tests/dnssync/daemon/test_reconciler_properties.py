"""Event-driven reconciles over random events end where a full plan would.

Random batches of add/update/delete events (and objects becoming unreadable) on Services,
Gateways, routes and Namespaces are handed to targeted reconciles against the in-memory
provider. After every batch the zone must be converged: a fresh full plan, as ``dnssync
plan`` computes it, finds nothing to do. So the names an event plans (the changed names,
the names the changed objects own, the SRV names whose target changed) are always enough,
and no zone is read after the first full resync.
"""

from __future__ import annotations

from random import Random

from hypothesis import given
from hypothesis import strategies as st

from dnssync.daemon.metrics import Metrics
from dnssync.daemon.reconciler import Reconciler
from dnssync.engine import EngineSettings, compute_plan
from dnssync.model.names import DomainName
from dnssync.ownership.txt import TxtRegistry
from dnssync.planning.planner import PlanSettings
from dnssync.providers.inmemory import InMemoryProvider
from dnssync.rules.evaluate import ObjectKey
from dnssync.rules.settings import RuleSettings
from dnssync.sources.objects import SourceObject
from tests.dnssync.daemon.daemon_testkit import FakeSource
from tests.dnssync.rules.strategies import batches, rule_settings

ZONE = DomainName.parse("example.com")
Event = tuple[ObjectKey, SourceObject | None]


def apply_event(source: FakeSource, key: ObjectKey, obj: SourceObject | None, broken: bool) -> None:
    if obj is not None:
        source.put(obj)
    elif broken:
        source.break_object(key)
    elif key in source.objects:
        source.remove(key[2], key[1], key[0])


@given(rule_settings, batches, st.randoms(use_true_random=False))
def test_targeted_reconciles_converge_like_a_full_plan(
    rules: RuleSettings, events: list[list[Event]], random: Random
) -> None:
    settings = EngineSettings(rules, PlanSettings(registry=TxtRegistry("prop"), force=True))
    provider = InMemoryProvider((ZONE,))
    source = FakeSource()
    first, *rest = events
    for key, obj in first:
        apply_event(source, key, obj, broken=False)
    source.take()
    r = Reconciler(provider, source, settings, Metrics())
    assert r.full().result in ("success", "noop")
    for batch in rest:
        for key, obj in batch:
            apply_event(source, key, obj, broken=random.random() < 0.2)
        lists = provider.requests.total("list")
        outcome = r.targeted(source.take())
        assert (outcome.kind, outcome.result) in (("targeted", "success"), ("targeted", "noop"))
        assert provider.requests.total("list") == lists  # against the cache only
        plan = compute_plan(source.snapshot(), provider, settings).plan
        assert not plan.has_changes, [f"{c.action.value} {c.key}" for c in plan.changes]
