"""The one backoff: every wait is between half and all of its capped, doubling step."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from dnssync.backoff import Backoff, Retries

bases = st.floats(min_value=0.001, max_value=10.0)
caps = st.floats(min_value=0.001, max_value=120.0)


@given(bases, caps, st.integers(min_value=0, max_value=10_000), st.floats(0.0, 0.999999))
def test_each_wait_is_between_half_and_all_of_the_capped_step(
    base: float, cap: float, retry: int, draw: float
) -> None:
    backoff = Backoff(base, cap, rng=lambda: draw)
    step = backoff.step(retry)
    assert step == min(cap, base * 2.0 ** min(retry, 64))
    assert step / 2 <= backoff.delay(retry) <= step
    assert backoff.step(retry + 1) >= step  # never shrinks, even after a long outage


@given(bases, caps, st.integers(min_value=0, max_value=12), st.integers(0, 2**32))
def test_a_bounded_loop_waits_attempts_minus_one_times(
    base: float, cap: float, attempts: int, seed: int
) -> None:
    backoff = Backoff(base, cap, attempts, random.Random(seed).random)
    delays = list(backoff.delays())
    assert len(delays) == max(attempts - 1, 0)
    assert sum(delays) <= backoff.longest_total + 1e-9


def test_retries_grow_and_reset() -> None:
    retries = Retries(Backoff(base=1.0, cap=8.0, rng=lambda: 0.999))
    waits = [retries.next() for _ in range(6)]
    assert [round(w) for w in waits] == [1, 2, 4, 8, 8, 8]
    assert retries.failures == 6
    retries.reset()
    assert retries.failures == 0 and retries.next() < 1.0 + 1e-9
