from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``main`` configures the root logger on the captured stderr; undo it after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _no_dnssync_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests set the DNSSYNC_* variables they need; none leak in from the caller."""
    import os

    for name in list(os.environ):
        if name.startswith("DNSSYNC_"):
            monkeypatch.delenv(name)
