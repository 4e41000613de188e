"""Retries and change polling use the shared backoff (dnssync.backoff); the sleep and
clock are injectable so tests never wait."""

from __future__ import annotations

import time
from collections.abc import Callable

from dnssync.backoff import Backoff

__all__ = ["DEFAULT_CLOCK", "DEFAULT_SLEEP", "Backoff", "Clock", "Sleep"]

Sleep = Callable[[float], None]
Clock = Callable[[], float]

DEFAULT_SLEEP: Sleep = time.sleep
DEFAULT_CLOCK: Clock = time.monotonic
