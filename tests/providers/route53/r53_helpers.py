"""Helpers shared by the Route53 provider tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from dnssync_route53.options import Settings
from dnssync_route53.provider import Route53Provider
from dnssync_route53.ratelimit import TokenBucket
from dnssync_route53.retry import no_wait

ZONE = "example.com"


class SimulatedClock:
    """Time that passes only when someone sleeps: rates are counted, never timed."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def simulated_bucket(
    rate: float = 5, clock: SimulatedClock | None = None, record: list[float] | None = None
) -> TokenBucket:
    clock = clock or SimulatedClock()
    return TokenBucket(rate, clock=clock, sleep=clock.sleep, record=record)


@dataclass
class Paced:
    """A bucket on simulated time and the times it let requests through."""

    clock: SimulatedClock = field(default_factory=SimulatedClock)
    granted: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bucket = simulated_bucket(5, self.clock, self.granted)


def most_in_one_second(times: list[float]) -> int:
    """The most requests any half-open one-second window holds."""
    ordered = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - 1.0 + 1e-9:
            start += 1
        most = max(most, end - start + 1)
    return most


def make_provider(settings: Settings | None = None) -> Route53Provider:
    """A provider that finds moto through boto3's chain (env set by the ``aws`` fixture),
    paced at 5 requests per second of simulated time."""
    return Route53Provider(settings, backoff=no_wait(), bucket=simulated_bucket())
