"""Go-style durations (``100ms``, ``5m``, ``1h30m``), as Kubernetes users write them."""

from __future__ import annotations

import math
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value: str) -> float:
    """Seconds for ``300`` (plain seconds) or a duration such as ``1h30m``; ValueError else."""
    text = value.strip()
    if not text:
        raise ValueError("empty duration")
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            raise ValueError(f"{value!r} is not a finite duration")
        return seconds
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{value!r} is neither seconds nor a duration like 100ms, 5m or 1h")
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
