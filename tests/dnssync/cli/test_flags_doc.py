"""docs/flags.md is generated from the option declarations and must not drift."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dnssync.cli import flags_doc
from dnssync.cli.main import all_provider_options, provider_classes, run_options
from dnssync.cli.options import CORE_OPTIONS, SOURCE_OPTIONS
from dnssync.cli.parser import OUTPUT_OPTION, YES_OPTION

REPO = Path(__file__).resolve().parents[3]
PAGE = REPO / "docs" / "flags.md"


def test_the_committed_page_is_current() -> None:
    generated = flags_doc.render(*flags_doc.installed())
    committed = PAGE.read_text(encoding="utf-8")
    assert generated == committed, (
        f"docs/flags.md is stale: run `{flags_doc.REGENERATE}` and commit the result"
    )


def test_the_module_prints_the_page() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNSSYNC_")}
    result = subprocess.run(
        [sys.executable, "-m", "dnssync.cli.flags_doc"],
        capture_output=True,
        text=True,
        cwd="/",  # no dependence on the working directory
        env=env,
        timeout=120,
        check=True,
    )
    assert result.stdout == PAGE.read_text(encoding="utf-8")
    assert result.stderr == ""


def test_every_flag_and_variable_is_listed_once_per_owner() -> None:
    page = PAGE.read_text(encoding="utf-8")
    options = [
        *SOURCE_OPTIONS,
        *CORE_OPTIONS,
        OUTPUT_OPTION,
        YES_OPTION,
        *run_options(),
        *all_provider_options(provider_classes()),
    ]
    for option in options:
        assert f"| `--{option.flag}`" in page, option.flag
        assert f"`{option.env_var}`" in page, option.env_var
    secret_rows = [line for line in page.splitlines() if "*(secret)*" in line]
    assert secret_rows and all("tsig-secret`" in row for row in secret_rows)
    assert "`--config FILE` | `DNSSYNC_CONFIG`" in page


def test_the_page_holds_no_machine_detail() -> None:
    page = PAGE.read_text(encoding="utf-8")
    for fragment in (str(REPO), str(Path.home()), "/tmp/", "/work/"):
        assert fragment not in page
    # Deterministic: providers sorted, and the same text twice.
    headings = [line for line in page.splitlines() if line.startswith("### ")]
    assert headings == sorted(headings)
    assert flags_doc.render(*flags_doc.installed()) == flags_doc.render(*flags_doc.installed())
