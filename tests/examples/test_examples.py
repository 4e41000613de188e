"""Every folder in examples/ plans exactly what its ``plan.txt`` says.

``plan.txt`` is the transcript the docs quote (docs/rules.md): its first line is the
command (``$ dnssync plan --manifests examples/<name> ...``), the rest is what that command
prints, stdout then stderr. The command runs here as a user would run it, from the
repository root in a process of its own, so a rule change that alters an example fails
until the transcript (and the page quoting it) is brought up to date.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if p.is_dir())
NO_CHANGES = "No changes. DNS is up to date."


def transcript(example: Path) -> tuple[list[str], str]:
    """The command's arguments (after ``dnssync``) and the expected output."""
    path = example / "plan.txt"
    assert path.is_file(), (
        f"examples/{example.name} has no plan.txt: write the command as its first line "
        f"('$ dnssync plan --manifests examples/{example.name} ...') and its output below"
    )
    first, _, expected = path.read_text(encoding="utf-8").partition("\n")
    assert first.startswith("$ dnssync plan "), f"{path}: the first line must be the command"
    argv = shlex.split(first[len("$ dnssync ") :])
    assert argv[1:3] == ["--manifests", f"examples/{example.name}"], (
        f"{path}: the command must plan this folder: --manifests examples/{example.name}"
    )
    return argv, expected


def run_dnssync(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNSSYNC_")}
    env.pop("KUBECONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "dnssync", *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_plans_as_its_transcript_says(example: Path) -> None:
    argv, expected = transcript(example)
    result = run_dnssync(argv)
    assert result.stdout + result.stderr == expected
    assert result.returncode == (0 if result.stdout.startswith(NO_CHANGES) else 2), result.stderr


PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
FENCED = re.compile(r"^```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def quoted_transcripts() -> list[tuple[str, str]]:
    """(page, block) for every fenced block of the pages that starts with an example's
    ``$ dnssync plan --manifests examples/...`` line."""
    found = []
    for page in PAGES:
        for block in FENCED.findall(page.read_text(encoding="utf-8")):
            if block.startswith("$ dnssync plan --manifests examples/"):
                found.append((str(page.relative_to(REPO)), block))
    return found


def test_every_quoted_transcript_is_current() -> None:
    """A page quoting an example's plan.txt command quotes all of its output, as it is now."""
    transcripts = {
        (example / "plan.txt").read_text(encoding="utf-8").partition("\n")[0]: example
        for example in EXAMPLES
        if (example / "plan.txt").is_file()  # a missing one fails the test above
    }
    for page, block in quoted_transcripts():
        command = block.partition("\n")[0]
        if command not in transcripts:
            continue  # another command, or one written over several lines: an excerpt
        expected = (transcripts[command] / "plan.txt").read_text(encoding="utf-8")
        assert block == expected, f"{page}: the quoted output of {command!r} is stale"


def test_the_rules_page_shows_its_worked_examples() -> None:
    rules = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    for name in ("kerberos", "aws", "kerberos-gateway", "dns-server", "replicas"):
        assert (REPO / "examples" / name / "plan.txt").read_text(encoding="utf-8") in rules, name
