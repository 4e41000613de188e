"""Settings from flags, DNSSYNC_* environment and a YAML file: flags > env > file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
        ({}, "policy: yolo\n", "line 1: setting 'policy': 'yolo' is not one of"),
        (
            {},
            "max-change-percent: [1]\n",
            "line 1: setting 'max-change-percent': a list is not an integer",
        ),
        ({}, "force: perhaps\n", "setting 'force': 'perhaps' is not a boolean"),
        (
            {},
            "polcy: sync\nzonez: [a]\n",
            "unknown setting(s) polcy (did you mean policy?), zonez (did you mean zone?)",
        ),
        ({}, "- just\n- a list\n", "expected a mapping of setting names to values"),
        ({}, "policy: [unclosed\n", "not valid YAML"),
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
    assert "error: config file /nonexistent/[/x]/dnssync.yaml: No such file" in err


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


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("max-change-percent: .inf\n", "setting 'max-change-percent': the number inf is not an"),
        ("max-change-percent: .nan\n", "setting 'max-change-percent': the number nan is not an"),
        ("max-change-percent: 12.5\n", "a number with a fraction is not an integer"),
        ("max-change-percent: 1" + "0" * 30 + "\n", "a number with more than 20 digits is out"),
        ("max-change-percent: 4294967296\n", "4294967296 is out of range"),
        ("max-change-percent: true\n", "true is a boolean, not an integer"),
        ("owner-id: [a, b]\n", "setting 'owner-id': expected text, got a list"),
        ("owner-id: {a: b}\n", "setting 'owner-id': expected text, got a mapping"),
        ("owner-id: yes\n", "setting 'owner-id': true is a boolean, not text"),
        ("owner-id: 1.5\n", "expected text, got a number with a fraction"),
        ("owner-id: -.inf\n", "expected text, got the number -inf"),
        ("owner-id: 2024-01-01\n", "expected text, got a date"),
        ('owner-id: "a\\nb"\n', "setting 'owner-id': 'a\\nb' contains a control character"),
        ('owner-id: "a\\x1bb"\n', "contains a control character"),
        ("owner-id: blü\n", "--owner-id (--txt-owner-id) 'bl\\xfc': it contains"),
        ("owner-id: " + "o" * 129 + "\n", "--owner-id is 129 characters long; at most 128"),
        ("default-ttl: " + "9" * 30 + "\n", "setting 'default-ttl': a number with more than 20"),
        ("default-ttl: " + "9" * 5000 + "\n", "setting 'default-ttl': invalid value"),
        ("domain: [[example.com]]\n", "setting 'domain' item 1: expected text, got a list"),
        ("domain: [{a: b}]\n", "setting 'domain' item 1: expected text, got a mapping"),
        ("domain: [example.com, true]\n", "setting 'domain' item 2: true is a boolean, not"),
        ("domain: {example.com: 1}\n", "setting 'domain': expected text, got a mapping"),
        ("force: 2\n", "setting 'force': 2 is not a boolean"),
        ("force: [true]\n", "setting 'force': a list is not a boolean"),
        ("controller: " + "x" * 5000 + "\n", "the value is longer than 4096 characters"),
    ],
)
def test_config_values_of_the_wrong_kind(
    text: str, fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_file(tmp_path, text)
    code, out, err = run(capsys, "plan", "--config", path, *BASE)
    assert (code, out) == (1, ""), err
    assert f"error: config file {path} line 1: " in err or "--owner-id" in fragment
    assert fragment in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("DNSSYNC_MAX_CHANGE_PERCENT", "9" * 30, "DNSSYNC_MAX_CHANGE_PERCENT: '999"),
        (
            "DNSSYNC_MAX_CHANGE_PERCENT",
            "1_0",
            "DNSSYNC_MAX_CHANGE_PERCENT: '1_0' is not an integer",
        ),
        ("DNSSYNC_MAX_CHANGE_PERCENT", "\uff13\uff10", "is not an integer"),
        ("DNSSYNC_MAX_CHANGE_PERCENT", "inf", "'inf' is not an integer"),
        ("DNSSYNC_MAX_CHANGE_PERCENT", "1e1", "'1e1' is not an integer"),
        ("DNSSYNC_OWNER_ID", "a\nb", "DNSSYNC_OWNER_ID: 'a\\nb' contains a control character"),
        ("DNSSYNC_OWNER_ID", "caf\u00e9", "--owner-id (--txt-owner-id) 'caf\\xe9': it contains"),
        ("DNSSYNC_OWNER_ID", "\udcff", "DNSSYNC_OWNER_ID: the value is not valid UTF-8"),
        ("DNSSYNC_FORCE", "maybe", "DNSSYNC_FORCE: 'maybe' is not a boolean"),
        (
            "DNSSYNC_DOMAIN",
            "example.com,\x00",
            "DNSSYNC_DOMAIN: 'example.com,\\x00' contains a control",
        ),
    ],
)
def test_environment_values_of_the_wrong_kind(
    name: str,
    value: str,
    fragment: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    # os.environ cannot hold NUL; the mapping resolve() reads can (and the test of the
    # check is the same).
    environ = dict(os.environ, **{name: value})
    monkeypatch.setattr("dnssync.cli.main.environment", lambda: environ)
    code, out, err = run(capsys, "plan", *BASE)
    assert (code, out) == (1, ""), err
    assert fragment in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (
            ("--max-change-percent", "\uff13\uff10"),
            "--max-change-percent: '\uff13\uff10' is not an integer",
        ),
        (("--max-change-percent", "3_0"), "--max-change-percent: '3_0' is not an integer"),
        (("--max-change-percent", "9" * 5000), "--max-change-percent: '999"),
        (("--owner-id", "a\tb"), "--owner-id: 'a\\tb' contains a control character"),
        (("--owner-id", "\u00fcber"), "--owner-id (--txt-owner-id) '\\xfcber': it contains"),
    ],
)
def test_flag_values_of_the_wrong_kind(
    argv: tuple[str, ...], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "plan", *BASE, *argv)
    assert (code, out) == (1, ""), err
    assert fragment in err
    assert "Traceback" not in err


def test_integers_and_null_in_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A YAML integer is fine for a text setting (a TTL), null means "not set".
    path = config_file(tmp_path, "default-ttl: 60\nowner-id: ~\nmax-change-percent: 50\n")
    code, out, err = run(capsys, "plan", "--config", path, "--output", "json", *BASE)
    assert code == 2, err
    document = json.loads(out)
    assert {c["ttl"] for c in document["changes"] if c["type"] != "TXT"} == {60}
    assert "owner=default," in document["changes"][1]["values"][0]


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.dates(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@given(value=VALUES, index=st.integers(min_value=0))
def test_any_value_for_any_setting_converts_or_is_a_config_error(value: Any, index: int) -> None:
    """What YAML can produce, for every kind of setting: its kind, or a ConfigError."""
    from dnssync.cli.config import convert
    from dnssync.cli.main import all_provider_options, provider_classes
    from dnssync.cli.options import CORE_OPTIONS, SOURCE_OPTIONS
    from dnssync.errors import ConfigError
    from dnssync.providers.base import OptionKind

    options = [*SOURCE_OPTIONS, *CORE_OPTIONS, *all_provider_options(provider_classes())]
    option = options[index % len(options)]
    try:
        converted = convert(option, value, "config file x line 1: setting 'y'")
    except ConfigError as exc:
        assert str(exc).startswith("config file x line 1: setting 'y'")
        if option.secret:
            assert repr(value) not in str(exc) or value in (None, True, False)
        return
    expected = {
        OptionKind.BOOL: bool,
        OptionKind.INT: int,
        OptionKind.LIST: tuple,
        OptionKind.STRING: str,
    }[option.kind]
    assert isinstance(converted, expected)
