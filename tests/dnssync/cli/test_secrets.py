"""A recognisable secret, put everywhere a user could put it by mistake, never comes out.

Issue 13 item 10: a mistyped or abbreviated flag (argparse printed "unrecognized
arguments: --rfc2136-tsig-secrt S3CR3T"), a secret used as a config key, URL userinfo.
Every case runs ``dnssync`` with ``--log-level debug`` and checks stdout and stderr.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dnssync.cli.main import main
from testinfra import bind
from testinfra.bind import BindServer
from testinfra.gates import require_dns

REPO = Path(__file__).resolve().parents[3]
KERBEROS = str(REPO / "examples" / "kerberos")
# Valid base64 (so it passes as a TSIG secret where one is expected) and unmistakable.
SECRET = base64.b64encode(b"dnssync-test-secret-never-print!").decode()
PASSWORD = "Pa55w0rd-in-a-URL"
RFC2136 = (
    "--provider",
    "rfc2136",
    "--rfc2136-host",
    "127.0.0.1",
    "--rfc2136-port",
    "9",
    "--rfc2136-zone",
    "example.com",
)
# Something else is always wrong, so that each run ends in an error message.
MISSING_KEYNAME = (*RFC2136, "--manifests", KERBEROS)


def _config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "dnssync.yaml"
    path.write_text(text.replace("SECRET", SECRET).replace("PASSWORD", PASSWORD))
    return str(path)


# (argv, env, config file text): SECRET and PASSWORD are replaced by the values.
CASES: dict[str, tuple[tuple[str, ...], dict[str, str], str | None]] = {
    "flag": (("plan", *MISSING_KEYNAME, "--rfc2136-tsig-secret", "SECRET"), {}, None),
    "flag=": (("plan", *MISSING_KEYNAME, "--rfc2136-tsig-secret=SECRET"), {}, None),
    "flag, not base64": (
        (
            "plan",
            *MISSING_KEYNAME,
            "--rfc2136-tsig-keyname",
            "k",
            "--rfc2136-tsig-secret",
            "SECRET!!",
        ),
        {},
        None,
    ),
    "flag twice": (
        ("plan", *MISSING_KEYNAME, "--rfc2136-tsig-secret", "x", "--rfc2136-tsig-secret", "SECRET"),
        {},
        None,
    ),
    "flag before the command": (("--rfc2136-tsig-secret", "SECRET", "plan"), {}, None),
    "flag of another command": (("providers", "--rfc2136-tsig-secret", "SECRET"), {}, None),
    "mistyped flag": (("plan", *MISSING_KEYNAME, "--rfc2136-tsig-secrt", "SECRET"), {}, None),
    "mistyped flag=": (("plan", *MISSING_KEYNAME, "--rfc2136-tsig-secrt=SECRET"), {}, None),
    "abbreviated flag": (("plan", *MISSING_KEYNAME, "--rfc2136-tsig-sec", "SECRET"), {}, None),
    "abbreviated flag=": (("plan", *MISSING_KEYNAME, "--rfc2136-tsig-sec=SECRET"), {}, None),
    "abbreviated, unique prefix": (
        ("plan", *MISSING_KEYNAME, "--rfc2136-tsig-secret-f", "SECRET"),
        {},
        None,
    ),
    "secret as a flag": (("plan", "--SECRET"), {}, None),
    "secret as a short flag": (("plan", "-SECRET"), {}, None),
    "positional after the command": (("plan", "SECRET", *MISSING_KEYNAME), {}, None),
    "positional before the command": (("SECRET", "plan"), {}, None),
    "as the command": (("SECRET",), {}, None),
    "after --": (("plan", "--", "SECRET"), {}, None),
    "env": (("plan", *MISSING_KEYNAME), {"DNSSYNC_RFC2136_TSIG_SECRET": "SECRET"}, None),
    "env, not base64": (
        ("plan", *MISSING_KEYNAME, "--rfc2136-tsig-keyname", "k"),
        {"DNSSYNC_RFC2136_TSIG_SECRET": "SECRET%%"},
        None,
    ),
    "mistyped env": (("plan", *MISSING_KEYNAME), {"DNSSYNC_RFC2136_TSIG_SECRT": "SECRET"}, None),
    "foreign secret env": (("plan", *MISSING_KEYNAME), {"AWS_SECRET_ACCESS_KEY": "SECRET"}, None),
    "file": (("plan", *MISSING_KEYNAME), {}, "rfc2136-tsig-secret: SECRET\n"),
    "file, wrong kind": (("plan", *MISSING_KEYNAME), {}, "rfc2136-tsig-secret: [SECRET]\n"),
    "file, control character": (
        ("plan", *MISSING_KEYNAME),
        {},
        'rfc2136-tsig-secret: "SECRET\\n"\n',
    ),
    "file, as a key": (("plan", *MISSING_KEYNAME), {}, "SECRET: x\n"),
    "file, as a lower-case key": (("plan", *MISSING_KEYNAME), {}, "SECRET: x\n".lower()),
    "file, mistyped key": (("plan", *MISSING_KEYNAME), {}, "rfc2136-tsig-secrt: SECRET\n"),
    "file, duplicate key": (("plan", *MISSING_KEYNAME), {}, "SECRET: 1\nSECRET: 2\n"),
    "file, syntax error on its line": (
        ("plan", *MISSING_KEYNAME),
        {},
        "rfc2136-tsig-secret: SECRET: x\n",
    ),
    "file, as a tag": (("plan", *MISSING_KEYNAME), {}, "owner-id: !SECRET x\n"),
    "file, as an anchor": (("plan", *MISSING_KEYNAME), {}, "owner-id: *SECRET\n"),
    "file, two documents": (
        ("plan", *MISSING_KEYNAME),
        {},
        "a: 1\n---\nrfc2136-tsig-secret: SECRET\n",
    ),
    "url userinfo, endpoint": (
        (
            "plan",
            "--manifests",
            KERBEROS,
            "--provider",
            "google",
            "--google-project",
            "p",
            "--google-api-endpoint",
            "https://user:PASSWORD@127.0.0.1:9/",
        ),
        {},
        None,
    ),
    "url userinfo, kubeconfig": (
        ("plan", "--kubeconfig", "https://user:PASSWORD@127.0.0.1:9/", "--provider", "inmemory"),
        {},
        None,
    ),
    "url userinfo, manifests": (
        ("plan", "--manifests", "https://PASSWORD@example.com/m", "--provider", "inmemory"),
        {},
        None,
    ),
    "url userinfo, config path": (("plan", "--config", "https://user:PASSWORD@h/x.yaml"), {}, None),
    "url userinfo, rfc2136 host": (
        ("plan", *MISSING_KEYNAME, "--rfc2136-host", "dns://u:PASSWORD@127.0.0.1"),
        {},
        None,
    ),
}


def _argv(argv: tuple[str, ...]) -> list[str]:
    return [a.replace("SECRET", SECRET).replace("PASSWORD", PASSWORD) for a in argv]


def _leaks(text: str) -> list[str]:
    found = [s for s in (SECRET, PASSWORD, SECRET.lower()) if s in text]
    # A part of the secret is a leak too (a message cut at 80 characters, say).
    found += [SECRET[:12]] if SECRET[:12] in text else []
    return found


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in list(os.environ):
        if "SECRET" in name or "TOKEN" in name:
            monkeypatch.delenv(name)
    yield monkeypatch


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_secret_never_appears(
    case: str,
    log_format: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    clean_env: pytest.MonkeyPatch,
) -> None:
    argv, env, config = CASES[case]
    for name, value in env.items():
        clean_env.setenv(name, value.replace("SECRET", SECRET))
    full = _argv(argv)
    if config is not None:
        full[1:1] = ["--config", _config(tmp_path, config)]
    full += ["--log-level", "debug", "--log-format", log_format]
    code = main(full)
    out, err = capsys.readouterr()
    assert code == 1, err
    assert "Traceback" not in err
    assert not _leaks(out + err), f"{case}: the secret is printed:\n{out}{err}"
    assert err.strip(), "an error message is expected"


def test_usage_errors_still_say_what_is_wrong(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--rfc2136-tsig-secrt", SECRET, "--manifests", KERBEROS]) == 1
    err = capsys.readouterr().err
    assert (
        "unrecognized option(s) --rfc2136-tsig-secrt (did you mean --rfc2136-tsig-secret?)" in err
    )
    assert "1 unexpected argument(s) (values are not shown)" in err
    assert main(["plan", "--rfc2136-tsig-sec", SECRET]) == 1
    assert "--rfc2136-tsig-sec (did you mean --rfc2136-tsig-secret?)" in capsys.readouterr().err
    assert main([SECRET, "plan"]) == 1
    err = capsys.readouterr().err
    assert "unknown command (not shown); choose from plan, apply, explain, providers, run" in err


def test_abbreviations_are_refused_even_when_unique(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--manif", KERBEROS, "--provider", "inmemory", "--zone", "x"]) == 1
    assert "unrecognized option(s) --manif (did you mean --manifests?)" in capsys.readouterr().err
    assert main(["--conf", "x.yaml", "plan"]) == 1
    assert "unrecognized option(s) --conf" in capsys.readouterr().err


def test_a_secret_flag_value_is_masked_wherever_it_turns_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The redactor knows the value once it is given as a secret, so even a message that
    quotes it for another reason (here: the same text as an owner id) is masked."""
    code = main(
        ["plan", *MISSING_KEYNAME, "--rfc2136-tsig-secret", SECRET, "--owner-id", SECRET + ","]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert "--owner-id (--txt-owner-id) '***,': it contains ','" in err
    assert not _leaks(out + err)


SUBPROCESS_CASES = [
    "mistyped flag",
    "abbreviated flag=",
    "positional before the command",
    "file, as a key",
    "file, syntax error on its line",
    "url userinfo, kubeconfig",
    "env",
]


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_the_secret_never_appears_from_the_real_command(case: str, tmp_path: Path) -> None:
    argv, env, config = CASES[case]
    full = _argv(argv)
    if config is not None:
        full[1:1] = ["--config", _config(tmp_path, config)]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DNSSYNC_")}
    environ.update({k: v.replace("SECRET", SECRET) for k, v in env.items()})
    result = subprocess.run(
        [sys.executable, "-m", "dnssync", *full, "--log-level", "debug"],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not _leaks(result.stdout + result.stderr), result.stderr


@pytest.fixture
def bind_server() -> Iterator[BindServer]:
    require_dns(bind.available(), "BIND9 (/usr/sbin/named): apt-get install -y bind9")
    server = BindServer(["example.com"])
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.bind
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_real_apply_at_debug_level_never_logs_the_tsig_secret(
    bind_server: BindServer, log_format: str, tmp_path: Path
) -> None:
    """Through a real update, a failing one and its error message: never the secret."""
    secret = bind_server.tsig.secret
    base = [
        sys.executable,
        "-m",
        "dnssync",
        "apply",
        "--yes",
        "--manifests",
        KERBEROS,
        "--owner-id",
        "secrets-test",
        "--log-level",
        "debug",
        "--log-format",
        log_format,
        *bind_server.cli_flags("example.com"),
    ]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DNSSYNC_")}
    for extra, expected, said in (
        # Applies, logging each change (debug level shows info lines too).
        (["--rfc2136-tsig-secret", secret], 0, "create A kdc-tcp.example.com."),
        (["--rfc2136-tsig-secret=" + secret], 0, ""),  # nothing to do
        # The server refuses a wrong key: an error about the key, never the key.
        (["--rfc2136-tsig-secret", base64.b64encode(b"x" * 32).decode()], 1, "error"),
    ):
        result = subprocess.run(
            [*base, *extra],
            capture_output=True,
            text=True,
            env=environ,
            timeout=120,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == expected, output
        assert said in result.stderr
        assert secret not in output
        assert "Traceback" not in output
    assert bind_server.query("kdc-tcp.example.com.", "A") == ["203.0.113.10"]


def test_environment_secrets_are_masked_but_paths_are_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_env: pytest.MonkeyPatch
) -> None:
    """A token file's path must stay readable in an error; a token must not."""
    path = str(tmp_path / "missing-token-file")
    clean_env.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", path)
    clean_env.setenv("SOME_API_TOKEN", "tok-" + SECRET)
    assert main(["plan", "--config", path]) == 1
    assert f"config file {path}: No such file" in capsys.readouterr().err
    assert main(["plan", "--config", "tok-" + SECRET]) == 1
    err = capsys.readouterr().err
    assert "config file ***: No such file" in err and SECRET not in err
