"""No traceback ever reaches a user: the real command, in a subprocess.

Whatever escapes the code below ``main`` (an OSError, RecursionError, MemoryError or
UnicodeError from some input, or a plain bug) is one ``error:`` line and exit 1; ^C is
exit 130; a reader that closes stdout early (``dnssync plan | head``) ends the run
quietly with exit 1 and nothing applied.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dnssync.cli.main import main

REPO = Path(__file__).resolve().parents[3]
KERBEROS = str(REPO / "examples" / "kerberos")
INMEMORY = ["--provider", "inmemory", "--zone", "example.com", "--owner-id", "t"]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DNSSYNC_")}


def dnssync_with(raising: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run the real entry point with ``load_snapshot`` replaced by one that raises."""
    script = textwrap.dedent(f"""
        import sys
        import dnssync.cli.main as cli

        def raising(*args, **kwargs):
            raise {raising}

        cli.load_snapshot = raising
        raise SystemExit(cli.main(sys.argv[1:]))
    """)
    return subprocess.run(
        [sys.executable, "-c", script, *argv],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("raising", "message"),
    [
        (
            "PermissionError(13, 'Permission denied', '/srv/manifests/a.yaml')",
            "error: Permission denied: /srv/manifests/a.yaml",
        ),
        ("OSError(28, 'No space left on device')", "error: No space left on device"),
        ("RecursionError('maximum recursion depth')", "error: an input is nested too deeply"),
        ("MemoryError()", "error: out of memory"),
        (
            "UnicodeDecodeError('utf-8', b'\\xff', 0, 1, 'invalid start byte')",
            "error: text that cannot be encoded or decoded: invalid start byte",
        ),
        ("KeyError('status')", "error: internal error (KeyError: 'status'); this is a bug"),
        ("TypeError('unhashable')", "error: internal error (TypeError: unhashable)"),
    ],
)
def test_exceptions_are_one_line(raising: str, message: str) -> None:
    result = dnssync_with(raising, "plan", "--manifests", KERBEROS, *INMEMORY)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_apply_too() -> None:
    result = dnssync_with("MemoryError()", "apply", "--yes", "--manifests", KERBEROS, *INMEMORY)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: out of memory (is an input far larger than expected?)"


def test_keyboard_interrupt_exits_130() -> None:
    result = dnssync_with("KeyboardInterrupt", "plan", "--manifests", KERBEROS, *INMEMORY)
    assert result.returncode == 130
    assert result.stderr.strip() == "error: interrupted"


def test_a_bug_shows_where_only_at_debug_level() -> None:
    argv = ("plan", "--manifests", KERBEROS, *INMEMORY, "--log-level", "debug")
    result = dnssync_with("KeyError('status')", *argv)
    assert result.returncode == 1
    assert "internal error (KeyError" in result.stderr
    # --log-level debug is asked for: the log line carries where it happened.
    assert "DEBUG dnssync: internal error" in result.stderr


@pytest.fixture
def silent_server() -> Iterator[tuple[int, threading.Event]]:
    """A TCP server on loopback that accepts and never answers (a hung DNS primary)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.2)
    accepted = threading.Event()
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
                accepted.set()
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_while_waiting_for_a_server_exits_130(
    silent_server: tuple[int, threading.Event],
) -> None:
    port, accepted = silent_server
    argv = [
        sys.executable,
        "-m",
        "dnssync",
        "plan",
        "--manifests",
        KERBEROS,
        "--owner-id",
        "t",
        "--provider",
        "rfc2136",
        "--rfc2136-host",
        "127.0.0.1",
        "--rfc2136-port",
        str(port),
        "--rfc2136-zone",
        "example.com",
        "--rfc2136-insecure",
    ]
    with subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        # A test run started in the background by a shell (`cmd &`) inherits SIGINT
        # ignored, and so would dnssync (Python then installs no KeyboardInterrupt): give
        # it the default disposition, as a terminal would.
        preexec_fn=_default_sigint,
    ) as proc:
        try:
            assert accepted.wait(timeout=60), "dnssync never connected"
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().endswith("error: interrupted")
    assert out == ""


def test_stdout_closed_by_the_reader_ends_quietly(tmp_path: Path) -> None:
    """Big enough to overflow any pipe buffer: the reader stops after 10 bytes."""
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "many.yaml").write_text(
        "".join(
            "---\napiVersion: v1\nkind: Service\n"
            f"metadata: {{name: s{i}, namespace: web, "
            f"annotations: {{dnssync.io/hostname: s{i}.example.com}}}}\n"
            "spec: {type: LoadBalancer, ports: [{name: https, port: 443}]}\n"
            "status: {loadBalancer: {ingress: [{ip: 192.0.2.1}]}}\n"
            for i in range(3000)
        )
    )
    argv = [sys.executable, "-m", "dnssync", "plan", "--manifests", str(manifests), *INMEMORY]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.read(10) == b"zone examp"
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=120)
    assert proc.returncode == 1
    assert err == ""


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("output", ["json", "markdown"])
def test_stdout_closed_during_a_json_plan_applies_nothing(
    output: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    zones = tmp_path / "zones"
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    code = main(
        [
            "apply",
            "--yes",
            "--output",
            output,
            "--manifests",
            KERBEROS,
            "--provider",
            "zonefile",
            "--zonefile-dir",
            str(zones),
            "--zone",
            "example.com",
            "--owner-id",
            "t",
        ]
    )
    assert code == 1
    assert capsys.readouterr().err == ""
    assert not (zones / "example.com.zone").exists()


def test_help_into_a_closed_pipe(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    # argparse ignores a failed write of its help; --help still succeeds, quietly.
    assert main(["plan", "--help"]) == 0
    assert capsys.readouterr().err == ""
