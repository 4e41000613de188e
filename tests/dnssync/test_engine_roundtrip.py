"""plan -> apply -> plan on the embedded providers, in one process through the API.

The in-memory provider keeps nothing between processes, so its round trip runs here
through the same calls the CLI makes (settings from argv, compute_plan, apply_plan).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from dnssync.cli.config import resolve
from dnssync.cli.main import all_provider_options, build_parser, create_provider, provider_classes
from dnssync.cli.options import CORE_OPTIONS, SOURCE_OPTIONS, core_settings
from dnssync.cli.sources import load_snapshot
from dnssync.engine import EngineSettings, apply_plan, compute_plan
from dnssync.providers.base import Provider
from dnssync.providers.zonefile import ZoneFileProvider
from dnssync.sources.snapshot import SourceSnapshot

REPO = Path(__file__).resolve().parents[2]


def settings_from(argv: list[str]) -> tuple[EngineSettings, Provider, SourceSnapshot]:
    classes = provider_classes()
    options = all_provider_options(classes)
    args: argparse.Namespace = build_parser(options).parse_args(["plan", *argv])
    values = resolve([*SOURCE_OPTIONS, *CORE_OPTIONS, *options], args, {}, {})
    core = core_settings(values)
    provider = create_provider(core, values, classes)
    return EngineSettings(core.rules, core.plan), provider, load_snapshot(core)


@pytest.mark.parametrize("example", ["kerberos", "aws"])
def test_inmemory_plan_apply_plan(example: str) -> None:
    settings, provider, snapshot = settings_from(
        [
            "--manifests",
            str(REPO / "examples" / example),
            "--provider",
            "inmemory",
            "--zone",
            "example.com",
        ]
    )
    first = compute_plan(snapshot, provider, settings)
    assert first.plan.summary() == {"create": 8, "update": 0, "delete": 0}
    report = apply_plan(provider, first.plan)
    assert not report.failures
    assert report.applied == 4
    second = compute_plan(snapshot, provider, settings)
    assert not second.plan.has_changes
    assert not second.diagnostics
    assert len(provider.records(provider.zones()[0])) == 8


def test_zonefile_written_by_one_provider_is_read_by_another(tmp_path: Path) -> None:
    settings, provider, snapshot = settings_from(
        [
            "--manifests",
            str(REPO / "examples" / "kerberos"),
            "--provider",
            "zonefile",
            "--zonefile-dir",
            str(tmp_path),
            "--zone",
            "example.com",
        ]
    )
    apply_plan(provider, compute_plan(snapshot, provider, settings).plan)
    fresh = ZoneFileProvider(tmp_path, provider.zones())
    assert not compute_plan(snapshot, fresh, settings).plan.has_changes
