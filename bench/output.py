"""What every benchmark shares: where its JSON goes, its private temp dir, its clock.

A run never overwrites the committed results by accident: the JSON goes to a new file in
the temp dir (its path printed at the end), to ``--json PATH``, or to
``bench/results/<name>.json`` only with ``--save``. Work files (TSIG secrets among them)
live in one private temp dir that is removed on success, failure, Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def add_output_options(parser: argparse.ArgumentParser, saved_as: str) -> None:
    """``--json PATH`` and ``--save`` (one or the other)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        help="write the JSON result here (default: a new file in the temp dir)",
    )
    group.add_argument(
        "--save",
        action="store_true",
        help=f"write it to bench/results/{saved_as} (the committed results)",
    )


def result_path(args: argparse.Namespace, name: str) -> Path:
    """Where the JSON goes: ``--json``, ``bench/results/<name>.json`` with ``--save``, or
    a new temp file."""
    if args.save:
        return RESULTS / f"{name}.json"
    if args.json is not None:
        return Path(args.json)
    fd, path = tempfile.mkstemp(prefix=f"dnssync-bench-{name}-", suffix=".json")
    os.close(fd)
    return Path(path)


def write_json(path: Path, document: Mapping[str, Any]) -> Path:
    """Write ``document`` to ``path`` and say where, on stderr (stdout holds the table)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"JSON: {path}", file=sys.stderr)
    return path


@contextlib.contextmanager
def private_workdir(name: str) -> Iterator[Path]:
    """A temp dir only we can read (for TSIG secrets and logs), removed however the
    block ends: normally, by an exception, Ctrl-C or SIGTERM (turned into
    KeyboardInterrupt while the block runs, so ``finally`` clauses run too)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"dnssync-bench-{name}-"))
    previous = signal.getsignal(signal.SIGTERM)

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Signal handlers can only be set from the main thread.
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        signal.signal(signal.SIGTERM, interrupt)
    try:
        yield workdir
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(workdir, ignore_errors=True)


class Clock:
    """Wall time since the benchmark started, for the JSON's ``wall_seconds``."""

    def __init__(self) -> None:
        self._start = time.monotonic()

    def seconds(self) -> float:
        return round(time.monotonic() - self._start, 1)
