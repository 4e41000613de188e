"""Settings from flags, DNSSYNC_* environment and a YAML file: flags > env > file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dnssync.cli.main import main

REPO = Path(__file__).resolve().parents[3]
KERBEROS = str(REPO / "examples" / "kerberos")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


def owner_in_plan(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, "plan", "--output", "json", *argv)
    assert code == 2, err
    document: dict[str, Any] = json.loads(out)
    owners = {
        value.split("external-dns/owner=")[1].split(",")[0]
        for change in document["changes"]
        if change["type"] == "TXT"
        for value in change["values"]
    }
    (owner,) = owners
    return owner


def config_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "dnssync.yaml"
    path.write_text(text)
    return str(path)


BASE = ("--manifests", KERBEROS, "--provider", "inmemory", "--zone", "example.com")


@pytest.mark.parametrize(
    ("file", "env", "flag", "expected"),
    [
        (None, None, None, "default"),
        ("from-file", None, None, "from-file"),
        (None, "from-env", None, "from-env"),
        ("from-file", "from-env", None, "from-env"),
        ("from-file", None, "from-flag", "from-flag"),
        (None, "from-env", "from-flag", "from-flag"),
        ("from-file", "from-env", "from-flag", "from-flag"),
    ],
)
def test_precedence(
    file: str | None,
    env: str | None,
    flag: str | None,
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv: list[str] = []
    if file is not None:
        argv += ["--config", config_file(tmp_path, f"owner-id: {file}\n")]
    if env is not None:
        monkeypatch.setenv("DNSSYNC_OWNER_ID", env)
    argv += list(BASE)
    if flag is not None:
        argv += ["--owner-id", flag]
    assert owner_in_plan(capsys, *argv) == expected


def test_config_file_holds_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config_file(
        tmp_path,
        f"""
manifests: {KERBEROS}
provider: inmemory
zone: [example.com, example.org]
owner_id: cluster-7          # underscores work as well as dashes
txt-prefix: "dnssync-%{{record_type}}."
force: true
max-change-percent: 10
default-ttl: 1m
""",
    )
    monkeypatch.setenv("DNSSYNC_CONFIG", path)
    code, out, err = run(capsys, "plan", "--output", "json")
    assert code == 2, err
    document = json.loads(out)
    assert {c["ttl"] for c in document["changes"] if c["type"] != "TXT"} == {60}
    assert "dnssync-a.kdc-tcp.example.com." in {c["name"] for c in document["changes"]}
    assert owner_in_plan(capsys, "--config", path) == "cluster-7"


def test_env_lists_and_booleans(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DNSSYNC_MANIFESTS", KERBEROS)
    monkeypatch.setenv("DNSSYNC_PROVIDER", "inmemory")
    monkeypatch.setenv("DNSSYNC_ZONE", "example.org, example.com")
    monkeypatch.setenv("DNSSYNC_FORCE", "yes")
    monkeypatch.setenv("DNSSYNC_OUTPUT", "json")
    monkeypatch.setenv("DNSSYNC_EXCLUDE_DOMAIN", "kdc-udp.example.com,_udp.example.com")
    code, out, _ = run(capsys, "plan")
    assert code == 2
    names = {c["name"] for c in json.loads(out)["changes"]}
    assert "kdc-tcp.example.com." in names
    assert "kdc-udp.example.com." not in names
    assert "_kerberos._udp.example.com." not in names
    # A flag replaces the env list (it does not add to it).
    code, out, _ = run(capsys, "plan", "--exclude-domain", "kdc-tcp.example.com")
    names = {c["name"] for c in json.loads(out)["changes"]}
    assert "kdc-udp.example.com." in names and "kdc-tcp.example.com." not in names


@pytest.mark.parametrize(
    ("env", "file", "fragment"),
    [
        (
            {"DNSSYNC_MAX_CHANGE_PERCENT": "lots"},
            None,
            "DNSSYNC_MAX_CHANGE_PERCENT: 'lots' is not an integer",
        ),
        ({"DNSSYNC_FORCE": "maybe"}, None, "DNSSYNC_FORCE: 'maybe' is not a boolean"),
        (
            {"DNSSYNC_POLICY": "yolo"},
            None,
            "DNSSYNC_POLICY: 'yolo' is not one of sync, upsert-only, create-only",
        ),
        (
            {"DNSSYNC_OUTPUT": "xml"},
            None,
            "DNSSYNC_OUTPUT: 'xml' is not one of text, json, markdown",
        ),
        ({"DNSSYNC_DEFAULT_TTL": "forever"}, None, "--default-ttl: TTL 'forever'"),
        ({}, "policy: yolo\n", "config file setting 'policy': 'yolo' is not one of"),
        ({}, "max-change-percent: [1]\n", "config file setting 'max-change-percent'"),
        ({}, "force: perhaps\n", "config file setting 'force': 'perhaps' is not a boolean"),
        ({}, "polcy: sync\nzonez: [a]\n", "config file: unknown setting(s) polcy, zonez"),
        ({}, "- just\n- a list\n", "expected a mapping of setting names to values"),
        ({}, "policy: [unclosed\n", "--config"),
        ({"DNSSYNC_CONFIG": "/nonexistent/dnssync.yaml"}, None, "/nonexistent/dnssync.yaml"),
    ],
)
def test_bad_values_are_clear_errors(
    env: dict[str, str],
    file: str | None,
    fragment: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    argv = ["plan", *BASE]
    if file is not None:
        argv[1:1] = ["--config", config_file(tmp_path, file)]
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert out == ""
    assert fragment in err
    assert "Traceback" not in err


def test_secret_values_are_not_echoed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dnssync.cli.config import convert
    from dnssync.errors import ConfigError
    from dnssync.providers.base import OptionKind, ProviderOption

    option = ProviderOption("secret-number", "a secret", OptionKind.INT, secret=True)
    with pytest.raises(ConfigError) as caught:
        convert(option, "hunter2", "DNSSYNC_SECRET_NUMBER")
    assert "hunter2" not in str(caught.value)
    assert "(secret)" in str(caught.value)


def test_providers_lists_the_embedded_ones(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "providers")
    assert code == 0
    lines = out.splitlines()
    assert any(line.startswith("inmemory (dnssync ") for line in lines)
    assert any(line.startswith("zonefile (dnssync ") for line in lines)
    assert (
        "    --zonefile-dir: directory holding one <zone>.zone file per zone [DNSSYNC_ZONEFILE_DIR]"
        in lines
    )
    assert "    --zone: a zone to manage (repeatable) [DNSSYNC_ZONE]" in lines


def test_error_text_with_brackets_is_printed_as_is(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "plan", "--config", "/nonexistent/[/x]/dnssync.yaml")
    assert code == 1
    assert "error: --config /nonexistent/[/x]/dnssync.yaml: [Errno 2] No such file" in err


def test_one_config_file_serves_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zones = tmp_path / "zones"
    path = config_file(
        tmp_path,
        f"""
manifests: {KERBEROS}
provider: zonefile
zonefile-dir: {zones}
zone: [example.com]
output: json
yes: true          # YAML reads a bare yes as a boolean key
interval: 5m       # read by `run` only
""",
    )
    code, out, err = run(capsys, "plan", "--config", path)
    assert code == 2, err
    assert json.loads(out)["summary"]["create"] == 8
    code, _, err = run(capsys, "apply", "--config", path)
    assert code == 0, err
    assert run(capsys, "plan", "--config", path)[0] == 0
