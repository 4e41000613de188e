"""Log lines, text or JSON, pass the redactor before they are formatted."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from dnssync import logs
from dnssync.cli.redact import Redactor

SECRET = "c2VjcmV0IHdpdGggYSAicXVvdGUi"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_messages_fields_and_exceptions_are_masked(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    redact = Redactor()
    # A quote in the secret: JSON would escape it and a later mask would not match.
    secret = SECRET + '"q'
    redact.add(secret)
    logs.configure("debug", fmt, redact)
    log = logging.getLogger("dnssync.test")
    log.debug("key %s at %s", secret, "https://u:p@h/")
    log.info("fields", extra={"fields": {"zone": "example.com.", "key": secret}})
    try:
        raise ValueError(f"bad key {secret}")
    except ValueError:
        log.exception("failed")
    log.warning("%d%%", 50)
    text = capsys.readouterr().err
    assert secret not in text and SECRET not in text
    assert "https://***@h/" in text
    lines = text.splitlines()
    if fmt == "json":
        documents = [json.loads(line) for line in lines if line.startswith("{")]
        assert documents[0]["message"] == "key *** at https://***@h/"
        assert documents[1]["key"] == "***" and documents[1]["zone"] == "example.com."
        assert "ValueError: bad key ***" in documents[2]["exception"]
        assert documents[3]["message"] == "50%"
    else:
        assert lines[0].endswith("DEBUG dnssync.test: key *** at https://***@h/")
        assert "ValueError: bad key ***" in text
        assert lines[-1].endswith("WARNING dnssync.test: 50%")


def test_a_bad_format_string_still_logs(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("info", "text")
    logging.getLogger("dnssync.test").info("%d apples", "not a number")
    assert "'%d apples' ('not a number',)" in capsys.readouterr().err
