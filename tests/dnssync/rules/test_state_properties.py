"""The incremental desired state against from-scratch computations, over random events.

After every batch of add/update/delete events on Services, Gateways, routes and
Namespaces, the state that applied the events one batch at a time must equal

* a state built from scratch from the objects now present (same code, one step), and
* the pre-incremental one-pass rules (``reference_rules``, an independent oracle);

and the names it reports as changed must be exactly those whose records changed.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from hypothesis import given

from dnssync.model.names import DomainName
from dnssync.rules.evaluate import ObjectKey
from dnssync.rules.merge import DesiredRecord, MergeResult
from dnssync.rules.settings import RuleSettings
from dnssync.rules.state import DesiredState
from dnssync.sources.objects import SourceObject
from tests.dnssync.rules.reference_rules import reference_desired_records
from tests.dnssync.rules.strategies import batches, rule_settings

Event = tuple[ObjectKey, SourceObject | None]


def by_name(result: MergeResult) -> dict[DomainName, set[DesiredRecord]]:
    found: dict[DomainName, set[DesiredRecord]] = defaultdict(set)
    for key, record in result.records.items():
        found[key.name].add(record)
    return found


def changed_names(before: MergeResult, after: MergeResult) -> set[DomainName]:
    old, new = by_name(before), by_name(after)
    return {n for n in old.keys() | new.keys() if old.get(n) != new.get(n)}


@given(rule_settings, batches)
def test_incremental_state_equals_a_full_computation_after_every_batch(
    settings: RuleSettings, events: list[list[Event]]
) -> None:
    incremental = DesiredState(settings)
    objects: dict[ObjectKey, SourceObject] = {}
    before = incremental.result()
    for batch in events:
        updates: dict[ObjectKey, SourceObject | None] = {}
        for key, obj in batch:
            updates[key] = obj
            if obj is None:
                objects.pop(key, None)
            else:
                objects[key] = obj
        delta = incremental.apply(updates)
        after = incremental.result()

        assert after == DesiredState.build(objects.values(), settings).result()
        reference = reference_desired_records(objects.values(), settings)
        assert after.records == reference.records
        assert after.refused == reference.refused
        assert after.keep == reference.keep
        assert Counter(after.diagnostics) == Counter(reference.diagnostics)

        assert delta.names == changed_names(before, after)
        assert incremental.record_count == len(after.records)
        assert incremental.records_at(delta.names) == {
            k: r for k, r in after.records.items() if k.name in delta.names
        }
        before = after


@given(rule_settings, batches)
def test_the_order_of_objects_does_not_matter(
    settings: RuleSettings, events: list[list[Event]]
) -> None:
    objects = {key: obj for batch in events for key, obj in batch if obj is not None}
    forward = DesiredState.build(objects.values(), settings).result()
    backward = DesiredState.build(reversed(objects.values()), settings).result()
    assert forward == backward
