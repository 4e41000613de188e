"""References to the Kubernetes objects that records come from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class ObjectRef:
    """``kind/namespace/name`` with a lower-case kind, as in ExternalDNS's resource label."""

    kind: str
    namespace: str
    name: str

    def __post_init__(self) -> None:
        if self.kind != self.kind.lower():
            object.__setattr__(self, "kind", self.kind.lower())

    @classmethod
    def parse(cls, text: str) -> ObjectRef | None:
        parts = text.split("/")
        if len(parts) != 3 or not all(parts):
            return None
        return cls(parts[0], parts[1], parts[2])

    def __str__(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"
