"""Run every hostile zone-file case of tests/corpus/zonefiles (format: README.md there)."""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.exception
import dns.name
import dns.rdatatype
import pytest
import yaml

from dnssync.cli.main import main
from tests.dnssync.providers.zonefile.zonefile_kit import (
    RRData,
    RRKey,
    assert_foreign_unchanged,
    rr_data,
)

FAMILY = Path(__file__).resolve().parent
CASES = sorted(p.parent for p in FAMILY.glob("*/expected.yaml"))
OWNER = "corpus"
ZONE_FILE = Path("zones") / "example.com.zone"


@dataclass(frozen=True)
class Expected:
    description: str
    exit: int
    stderr: tuple[str, ...] = ()
    not_stderr: tuple[str, ...] = ()
    apply_exit: int | None = None
    apply_stderr: tuple[str, ...] = ()
    foreign_unchanged: bool = True
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    setup: tuple[dict[str, Any], ...] = field(default=())


KEYS = {
    "description",
    "exit",
    "stderr",
    "not_stderr",
    "apply_exit",
    "apply_stderr",
    "foreign_unchanged",
    "after_apply",
    "args",
    "setup",
}


def load_expected(case: Path) -> Expected:
    raw = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
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
        apply_exit=raw.get("apply_exit"),
        apply_stderr=tuple(raw.get("apply_stderr") or ()),
        foreign_unchanged=bool(raw.get("foreign_unchanged", True)),
        present=tuple(after.get("present") or ()),
        absent=tuple(after.get("absent") or ()),
        args=tuple(str(a) for a in raw.get("args") or ()),
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
    if path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(step["to"])


def _fifo(work: Path, step: dict[str, Any]) -> None:
    path = inside(work, step["fifo"])
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    os.mkfifo(path)


def _mkdir(work: Path, step: dict[str, Any]) -> None:
    path = inside(work, step["mkdir"])
    if path.is_file():
        path.unlink()
    path.mkdir(parents=True, exist_ok=True)


def _chmod(work: Path, step: dict[str, Any]) -> None:
    inside(work, step["chmod"]).chmod(int(str(step["mode"]), 8))


def _sparse(work: Path, step: dict[str, Any]) -> None:
    path = inside(work, step["sparse"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as handle:
        handle.truncate(int(step["size"]))


SETUP_STEPS: dict[str, Callable[[Path, dict[str, Any]], None]] = {
    "symlink": _symlink,
    "fifo": _fifo,
    "mkdir": _mkdir,
    "chmod": _chmod,
    "sparse": _sparse,
}


def run_setup(work: Path, steps: tuple[dict[str, Any], ...]) -> None:
    for step in steps:
        (name,) = [k for k in step if k in SETUP_STEPS] or [None]
        assert name is not None, f"unknown setup step {step}"
        SETUP_STEPS[name](work, step)


@dataclass(frozen=True)
class FileState:
    """What the zone file is before and after: its kind, and its RR data when readable."""

    kind: str
    target: str | None
    content: bytes | None
    data: dict[RRKey, RRData] | None


def file_state(path: Path) -> FileState:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return FileState("absent", None, None, None)
    if stat.S_ISLNK(info.st_mode):
        return FileState("symlink", os.readlink(path), None, None)
    if not stat.S_ISREG(info.st_mode):
        return FileState(stat.filemode(info.st_mode)[0], None, None, None)
    if info.st_size > 1 << 20:  # a sparse giant: its size is what must not change
        return FileState("file", str(info.st_size), None, None)
    content = path.read_bytes()
    try:
        data = rr_data(path)
    except (dns.exception.DNSException, UnicodeError, ValueError, OSError):
        data = None
    return FileState("file", None, content, data)


def planned_keys(stdout: str) -> set[RRKey]:
    if not stdout.strip():
        return set()
    document = json.loads(stdout)
    return {
        (dns.name.from_text(c["name"]), int(dns.rdatatype.from_text(c["type"])))
        for c in document["changes"]
    }


def check_foreign(before: FileState, after: FileState, planned: set[RRKey]) -> None:
    """Foreign records unchanged: the same kind of file; and, when the file could be read,
    every RRset the plan did not name holds exactly the same RRs (SOA serial aside), or,
    when it could not be read, the same bytes."""
    assert (after.kind, after.target) == (before.kind, before.target)
    if before.data is not None:
        assert after.data is not None
        assert_foreign_unchanged(before.data, after.data, planned)
        assert before.data.keys() - planned <= after.data.keys()
    elif before.content is not None:
        assert after.content == before.content


def names(state: FileState) -> set[str]:
    assert state.data is not None
    return {f"{n} {dns.rdatatype.to_text(t)}" for n, t in state.data}


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "case"
    for name in list(os.environ):
        if name.startswith("DNSSYNC_") or name == "KUBECONFIG":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    yield folder
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            if not path.is_symlink() and (path.is_dir() or path.is_file()):
                path.chmod(0o755)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_zonefile_corpus_case(
    case: Path, work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = load_expected(case)
    shutil.copytree(case, work, symlinks=True, ignore=shutil.ignore_patterns("expected.yaml"))
    (work / "manifests").mkdir(exist_ok=True)
    run_setup(work, expected.setup)
    monkeypatch.chdir(work)
    argv = ["--provider", "zonefile", "--zonefile-dir", "zones", "--zone", "example.com"]
    argv += ["--owner-id", OWNER, "--manifests", "manifests", *expected.args]
    before = file_state(work / ZONE_FILE)

    plan_code = main(["plan", "--output", "json", *argv])
    plan_out, plan_err = capsys.readouterr()
    planned = planned_keys(plan_out) if plan_code != 1 else set()
    apply_code = main(["apply", "--yes", *argv])
    _, apply_err = capsys.readouterr()
    after = file_state(work / ZONE_FILE)

    for err in (plan_err, apply_err):
        assert "Traceback" not in err
        for fragment in expected.not_stderr:
            assert fragment not in err
    flat = " ".join(plan_err.split())
    for fragment in expected.stderr:
        assert " ".join(fragment.split()) in flat, f"{fragment!r} not in plan's stderr:\n{flat}"
    flat_apply = " ".join(apply_err.split())
    for fragment in expected.apply_stderr:
        assert " ".join(fragment.split()) in flat_apply, f"{fragment!r} not in:\n{flat_apply}"
    assert plan_code == expected.exit, plan_err
    if expected.apply_exit is not None:
        assert apply_code == expected.apply_exit, apply_err
    if expected.foreign_unchanged:
        check_foreign(before, after, planned)
    for name in expected.present:
        assert name in names(after)
    for name in expected.absent:
        assert name not in names(after)
    leftovers = [p for p in (work / "zones").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
