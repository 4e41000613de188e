"""What the cluster source tells its listeners: one object's projection changed."""

from __future__ import annotations

from dataclasses import dataclass

from dnssync.sources.objects import SourceObject

ObjectKey = tuple[str, str, str]
"""``(kind, namespace, name)``, kind lower-case; namespace ``""`` for Namespaces."""


@dataclass(frozen=True, slots=True)
class ObjectChange:
    """An add (``before`` None), update, or delete (``after`` None) of a projection.

    Emitted for watch events and for the differences found by a relist; never when the
    projection did not change (a status heartbeat, an unrelated annotation). ``unreadable``
    is True when the object exists but could not be projected (its problem is in the
    snapshot's diagnostics, and its records are kept as they are).
    """

    kind: str
    key: ObjectKey
    before: SourceObject | None
    after: SourceObject | None
    unreadable: bool = False

    @property
    def action(self) -> str:
        if self.before is None and self.after is not None:
            return "add"
        if self.after is None and not self.unreadable:
            return "delete"
        return "update"
