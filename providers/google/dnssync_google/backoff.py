"""Bounded, jittered exponential backoff (for retries and for polling a change)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays ``base * 2**n`` capped at ``cap``, with "full jitter" in [delay/2, delay].

    ``attempts`` bounds the number of tries (the first try plus ``attempts - 1`` retries).
    """

    attempts: int = 5
    base: float = 0.5
    cap: float = 8.0
    rng: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, retry: int) -> float:
        """The pause before retry number ``retry`` (0 for the first retry)."""
        ceiling = min(self.cap, self.base * 2.0**retry)
        return ceiling / 2 + float(self.rng()) * ceiling / 2

    def delays(self) -> Iterator[float]:
        for retry in range(max(self.attempts - 1, 0)):
            yield self.delay(retry)


Sleep = Callable[[float], None]
Clock = Callable[[], float]

DEFAULT_SLEEP: Sleep = time.sleep
DEFAULT_CLOCK: Clock = time.monotonic
