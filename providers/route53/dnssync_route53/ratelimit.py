"""One request rate for every Route53 request of the process (docs/providers/route53.md).

Route53 allows an account 5 API requests per second, shared by every client of the
account. dnssync keeps under ``--aws-requests-per-second`` with a token bucket that holds a
single token: requests leave at least ``1/rate`` seconds apart, so no window of one second
ever holds more than ``rate`` of them (a deeper bucket would allow bursts above the rate).

The bucket is taken by every HTTP request the botocore client makes: the first attempt of
each call (``before-call``, which also runs under botocore's Stubber) and every retry
botocore makes on its own (``request-created`` with attempt > 1). A throttled request
holds the whole bucket off for the backoff delay, so every caller in the process slows
down, not only the one that was throttled.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_RATE = 5  # Route53's per-account limit


class TokenBucket:
    """Thread-safe pacing of requests at ``rate`` per second (see module docstring).

    ``clock`` and ``sleep`` are injectable so tests can count requests over simulated time;
    ``record``, when given, receives the time each request was let through.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        record: list[float] | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"request rate must be positive, not {rate}")
        self._rate = float(rate)
        self._clock = clock
        self._sleep = sleep
        self._record = record
        self._lock = threading.Lock()
        self._next = float("-inf")  # the earliest time the next request may leave
        self.granted = 0
        self.waited = 0.0

    @property
    def rate(self) -> float:
        return self._rate

    def slow_to(self, rate: float) -> None:
        """Lower the rate (never raise it: the strictest user of the process wins)."""
        with self._lock:
            if 0 < rate < self._rate:
                self._rate = float(rate)

    def acquire(self) -> float:
        """Wait for this request's turn; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            at = max(now, self._next)
            self._next = at + 1.0 / self._rate
            self.granted += 1
            self.waited += at - now
            if self._record is not None:
                self._record.append(at)
        if at > now:
            self._sleep(at - now)
        return at - now

    def hold_off(self, seconds: float) -> None:
        """After a throttle: no request of the process leaves for ``seconds``."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


_shared: TokenBucket | None = None
_shared_lock = threading.Lock()


def shared_bucket(rate: float = DEFAULT_RATE) -> TokenBucket:
    """The process's bucket; a second provider asking for a lower rate lowers it."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = TokenBucket(rate)
        elif rate < _shared.rate:
            log.info("Route53 request rate lowered to %s/s for the whole process", rate)
            _shared.slow_to(rate)
        return _shared


def attach(client: Any, bucket: TokenBucket) -> None:
    """Make every request of a boto3 route53 client take the bucket first."""
    events = client.meta.events

    def first_attempt(**_: Any) -> None:
        bucket.acquire()

    def retry_attempt(request: Any = None, **_: Any) -> None:
        context: Mapping[str, Any] = getattr(request, "context", None) or {}
        if int(context.get("retries", {}).get("attempt", 1)) > 1:
            bucket.acquire()

    # The client's emitter is its own, so "*.*" is every route53 operation. Registered
    # first at that level: botocore's Stubber answers at before-call.*.* and ends the call.
    events.register_first("before-call.*.*", first_attempt, unique_id="dnssync-r53-rate-1")
    events.register_first("request-created.*.*", retry_attempt, unique_id="dnssync-r53-rate-n")
