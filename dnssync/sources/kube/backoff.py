"""The watches' backoff: the shared one (dnssync.backoff), with a seeded random source
per watch so many watches failing together spread apart."""

from __future__ import annotations

import random

from dnssync.backoff import Backoff, Retries

__all__ = ["Backoff", "Retries", "retries"]


def retries(backoff: Backoff, rng: random.Random) -> Retries:
    return Retries(Backoff(backoff.base, backoff.cap, backoff.attempts, rng.random))
