"""Which objects read which: the reverse index that tells whom an event affects.

Each evaluation reports the keys it read (a route: the Gateways its parentRefs name, and
its Namespace when a listener selects namespaces by label). The index keeps those edges
both ways, so a change to a Gateway finds its routes without looking at any other object.
New dependencies (a ListenerSet's routes, an ingress controller Service's backends) need
no change here: their evaluation only has to report what it read.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class DependencyIndex(Generic[K]):
    def __init__(self) -> None:
        self._needs: dict[K, frozenset[K]] = {}
        self._dependents: dict[K, set[K]] = {}

    def update(self, key: K, needs: frozenset[K]) -> None:
        """Record that ``key`` reads ``needs`` (replacing what it read before)."""
        old = self._needs.get(key)
        if old is None:
            if not needs:
                return  # the common case: an object that reads no other
            old = frozenset()
        if old == needs:
            return
        for gone in old - needs:
            readers = self._dependents.get(gone)
            if readers is not None:
                readers.discard(key)
                if not readers:
                    del self._dependents[gone]
        for new in needs - old:
            self._dependents.setdefault(new, set()).add(key)
        if needs:
            self._needs[key] = needs
        else:
            self._needs.pop(key, None)

    def dependents(self, keys: Iterable[K]) -> set[K]:
        """The objects that read any of ``keys``."""
        found: set[K] = set()
        for key in keys:
            found.update(self._dependents.get(key, ()))
        return found

    def needs(self, key: K) -> frozenset[K]:
        return self._needs.get(key, frozenset())

    def __len__(self) -> int:
        return len(self._needs)
