"""Jittered, bounded exponential backoff for throttled Route53 requests.

botocore's standard retry mode already retries a throttled request a few times within one
API call; this is the second, slower layer for an account that stays over Route53's
5 requests per second, so a busy account slows dnssync down instead of failing it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from dnssync.backoff import Backoff as Schedule


@dataclass
class Backoff:
    """The shared backoff's schedule (dnssync.backoff) with the sleep it waits with."""

    attempts: int = 5  # API calls in all, each with botocore's own retries inside
    base: float = 1.0
    cap: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.base, self.cap, self.attempts, self.rng.random)

    def delays(self) -> Iterator[float]:
        """The waits between attempts: never shorter than half the step."""
        return self.schedule.delays()

    @property
    def longest_total(self) -> float:
        return self.schedule.longest_total


def no_wait() -> Backoff:
    """For tests: same attempts, no sleeping."""
    return Backoff(sleep=lambda _s: None)
