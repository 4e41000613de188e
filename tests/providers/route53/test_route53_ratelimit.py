"""The process-wide Route53 request bucket, counted over simulated time (never timed)."""

from __future__ import annotations

import threading

import pytest
from dnssync_route53 import ratelimit
from dnssync_route53.options import REQUESTS_PER_SECOND, parse_settings
from dnssync_route53.ratelimit import TokenBucket, shared_bucket

from dnssync.errors import ConfigError
from tests.providers.route53.r53_helpers import (
    SimulatedClock,
    most_in_one_second,
    simulated_bucket,
)


def test_window_counter() -> None:
    assert most_in_one_second([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]) == 5
    assert most_in_one_second([0.0, 0.1, 0.2, 0.3, 0.4, 0.5]) == 6
    assert most_in_one_second([]) == 0


@pytest.mark.parametrize("rate", [1, 2, 5, 7])
def test_never_more_than_the_rate_in_any_second(rate: int) -> None:
    clock = SimulatedClock()
    granted: list[float] = []
    bucket = simulated_bucket(rate, clock, granted)
    for _ in range(100):
        bucket.acquire()
    assert len(granted) == bucket.granted == 100
    assert most_in_one_second(granted) == rate
    # ...and no slower than the rate: 100 requests take 99 intervals.
    assert granted[-1] - granted[0] == pytest.approx(99 / rate)
    assert bucket.waited == pytest.approx(sum(clock.slept))


def test_an_idle_bucket_lets_the_next_request_go_at_once() -> None:
    clock = SimulatedClock()
    bucket = simulated_bucket(5, clock)
    bucket.acquire()
    clock.now += 10
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == pytest.approx(0.2)


def test_threads_share_the_bucket() -> None:
    """Turns are reserved under the lock, whatever order the threads sleep in."""
    granted: list[float] = []
    bucket = TokenBucket(5, clock=lambda: 0.0, sleep=lambda _s: None, record=granted)
    threads = [
        threading.Thread(target=lambda: [bucket.acquire() for _ in range(25)]) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(granted) == 100
    assert most_in_one_second(granted) == 5
    assert sorted(granted) == pytest.approx([i / 5 for i in range(100)])


def test_hold_off_delays_every_later_request() -> None:
    clock = SimulatedClock()
    granted: list[float] = []
    bucket = simulated_bucket(5, clock, granted)
    bucket.acquire()
    bucket.hold_off(3.0)
    bucket.acquire()
    bucket.acquire()
    assert granted[1] - granted[0] == pytest.approx(3.0)
    assert granted[2] - granted[1] == pytest.approx(0.2)


def test_the_process_shares_one_bucket_and_the_lowest_rate_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ratelimit, "_shared", None)
    first = shared_bucket(5)
    assert shared_bucket(10) is first and first.rate == 5
    assert shared_bucket(2) is first and first.rate == 2


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0)


def test_requests_per_second_option() -> None:
    assert REQUESTS_PER_SECOND.flag == "aws-requests-per-second"
    assert REQUESTS_PER_SECOND.default == 5
    assert parse_settings({}).requests_per_second == 5
    assert parse_settings({"aws_requests_per_second": "2"}).requests_per_second == 2
    for bad in ("0", "-1", "fast", "1001"):
        with pytest.raises(ConfigError, match="--aws-requests-per-second"):
            parse_settings({"aws_requests_per_second": bad})
