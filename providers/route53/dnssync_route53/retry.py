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


@dataclass
class Backoff:
    attempts: int = 5  # API calls in all, each with botocore's own retries inside
    base: float = 1.0
    cap: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delays(self) -> Iterator[float]:
        """The waits between attempts: 'equal jitter', so never shorter than half the step."""
        for attempt in range(self.attempts - 1):
            step = min(self.cap, self.base * 2.0**attempt)
            yield step / 2 + self.rng.uniform(0, step / 2)

    @property
    def longest_total(self) -> float:
        return sum(min(self.cap, self.base * 2.0**a) for a in range(self.attempts - 1))


def no_wait() -> Backoff:
    """For tests: same attempts, no sleeping."""
    return Backoff(sleep=lambda _s: None)
