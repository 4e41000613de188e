"""A server that does not start is reported with the last 40 lines of its own log, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from testinfra import bind
from testinfra.bind import BindServer, DnsServerError
from testinfra.gates import require_dns, require_k8s
from testinfra.k8s import KubeCluster, KubeClusterError, binaries_available
from testinfra.lifecycle import LOG_TAIL_LINES, log_tail, start_failure


def test_log_tail_is_the_last_40_lines(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("".join(f"line {i}\n" for i in range(1, 101)))
    tail = log_tail(log).splitlines()
    assert LOG_TAIL_LINES == 40
    assert tail == [f"line {i}" for i in range(61, 101)]
    assert log_tail(log, 3).splitlines() == ["line 98", "line 99", "line 100"]


def test_log_tail_of_a_missing_log_says_so(tmp_path: Path) -> None:
    assert log_tail(tmp_path / "gone.log").startswith("<cannot read gone.log: ")


def test_start_failure_names_the_problem_and_the_log(tmp_path: Path) -> None:
    log = tmp_path / "named.log"
    log.write_text("a\nb\n")
    assert start_failure("bind exited with 1 while starting", log) == (
        "bind exited with 1 while starting; the last 40 lines of named.log:\na\nb"
    )


def test_bind_that_cannot_start_reports_its_own_log_tail() -> None:
    require_dns(bind.available(), "BIND9 (/usr/sbin/named) is not installed")
    server = BindServer(["example.test"], options="no-such-option yes;", startup_timeout=20)
    with pytest.raises(DnsServerError) as caught:
        server.start()
    message = str(caught.value)
    headline, _, tail = message.partition("\n")
    assert headline.startswith("bind exited with 1 while starting; the last 40 lines of named.log")
    assert "no-such-option" in tail  # named's own complaint
    assert 0 < len(tail.splitlines()) <= LOG_TAIL_LINES
    assert server.workdir is None  # stopped and cleaned up


@pytest.mark.k8s
@pytest.mark.parametrize(
    ("args", "log_name"),
    [
        ({"extra_apiserver_args": ["--no-such-flag"]}, "kube-apiserver.log"),
        ({"extra_etcd_args": ["--no-such-flag"]}, "etcd.log"),
    ],
    ids=["apiserver", "etcd"],
)
def test_cluster_that_cannot_start_reports_one_log_tail(
    args: dict[str, list[str]], log_name: str
) -> None:
    require_k8s(binaries_available())
    cluster = KubeCluster(crds=(), startup_timeout=60, **args)  # type: ignore[arg-type]
    with pytest.raises(KubeClusterError) as caught:
        cluster.start()
    message = str(caught.value)
    headline, _, tail = message.partition("\n")
    assert headline.endswith(f"; the last 40 lines of {log_name}:")
    assert "no-such-flag" in tail
    assert 0 < len(tail.splitlines()) <= LOG_TAIL_LINES
    other = {"kube-apiserver.log", "etcd.log"} - {log_name}
    assert other.pop() not in message


@pytest.mark.parametrize("on_ci", [False, True], ids=["terminal", "ci"])
def test_a_fixture_error_is_shown_in_full_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, on_ci: bool
) -> None:
    """Three tests share a session fixture that fails: the first shows the whole error,
    the other two one line naming the first. On CI pytest does not truncate the short
    summary, so the plugin must keep that to one line too."""
    for name in ("CI", "BUILD_NUMBER"):
        monkeypatch.delenv(name, raising=False)
    if on_ci:
        monkeypatch.setenv("CI", "true")
    pytester.makepyfile(
        test_three="""
        import pytest

        @pytest.fixture(scope="session")
        def server():
            body = "\\n".join(f"log line {i}" for i in range(40))
            raise RuntimeError(f"server exited with 1 while starting; tail:\\n{body}")

        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_uses_server(server, n):
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "testinfra.pytest_plugin")
    result.assert_outcomes(errors=3)
    out = result.stdout.str()
    assert out.count("log line 39") == 1
    repeats = out.count("(the same fixture error as in test_three.py::test_uses_server[1]")
    # twice in the error section; on CI the untruncated short summary repeats both lines
    assert repeats == (4 if on_ci else 2)
