"""What a CLI process imports: plan with a built-in provider loads no provider SDK and no
daemon machinery (docs/cli.md). Counted in sys.modules of a real process, never timed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
KERBEROS = REPO / "examples" / "kerberos"

# Provider SDKs, and what only `dnssync run` needs.
NOT_NEEDED = (
    "boto3",
    "botocore",
    "google.cloud",
    "google.cloud.dns",
    "google.auth",
    "kubernetes",
    "apscheduler",
    "prometheus_client",
    "dnssync.daemon.command",
)
PROBE = """
import json, runpy, sys
sys.argv = ["dnssync", *sys.argv[1:]]
try:
    runpy.run_module("dnssync", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def imported(*argv: str) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return int(report["code"] or 0), set(report["modules"])


@pytest.mark.parametrize(
    "provider",
    [["--provider", "inmemory"], ["--provider", "zonefile", "--zonefile-dir", "ZONES"]],
    ids=["inmemory", "zonefile"],
)
def test_plan_with_a_built_in_provider_loads_no_sdk(provider: list[str], tmp_path: Path) -> None:
    provider = [str(tmp_path) if arg == "ZONES" else arg for arg in provider]
    (tmp_path / "example.com.zone").write_text(
        "$ORIGIN example.com.\n@ 3600 IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
        "@ 3600 IN NS ns1\nns1 3600 IN A 192.0.2.53\n"
    )
    argv = ["plan", "--manifests", str(KERBEROS), *provider]
    code, modules = imported(*argv, "--zone", "example.com", "--owner-id", "startup-test")
    assert code == 2  # the plan has changes: it really planned
    assert "dnssync.engine" in modules
    assert sorted(m for m in NOT_NEEDED if m in modules) == []


def test_help_loads_no_sdk() -> None:
    code, modules = imported("--help")
    assert code == 0
    assert sorted(m for m in NOT_NEEDED if m in modules) == []


def test_the_probe_sees_an_sdk_when_one_is_used() -> None:
    """The same probe does see boto3 once a Route53 client is made, so the tests above
    cannot pass by looking in the wrong place."""
    code, modules = imported("providers")
    assert code == 0
    assert "boto3" not in modules
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; import dnssync_route53.api; print(json.dumps(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "boto3" in json.loads(done.stdout)
