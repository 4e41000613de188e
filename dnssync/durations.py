"""Go-style durations (``100ms``, ``5m``, ``1h30m``), as Kubernetes users write them.

The grammar is exact and ASCII-only (docs/annotations.md): plain seconds ``[0-9]+`` with an
optional ``.[0-9]+`` fraction, or one or more ``<number><unit>`` parts with the units of
Go's ``time.ParseDuration`` (ns, us, µs, ms, s, m, h). No sign, no spaces, no exponent, no
underscores, no other digits than 0-9: Python's ``int()`` and ``float()`` accept all of
those (full-width ``300``, ``3_00``, ``1e3``, `` 300 ``, ``+300``), so they never see raw
text.
"""

from __future__ import annotations

import re
from fractions import Fraction

_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
# Longer units first, so "ms" is never read as "m" followed by "s".
_UNIT = r"(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h)"
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_DURATION = re.compile(rf"(?:{_NUMBER}{_UNIT})+")
_PART = re.compile(rf"({_NUMBER})({_UNIT})")
_UNIT_SECONDS = {
    "ns": Fraction(1, 10**9),
    "us": Fraction(1, 10**6),
    "\u00b5s": Fraction(1, 10**6),
    "\u03bcs": Fraction(1, 10**6),
    "ms": Fraction(1, 1000),
    "s": Fraction(1),
    "m": Fraction(60),
    "h": Fraction(3600),
}
# Go's limit: a duration is an int64 count of nanoseconds (about 292 years).
MAX_SECONDS = Fraction(2**63 - 1, 10**9)
# Longer text is never a sensible duration; bounding it bounds the work.
MAX_LENGTH = 64


def parse_duration_exact(value: str) -> Fraction:
    """Seconds, exactly, for ``300`` (plain seconds) or ``1h30m``; ValueError else."""
    if not value:
        raise ValueError("empty duration")
    if len(value) > MAX_LENGTH:
        raise ValueError(f"{value[:20]!r}... is longer than {MAX_LENGTH} characters")
    if value != value.strip():
        raise ValueError(f"{value!r} has spaces around it")
    if _SECONDS.fullmatch(value):
        seconds = Fraction(value)
    elif _DURATION.fullmatch(value):
        seconds = sum((_number(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(value)), Fraction(0))
    else:
        raise ValueError(
            f"{value!r} is neither seconds nor a duration like 100ms, 5m or 1h "
            "(ASCII digits 0-9, no sign, exponent or underscores)"
        )
    if seconds > MAX_SECONDS:
        raise ValueError(f"{value!r} is too long a duration")
    return seconds


def parse_duration(value: str) -> float:
    """Seconds for ``300`` (plain seconds) or a duration such as ``1h30m``; ValueError else."""
    return float(parse_duration_exact(value))


def _number(text: str) -> Fraction:
    # "5." and ".5" are Go durations too; Fraction wants digits on both sides.
    whole, _, fraction = text.partition(".")
    return Fraction(f"{whole or '0'}.{fraction or '0'}")
