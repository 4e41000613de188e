"""Helpers for table-driven tests: YAML manifests in, desired records and plans out.

Everything goes through the real manifest source, rules, planner and the in-memory
provider, so a test written with these helpers exercises what ``dnssync plan`` does.
"""

from __future__ import annotations

import tempfile
import textwrap
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from dnssync.engine import EngineSettings, PlanOutcome, apply_plan, compute_plan
from dnssync.model.changes import Action, Change, ChangeGroup, Plan
from dnssync.model.diagnostics import Diagnostic
from dnssync.model.names import DomainName, find_zone
from dnssync.model.records import RRset
from dnssync.model.refs import ObjectRef
from dnssync.providers.base import Provider
from dnssync.providers.inmemory import InMemoryProvider
from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.rules.merge import MergeResult
from dnssync.sources.manifests import read_manifests
from dnssync.sources.objects import LabelSelector
from dnssync.sources.snapshot import SourceSnapshot


def snapshot_of(
    *files: str,
    names: Sequence[str] = (),
    annotation_filter: LabelSelector | None = None,
    configmaps: Collection[ObjectRef] = (),
) -> SourceSnapshot:
    """Read YAML texts (dedented) as the files of a ``--manifests`` folder."""
    with tempfile.TemporaryDirectory(prefix="dnssync-manifests-") as tmp:
        directory = Path(tmp)
        for index, text in enumerate(files):
            name = names[index] if index < len(names) else f"m{index:02d}.yaml"
            (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
        return read_manifests(directory, annotation_filter=annotation_filter, configmaps=configmaps)


def desired_of(*files: str, settings: RuleSettings | None = None) -> MergeResult:
    snapshot = snapshot_of(*files)
    assert not snapshot.diagnostics, [str(d) for d in snapshot.diagnostics]
    return desired_records(snapshot.objects, settings or RuleSettings())


def lines(rrsets: Iterable[RRset]) -> list[str]:
    """RRsets as sorted one-line strings: ``name. ttl TYPE value, value``."""
    return sorted(str(r) for r in rrsets)


def desired_lines(result: MergeResult) -> list[str]:
    return lines(r.rrset for r in result.records.values())


def problems(diagnostics: Iterable[Diagnostic]) -> list[tuple[str, str, str]]:
    """(subject, field, reason) of each diagnostic, sorted."""
    return sorted((d.subject, d.field, d.reason) for d in diagnostics)


def provider_with(
    zones: Sequence[str] = ("example.com",), existing: Iterable[RRset] = ()
) -> InMemoryProvider:
    """An in-memory provider holding ``existing`` (placed in the zone that contains each)."""
    zone_names = tuple(DomainName.parse(z) for z in zones)
    provider = InMemoryProvider(zone_names)
    seed(provider, existing)
    return provider


def seed(provider: Provider, existing: Iterable[RRset]) -> None:
    zones = provider.zones()
    for rrset in existing:
        zone = find_zone(rrset.name, zones)
        assert zone is not None, f"{rrset.name} is in no zone"
        result = provider.apply(zone, [ChangeGroup((Change(Action.CREATE, zone, rrset, None),))])
        assert result.ok, [f.message for f in result.failed]


def plan_of(
    *files: str,
    provider: Provider | None = None,
    settings: EngineSettings | None = None,
) -> PlanOutcome:
    snapshot = snapshot_of(*files)
    return compute_plan(snapshot, provider or provider_with(), settings or EngineSettings())


def change_lines(plan: Plan) -> list[str]:
    """Changes as ``action name TYPE values`` strings, in plan order."""
    found = []
    for change in plan.changes:
        rrset = change.new or change.old
        assert rrset is not None
        values = ", ".join(rrset.value_texts())
        found.append(f"{change.action.value} {rrset.name.fqdn} {rrset.rtype.value} {values}")
    return found


def converge(provider: Provider, snapshot: SourceSnapshot, settings: EngineSettings) -> Plan:
    """Plan and apply once; return the plan applied (asserting that all of it applied)."""
    outcome = compute_plan(snapshot, provider, settings)
    report = apply_plan(provider, outcome.plan)
    assert not report.failures, [f.message for _, f in report.failures]
    return outcome.plan
