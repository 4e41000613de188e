"""Benchmarks write the committed results only with --save and leave nothing in /tmp."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bench import output
from bench.output import add_output_options, private_workdir, result_path

REPO_ROOT = Path(__file__).resolve().parents[2]
BENCHES = ("compare", "informer", "latency", "plan", "rfc2136", "webhook")


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_output_options(parser, "x.json")
    return parser.parse_args(argv)


def test_default_is_a_new_temp_file_never_the_results_dir() -> None:
    first, second = result_path(parse(), "plan"), result_path(parse(), "plan")
    try:
        assert first != second
        assert first.parent == Path(tempfile.gettempdir())
        assert first.name.startswith("dnssync-bench-plan-") and first.suffix == ".json"
        assert output.RESULTS not in first.parents
    finally:
        first.unlink()
        second.unlink()


def test_save_writes_the_committed_file_and_json_any_path(tmp_path: Path) -> None:
    assert result_path(parse("--save"), "plan") == REPO_ROOT / "bench" / "results" / "plan.json"
    assert result_path(parse("--json", str(tmp_path / "a.json")), "plan") == tmp_path / "a.json"


def test_save_and_json_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse("--save", "--json", "x.json")
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("bench", BENCHES)
def test_every_bench_has_save_and_json(bench: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{bench}", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--save" in proc.stdout and "--json PATH" in proc.stdout


def test_private_workdir_is_removed_on_error_and_ctrl_c() -> None:
    for exc in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(exc)), private_workdir("t") as workdir:
            (workdir / "tsig").write_text("secret")
            assert oct(workdir.stat().st_mode & 0o777) == "0o700"
            raise exc
        assert not workdir.exists()


def test_private_workdir_is_removed_on_sigterm(tmp_path: Path) -> None:
    script = (
        "import os, signal, sys\n"
        "from bench.output import private_workdir\n"
        "with private_workdir('t') as w:\n"
        "    (w / 'tsig').write_text('secret')\n"
        "    print(w, flush=True)\n"
        "    signal.pause()\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    with subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        workdir = Path(proc.stdout.readline().strip())
        assert (workdir / "tsig").exists()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) != 0
    assert not workdir.exists()
    assert list(tmp_path.iterdir()) == []


def test_bench_plan_writes_a_temp_file_by_default(tmp_path: Path) -> None:
    """A real (small) run: the JSON lands in the temp dir, bench/results is untouched."""
    committed = (REPO_ROOT / "bench" / "results" / "plan.json").read_bytes()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.plan", "--sizes", "20"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    written = [p for p in tmp_path.iterdir()]
    assert len(written) == 1 and written[0].name.startswith("dnssync-bench-plan-")
    assert f"JSON: {written[0]}" in proc.stderr
    document = json.loads(written[0].read_text())
    assert [row["services"] for row in document["rows"]] == [20]
    assert document["wall_seconds"] > 0
    assert (REPO_ROOT / "bench" / "results" / "plan.json").read_bytes() == committed
