"""Gateway API hostname matching between a listener and a route."""

from __future__ import annotations


def _suffix_match(name: str, wildcard: str) -> bool:
    """name lies strictly below the domain of ``*.domain``."""
    return name.endswith(wildcard[1:]) and len(name) > len(wildcard) - 1


def intersect(listener: str | None, route: str) -> str | None:
    """The hostname a route gets on a listener, or None when they do not match.

    As Gateway API does: an empty listener hostname allows everything; wildcards match one
    or more labels; the more specific of the two names wins.
    """
    listener = listener.lower().rstrip(".") if listener else None
    route = route.lower().rstrip(".")
    if listener is None or listener == route:
        return route
    if listener.startswith("*."):
        if route.startswith("*."):
            # Both wildcards: the more specific one, whichever side it is on.
            if _suffix_match(route[2:], listener):
                return route
            return listener if _suffix_match(listener[2:], route) else None
        return route if _suffix_match(route, listener) else None
    if route.startswith("*.") and _suffix_match(listener, route):
        return listener
    return None
