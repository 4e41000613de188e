"""Logging set-up: text or JSON lines on stderr, with secrets masked before formatting."""

from __future__ import annotations

import copy
import json
import logging
import sys
import time
from collections.abc import Callable

from dnssync.printable import printable

Redact = Callable[[str], str]


def _unchanged(text: str) -> str:
    return text


class RedactFilter(logging.Filter):
    """Masks secrets in the message, its fields and its exception text.

    It runs before any formatter, so a JSON formatter cannot escape a secret into a form
    the mask no longer matches."""

    def __init__(self, redact: Redact) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {
                k: self.redact(v) if isinstance(v, str) else v for k, v in fields.items()
            }
        return True


class TextFormatter(logging.Formatter):
    """One line per record: the message (which may quote object names, annotation values
    or foreign DNS data) with non-printable characters escaped, so it can neither forge a
    line nor send escape sequences to a terminal. Tracebacks keep their lines."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        safe = copy.copy(record)
        safe.message = printable(record.message)
        return super().formatMessage(safe)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            document.update(extra)
        if record.exc_info or record.exc_text:
            document["exception"] = record.exc_text or self.formatException(
                record.exc_info  # type: ignore[arg-type]
            )
        return json.dumps(document, default=str)


def configure(level: str = "warning", fmt: str = "text", redact: Redact = _unchanged) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    handler.addFilter(RedactFilter(redact))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Client libraries log request details (and sometimes headers) at debug level.
    for noisy in ("urllib3", "kubernetes", "botocore", "google", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
