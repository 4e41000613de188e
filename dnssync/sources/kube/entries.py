"""An API object (plain dict) -> the small cache entry: its projection, uid, or its problem."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dnssync.model.diagnostics import Diagnostic, for_object
from dnssync.model.refs import ObjectRef
from dnssync.sources.kube.changes import ObjectKey
from dnssync.sources.kube.resources import Resource
from dnssync.sources.objects import LabelSelector, SourceObject
from dnssync.sources.projection import ProjectionError, project


@dataclass(frozen=True, slots=True)
class Entry:
    """What the cache keeps of one object: a few hundred bytes, not the API object."""

    obj: SourceObject | None  # None: exists but could not be projected
    uid: str
    problem: Diagnostic | None = None

    def same_as(self, other: Entry | None) -> bool:
        """Equal for the rules (the uid alone changing is not a change)."""
        return other is not None and self.obj == other.obj and self.problem == other.problem


def object_key(resource: Resource, item: Mapping[str, Any]) -> ObjectKey | None:
    meta = item.get("metadata")
    if not isinstance(meta, Mapping):
        return None
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return None
    namespace = str(meta.get("namespace") or "") if resource.namespaced else ""
    return (resource.key, namespace, name)


def to_entry(
    resource: Resource,
    item: dict[str, Any],
    annotation_filter: LabelSelector | None = None,
) -> tuple[ObjectKey, Entry | None] | None:
    """The key and entry of an API object; entry None when the sources do not keep it.

    Not kept: Services that are not of type LoadBalancer, and objects whose annotations do
    not match ``annotation_filter``. Returns None for an object without a name.
    """
    key = object_key(resource, item)
    if key is None:
        return None
    meta = item["metadata"]
    if annotation_filter is not None:
        annotations = meta.get("annotations")
        pairs = annotations if isinstance(annotations, Mapping) else {}
        if not annotation_filter.matches({str(k): str(v) for k, v in pairs.items()}):
            return key, None
    item.setdefault("kind", resource.kind)
    item.setdefault("apiVersion", resource.api_version)
    uid = str(meta.get("uid") or "")
    try:
        projected = project(item, key[1] or "default")
    except ProjectionError as exc:
        ref = ObjectRef(key[0], key[1], key[2])
        problem = for_object(ref, exc.field, exc.message, reason="InvalidObject")
        return key, Entry(None, uid, problem)
    if projected is None:
        return key, None
    return key, Entry(projected, uid)
