"""The hostile values corpus (tests/corpus/values/README.md): each file a case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from dnssync.model.records import RecordType, Text
from dnssync.ownership.txt import DEFAULT_OWNER_ID, Ownership, parse_ownership
from dnssync.render.markdown import render_markdown
from dnssync.render.text import render_diagnostics, render_text
from dnssync.testing.scenarios import plan_of

CORPUS = Path(__file__).parent / "values"
CASES = sorted(CORPUS.glob("*.yaml"))
GOOD = """---
apiVersion: v1
kind: Service
metadata: {name: good, namespace: ns, annotations: {dnssync.io/hostname: good.example.com}}
spec: {type: LoadBalancer, ports: [{name: kerberos, port: 88, protocol: UDP}]}
status: {loadBalancer: {ingress: [{ip: 192.0.2.100}]}}
"""


def header(path: Path, tag: str) -> list[str]:
    prefix = f"# {tag}: "
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line[len(prefix) :] for line in lines if line.startswith(prefix)]


def test_the_corpus_is_there() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    outcome = plan_of(path.read_text(encoding="utf-8"), GOOD)
    expected = sorted(tuple(json.loads(line)) for line in header(path, "expect"))
    found = sorted(
        (d.subject.replace(" in m00.yaml", " in {file}"), d.field, d.reason, d.message)
        for d in outcome.diagnostics
    )
    assert [f[:3] for f in found] == [e[:3] for e in expected], [
        str(d) for d in outcome.diagnostics
    ]
    for (_, _, _, message), (_, _, _, fragment) in zip(found, expected, strict=True):
        assert fragment in message
    planned = sorted(
        f"{c.name.fqdn} {c.rtype.value}"
        for c in outcome.plan.changes
        if c.rtype is not RecordType.TXT
    )
    others = [p for p in planned if p != "good.example.com. A"]
    count = header(path, "planned-count")
    if count:
        assert len(others) == int(count[0])
    else:
        assert others == sorted(header(path, "planned"))
    assert not outcome.unsafe
    for change in outcome.plan.changes:
        if change.rtype is RecordType.TXT and change.new is not None:
            [value] = change.new.values
            assert isinstance(value, Text)
            expected = Ownership(DEFAULT_OWNER_ID, change.owner_resource)
            assert parse_ownership(value.joined) == expected
    console = Console(record=True, width=10_000, force_terminal=False)
    render_text(outcome.plan, console)
    render_diagnostics(outcome.diagnostics, console)
    for rendered in (console.export_text(), render_markdown(outcome.plan, outcome.diagnostics)):
        assert all(c.isprintable() or c == "\n" for c in rendered)
