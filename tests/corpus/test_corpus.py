"""Run every case of the hostile-input corpus (format: tests/corpus/README.md)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.rdatatype
import dns.zone
import pytest

from dnssync.cli.main import main
from dnssync.sources.yaml_input import load_single
from tests.dnssync.sources.hostile_fs import configmap_mount, fifo, run_dnssync

CORPUS = Path(__file__).resolve().parent
# zonefiles/ uses this format too, with zone checks of its own: its runner is
# zonefiles/test_zonefile_corpus.py; values/ is a corpus of single files (test_values.py).
FAMILIES = ("manifests", "kubeconfig")
CASES = sorted(p.parent for family in FAMILIES for p in (CORPUS / family).glob("*/expected.yaml"))
OWNER = "corpus"
GHOST = "ghost.example.com. A"
DEFAULT_ZONE = f"""\
$ORIGIN example.com.
@ 3600 SOA ns1 hostmaster 1 3600 600 1209600 300
@ 3600 NS ns1
ghost 300 A 192.0.2.254
a-ghost 300 TXT "heritage=external-dns,external-dns/owner={OWNER},\
external-dns/resource=service/corpus/ghost"
"""


@dataclass(frozen=True)
class Expected:
    description: str
    exit: int
    stderr: tuple[str, ...] = ()
    not_stderr: tuple[str, ...] = ()
    deletes: bool | None = None
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    apply_exit: int | None = None
    args: tuple[str, ...] = ()
    manifests: bool = True
    unprivileged: bool = False
    setup: tuple[dict[str, Any], ...] = field(default=())


KEYS = {
    "description",
    "exit",
    "stderr",
    "not_stderr",
    "deletes",
    "after_apply",
    "apply_exit",
    "args",
    "manifests",
    "unprivileged",
    "setup",
}


def load_expected(case: Path) -> Expected:
    raw = load_single(case / "expected.yaml")
    assert isinstance(raw, dict), f"{case}/expected.yaml: not a mapping"
    unknown = set(raw) - KEYS
    assert not unknown, f"{case}/expected.yaml: unknown keys {sorted(unknown)}"
    after = raw.get("after_apply") or {}
    assert set(after) <= {"present", "absent"}, f"{case}: after_apply takes present/absent"
    return Expected(
        description=str(raw["description"]),
        exit=int(raw["exit"]),
        stderr=tuple(raw.get("stderr") or ()),
        not_stderr=tuple(raw.get("not_stderr") or ()),
        deletes=raw.get("deletes"),
        present=tuple(after.get("present") or ()),
        absent=tuple(after.get("absent") or ()),
        apply_exit=raw.get("apply_exit"),
        args=tuple(str(a) for a in raw.get("args") or ()),
        manifests=bool(raw.get("manifests", True)),
        unprivileged=bool(raw.get("unprivileged", False)),
        setup=tuple(raw.get("setup") or ()),
    )


def inside(work: Path, relative: str) -> Path:
    path = (work / relative).resolve(strict=False)
    parent = path.parent.resolve()
    assert parent == work.resolve() or work.resolve() in parent.parents, relative
    return work / relative


def _symlink(work: Path, step: dict[str, Any]) -> None:
    path = inside(work, step["symlink"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(step["to"])


def _fifo(work: Path, step: dict[str, Any]) -> None:
    fifo(inside(work, step["fifo"]))


def _mkdir(work: Path, step: dict[str, Any]) -> None:
    inside(work, step["mkdir"]).mkdir(parents=True, exist_ok=True)


def _chmod(work: Path, step: dict[str, Any]) -> None:
    inside(work, step["chmod"]).chmod(int(str(step["mode"]), 8))


def _sparse(work: Path, step: dict[str, Any]) -> None:
    path = inside(work, step["sparse"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(int(step["size"]))


def _configmap(work: Path, step: dict[str, Any]) -> None:
    source = inside(work, step["from"])
    files = {p.name: p.read_text() for p in sorted(source.iterdir()) if p.is_file()}
    configmap_mount(inside(work, step["configmap"]), files)


SETUP_STEPS: dict[str, Callable[[Path, dict[str, Any]], None]] = {
    "symlink": _symlink,
    "fifo": _fifo,
    "mkdir": _mkdir,
    "chmod": _chmod,
    "sparse": _sparse,
    "configmap": _configmap,
}


def run_setup(work: Path, steps: tuple[dict[str, Any], ...]) -> None:
    for step in steps:
        (name,) = [k for k in step if k in SETUP_STEPS] or [None]
        assert name is not None, f"unknown setup step {step}"
        SETUP_STEPS[name](work, step)


def restore_permissions(work: Path) -> None:
    """So the temporary folder can be removed after chmod steps."""
    for root, dirs, files in os.walk(work):
        for name in dirs + files:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(0o755)


def owned_names(zones: Path) -> set[str]:
    zone = dns.zone.from_file(str(zones / "example.com.zone"), origin="example.com.")
    return {
        f"{name.derelativize(zone.origin)} {dns.rdatatype.to_text(rdataset.rdtype)}"
        for name, node in zone.nodes.items()
        for rdataset in node.rdatasets
    }


@dataclass(frozen=True)
class Run:
    code: int
    stderr: str


@pytest.fixture
def in_case_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    work = tmp_path / "case"
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("DNSSYNC_") or name == "KUBECONFIG":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    yield work
    if work.exists():
        restore_permissions(work)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_corpus_case(
    case: Path, in_case_folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    expected = load_expected(case)
    work = in_case_folder
    shutil.copytree(case, work, symlinks=True, ignore=shutil.ignore_patterns("expected.yaml"))
    if expected.manifests:
        (work / "manifests").mkdir(exist_ok=True)
    zones = work / "zones"
    if not zones.exists():
        zones.mkdir()
        (zones / "example.com.zone").write_text(DEFAULT_ZONE)
    run_setup(work, expected.setup)
    argv = ["--provider", "zonefile", "--zonefile-dir", "zones", "--zone", "example.com"]
    argv += ["--owner-id", OWNER, *expected.args]
    if expected.manifests:
        argv += ["--manifests", "manifests"]

    def dnssync(*command: str) -> Run:
        if expected.unprivileged:
            result = run_dnssync([*command, *argv], cwd=work)
            return Run(result.returncode, result.stderr)
        monkeypatch.chdir(work)
        code = main([*command, *argv])
        return Run(code, capsys.readouterr().err)

    plan = dnssync("plan")
    apply = dnssync("apply", "--yes")
    restore_permissions(work)
    err = " ".join(plan.stderr.split())
    for run in (plan, apply):
        assert "Traceback" not in run.stderr
        for fragment in expected.not_stderr:
            assert fragment not in run.stderr
    for fragment in expected.stderr:
        assert " ".join(fragment.split()) in err, f"{fragment!r} not in plan's stderr:\n{err}"
    names = owned_names(zones)
    if expected.deletes is not None:
        assert (GHOST not in names) == expected.deletes, (
            "the ghost record was deleted" if GHOST not in names else "the ghost was kept"
        )
    for name in expected.present:
        assert name in names
    for name in expected.absent:
        assert name not in names
    assert plan.code == expected.exit, plan.stderr
    if expected.apply_exit is not None:
        assert apply.code == expected.apply_exit, apply.stderr
