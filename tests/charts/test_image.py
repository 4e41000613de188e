"""The container image that ships: built by tools/image/build.sh and smoke-tested inside.

The script builds the Dockerfile with buildah on a cached debootstrap base, then runs
``dnssync --version``, ``dnssync run --help`` and a Kerberos ``dnssync plan`` in the image
as its own user (65532) with a read-only root filesystem. Here it must pass with no
error line anywhere in its output (buildah used to print ``Error: exit status 2`` on a
passing build: the smoke ran ``dnssync plan``, which exits 2 for "changes", through
``buildah run``). A cold build (debootstrap) takes minutes; a warm one reuses the cached
base and dependency layer.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from testinfra.gates import require_image_build
from tests.charts.helmchart import REPO_ROOT

BUILD = REPO_ROOT / "tools" / "image" / "build.sh"
ERROR_LINE = re.compile(r"^(Error|ERROR|error)\b|level=(error|fatal)", re.MULTILINE)
TAG = "localhost/dnssync:test"


def test_error_line_pattern_matches_what_buildah_and_pip_print() -> None:
    for line in ("Error: exit status 2", "ERROR: No matching distribution", 'level=error msg="x"'):
        assert ERROR_LINE.search(line), line
    for line in ("[05:02:40] smoke test passed", "errors: 0 in the report", "Plan: 8 to create"):
        assert not ERROR_LINE.search(line), line


@pytest.mark.slow
@pytest.mark.timeout(2400)  # a cold build debootstraps the base first
def test_image_builds_and_passes_its_smoke_test() -> None:
    missing = [tool for tool in ("buildah", "debootstrap") if shutil.which(tool) is None]
    require_image_build(not missing, f"{', '.join(missing)} not installed (tools/setup.sh)")
    require_image_build(os.geteuid() == 0, "the image build needs root (buildah, debootstrap)")
    proc = subprocess.run(
        ["bash", str(BUILD), "--tag", TAG],
        capture_output=True,
        text=True,
        timeout=2400,
        check=False,
    )
    output = proc.stderr + proc.stdout
    tail = "\n".join(output.splitlines()[-40:])
    assert proc.returncode == 0, f"tools/image/build.sh exited {proc.returncode}:\n{tail}"
    assert proc.stdout.strip() == TAG
    errors = [m.group(0) for m in ERROR_LINE.finditer(output)]
    assert not errors, [line for line in output.splitlines() if ERROR_LINE.search(line)]
    for step in (
        "dnssync --version: dnssync ",
        "dnssync run --help: ok",
        "runs as uid 65532",
        "read-only root filesystem: ok",
        "smoke test passed",
    ):
        assert step in output, f"no '{step}' in the output:\n{tail}"
    assert "_kerberos._udp.example.com." in output  # the plan run inside the image
    timings = re.search(r"build ([\d.]+) s; total ([\d.]+) s", output)
    assert timings is not None, tail
    print(f"image build {timings.group(1)} s, whole script {timings.group(2)} s")


def test_build_script_is_executable() -> None:
    assert Path(BUILD).stat().st_mode & 0o111
