"""Logging set-up: text or JSON lines on stderr."""

from __future__ import annotations

import copy
import json
import logging
import sys
import time

from dnssync.printable import printable


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
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)


def configure(level: str = "warning", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Client libraries log request details (and sometimes headers) at debug level.
    for noisy in ("urllib3", "kubernetes", "botocore", "google", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
