"""HealthServer (/metrics, /healthz, /readyz) and the diagnostics reporter."""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence

import pytest

from dnssync.daemon.http import HealthServer
from dnssync.daemon.metrics import Metrics
from dnssync.daemon.report import DiagnosticsReporter
from dnssync.model.diagnostics import Diagnostic


def get(port: int, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_endpoints() -> None:
    metrics = Metrics()
    metrics.reconciles.labels("full", "success").inc()
    metrics.provider_requests.labels("rfc2136", "update", "ok").inc(3)
    state = {"ready": (False, "sources not synced: listing")}
    server = HealthServer("127.0.0.1:0", metrics.registry, lambda: state["ready"])
    server.start()
    try:
        assert server.port > 0
        assert get(server.port, "/healthz")[0] == 200
        status, _, body = get(server.port, "/readyz")
        assert (status, body) == (503, "sources not synced: listing\n")
        state["ready"] = (True, "ok (targeted reconcile: success)")
        assert get(server.port, "/readyz?verbose")[:1] == (200,)
        status, ctype, body = get(server.port, "/metrics")
        assert status == 200 and ctype.startswith("text/plain")
        assert 'dnssync_reconciles_total{kind="full",result="success"} 1.0' in body
        assert (
            'dnssync_provider_requests_total{operation="update",provider="rfc2136",result="ok"} 3.0'
            in body
        )
        for name in (
            "dnssync_reconcile_duration_seconds",
            "dnssync_changes_applied",
            "dnssync_records_owned",
            "dnssync_source_objects",
            "dnssync_last_success_timestamp_seconds",
            "dnssync_leader",
            "dnssync_source_synced",
            "dnssync_unsafe_plans",
        ):
            assert f"# TYPE {name}" in body, name
        assert get(server.port, "/nope")[0] == 404
    finally:
        server.stop()


def test_readiness_answers_while_another_request_hangs() -> None:
    release = threading.Event()
    calls = []

    def ready() -> tuple[bool, str]:
        calls.append(1)
        if len(calls) == 1:
            release.wait(5)
        return True, "ok"

    server = HealthServer("127.0.0.1:0", Metrics().registry, ready)
    server.start()
    try:
        slow = threading.Thread(target=get, args=(server.port, "/readyz"))
        slow.start()
        assert get(server.port, "/healthz")[0] == 200  # threaded: not blocked
        release.set()
        slow.join(5)
    finally:
        server.stop()


def diag(subject: str, message: str = "bad ttl") -> Diagnostic:
    return Diagnostic(subject, "metadata.annotations[dnssync.io/ttl]", message)


def test_reporter_logs_a_problem_when_it_appears(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="dnssync.daemon.report")
    report = DiagnosticsReporter()
    a, b = diag("service/x/a"), diag("service/x/b")
    report((a,))
    report((a,))
    report((a, b))
    report((b,))
    report((a, b))  # a is back
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [str(a), str(b), str(a)]
    report.stop()


def test_reporter_records_events_off_the_calling_thread() -> None:
    gate = threading.Event()
    recorded: list[tuple[Diagnostic, ...]] = []

    def record(diagnostics: Sequence[Diagnostic]) -> None:
        gate.wait(5)
        recorded.append(tuple(diagnostics))

    report = DiagnosticsReporter(record)
    try:
        report((diag("service/x/a"),))  # returns at once although the recorder blocks
        report((diag("service/x/a"), diag("service/x/b")))
        report((diag("service/x/c"),))  # newest set wins while the recorder is busy
        gate.set()
        assert report.wait_idle(5)
        assert recorded[-1] == (diag("service/x/c"),)
        assert len(recorded) <= 2
    finally:
        report.stop()


def test_reporter_survives_a_failing_recorder(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def record(_: Sequence[Diagnostic]) -> None:
        calls.append(1)
        raise RuntimeError("apiserver exploded")

    report = DiagnosticsReporter(record)
    try:
        report((diag("service/x/a"),))
        assert report.wait_idle(5)
        report((diag("service/x/b"),))
        assert report.wait_idle(5)
        assert len(calls) == 2
        assert "recording Events failed" in caplog.text
    finally:
        report.stop()
