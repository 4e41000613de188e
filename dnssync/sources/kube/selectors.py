"""A :class:`LabelSelector` back in the apiserver's ``labelSelector`` query syntax."""

from __future__ import annotations

from dnssync.sources.objects import LabelSelector


def format_selector(selector: LabelSelector) -> str:
    """``a=b,c notin (d),e in (x,y),f,!g``: what ``parse_selector`` reads, and the apiserver."""
    parts = [f"{key}={value}" for key, value in selector.match_labels]
    for key, operator, values in selector.match_expressions:
        if operator == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            raise ValueError(f"unknown selector operator {operator!r}")
    return ",".join(parts)
