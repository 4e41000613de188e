"""The informer cache: entries keyed by (kind, namespace, name), in scopes.

A scope is what one reflector owns (a resource in one namespace, or in all of them). A
relist replaces a whole scope atomically and returns the differences as changes, so a
missed delete (a ghost) or a missed add is repaired, and nothing is reported twice.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from dnssync.sources.kube.changes import ObjectChange, ObjectKey
from dnssync.sources.kube.entries import Entry


@dataclass(frozen=True, slots=True, order=True)
class Scope:
    resource: str  # Resource.qualified
    namespace: str | None  # None: all namespaces (or a cluster-scoped resource)
    field_selector: str | None = None  # one named object (a ConfigMap by name)


class Store:
    """Thread-safe. Readers get consistent copies; writers get the changes they caused."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scopes: dict[Scope, dict[ObjectKey, Entry]] = {}

    def replace(self, scope: Scope, entries: Mapping[ObjectKey, Entry]) -> list[ObjectChange]:
        """Make ``entries`` the scope's content; return the differences (sorted by key)."""
        new = dict(entries)
        with self._lock:
            old = self._scopes.get(scope, {})
            self._scopes[scope] = new
        changes = []
        for key in sorted(old.keys() | new.keys()):
            change = _change(key, old.get(key), new.get(key))
            if change is not None:
                changes.append(change)
        return changes

    def apply(self, scope: Scope, key: ObjectKey, entry: Entry | None) -> ObjectChange | None:
        """Set (or with None, remove) one entry; return the change, if any."""
        with self._lock:
            content = self._scopes.setdefault(scope, {})
            before = content.get(key)
            if entry is None:
                content.pop(key, None)
            else:
                content[key] = entry
        return _change(key, before, entry)

    def get(self, key: ObjectKey) -> Entry | None:
        with self._lock:
            for content in self._scopes.values():
                found = content.get(key)
                if found is not None:
                    return found
        return None

    def items(self) -> list[tuple[ObjectKey, Entry]]:
        """Every entry, sorted by key (a consistent copy)."""
        with self._lock:
            found = [item for content in self._scopes.values() for item in content.items()]
        found.sort(key=lambda item: item[0])
        return found

    def __len__(self) -> int:
        with self._lock:
            return sum(len(content) for content in self._scopes.values())


def _change(key: ObjectKey, before: Entry | None, after: Entry | None) -> ObjectChange | None:
    if before is None and after is None:
        return None
    if after is not None and after.same_as(before):
        return None
    return ObjectChange(
        kind=key[0],
        key=key,
        before=before.obj if before is not None else None,
        after=after.obj if after is not None else None,
        unreadable=after is not None and after.obj is None,
    )
