"""A pytest plugin: a fixture's set-up error is shown in full once, not once per test.

When a session- or module-scoped fixture fails (a kube-apiserver, BIND or moto server
that does not start), pytest raises the same cached exception again in the set-up of
every test that asks for that fixture, so a start failure with the last 40 lines of the
server's log would be printed a hundred times. This plugin keeps the full report for the
first test and shortens the others to the error's first line and the test to look at.

Loaded by ``tests/conftest.py`` (``pytest_plugins``).
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

# id(exception) -> (the exception, kept alive so its id stays unique; the first test's id)
_FIRST_REPORT: dict[int, tuple[BaseException, str]] = {}


def repeated_error_summary(exc: BaseException, first: str) -> str:
    """The one-line report of an error already shown in full for test ``first``."""
    text = str(exc).strip()
    headline = text.splitlines()[0] if text else ""
    return (
        f"{type(exc).__name__}: {headline} "
        f"(the same fixture error as in {first}, shown there in full)"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when != "setup" or call.excinfo is None or not report.failed:
        return report
    exc = call.excinfo.value
    seen = _FIRST_REPORT.get(id(exc))
    if seen is not None and seen[0] is exc:
        report.longrepr = repeated_error_summary(exc, seen[1])
    else:
        _FIRST_REPORT[id(exc)] = (exc, item.nodeid)
        _shorten_summary_line(report)
    return report


def _shorten_summary_line(report: pytest.TestReport) -> None:
    """Keep the short test summary to the error's first line.

    On CI (``CI`` or ``BUILD_NUMBER`` set) pytest prints the whole crash message in the
    short summary, which would show a 40-line log tail a second time.
    """
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is None or "\n" not in crash.message:
        return
    crash.message = crash.message.splitlines()[0] + " (shown in full above)"
