"""The one backoff every retry loop uses: the source's watches, each provider's requests
and change polling (docs/development.md, "Retries").

The n-th retry (counting from 0) waits between half and all of ``min(cap, base * 2**n)``
("equal jitter"): half the step is a floor, so a hot failure loop cannot spin, and the
random half spreads many clients apart after a shared outage.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

# 2**64 steps is far past any cap; the exponent is bounded so a long outage cannot overflow.
_MAX_EXPONENT = 64


@dataclass(frozen=True, slots=True)
class Backoff:
    base: float = 0.5
    cap: float = 30.0
    # Tries in all (the first try plus ``attempts - 1`` retries), for bounded loops.
    attempts: int = 5
    # A number in [0, 1): pass ``random.Random(seed).random`` for repeatable delays.
    rng: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def step(self, retry: int) -> float:
        """The longest wait before retry number ``retry``."""
        return min(self.cap, self.base * 2.0 ** min(max(retry, 0), _MAX_EXPONENT))

    def delay(self, retry: int) -> float:
        """The wait before retry number ``retry`` (0 for the first retry)."""
        step = self.step(retry)
        return step / 2 + float(self.rng()) * step / 2

    def delays(self) -> Iterator[float]:
        """The waits between the ``attempts`` tries of a bounded loop."""
        for retry in range(max(self.attempts - 1, 0)):
            yield self.delay(retry)

    @property
    def longest_total(self) -> float:
        """The most a bounded loop can wait in all."""
        return sum(self.step(retry) for retry in range(max(self.attempts - 1, 0)))


class Retries:
    """A backoff's state in an unbounded loop: ``next()`` after each failure, ``reset()``
    after a success."""

    def __init__(self, backoff: Backoff) -> None:
        self.backoff = backoff
        self.failures = 0

    def next(self) -> float:
        delay = self.backoff.delay(self.failures)
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0
