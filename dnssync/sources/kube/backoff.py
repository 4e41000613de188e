"""Exponential backoff with full jitter, bounded."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0


class Backoff:
    """``next()`` gives a delay in [ceiling/2, ceiling]; the ceiling doubles up to the max.

    Half the ceiling is kept as a floor so a hot failure loop cannot spin; the random half
    spreads many clients (or many watches) apart after a shared outage.
    """

    def __init__(self, policy: BackoffPolicy | None = None, rng: random.Random | None = None):
        self.policy = policy or BackoffPolicy()
        self._rng = rng or random.Random()
        self._ceiling = self.policy.initial
        self.failures = 0

    def next(self) -> float:
        ceiling = min(self._ceiling, self.policy.maximum)
        self._ceiling = min(self._ceiling * self.policy.factor, self.policy.maximum)
        self.failures += 1
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self._ceiling = self.policy.initial
        self.failures = 0
