"""One paginated list of a resource, projected page by page into cache entries."""

from __future__ import annotations

from dataclasses import dataclass

from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.changes import ObjectKey
from dnssync.sources.kube.entries import Entry, to_entry
from dnssync.sources.kube.errors import KubeApiError, KubeTransportError
from dnssync.sources.kube.resources import Resource
from dnssync.sources.kube.settings import WatchSettings
from dnssync.sources.objects import LabelSelector

NAME_FIELD = "metadata.name="

# A continue token that expired (410) mid-list restarts the list, at most this often.
MAX_LIST_RESTARTS = 3


@dataclass(frozen=True, slots=True)
class ListTarget:
    """What one reflector (or one list) reads: a resource in a namespace, with filters."""

    resource: Resource
    namespace: str | None = None
    label_selector: str | None = None  # server-side
    annotation_filter: LabelSelector | None = None  # client-side
    # Server-side; ``metadata.name=X`` also lets RBAC grant one object by resourceNames.
    field_selector: str | None = None

    def describe(self) -> str:
        if self.field_selector and self.field_selector.startswith(NAME_FIELD):
            name = self.field_selector.removeprefix(NAME_FIELD)
            return f"{self.resource.qualified}/{self.resource.version} {self.namespace}/{name}"
        return self.resource.describe(self.namespace)


@dataclass(frozen=True, slots=True)
class ListResult:
    entries: dict[ObjectKey, Entry]
    resource_version: str


def list_target(api: KubeApi, target: ListTarget, settings: WatchSettings) -> ListResult:
    """A consistent list (all pages at one resourceVersion). Raises KubeError."""
    for _ in range(MAX_LIST_RESTARTS):
        try:
            return _list_once(api, target, settings)
        except KubeApiError as exc:
            if not exc.gone:
                raise
    raise KubeApiError(410, "Expired", f"list of {target.describe()} kept expiring")


def _list_once(api: KubeApi, target: ListTarget, settings: WatchSettings) -> ListResult:
    path = target.resource.path(target.namespace)
    entries: dict[ObjectKey, Entry] = {}
    token = ""
    resource_version = ""
    while True:
        query = [("limit", str(settings.page_size))]
        if token:
            query.append(("continue", token))
        if target.label_selector:
            query.append(("labelSelector", target.label_selector))
        if target.field_selector:
            query.append(("fieldSelector", target.field_selector))
        page = api.request("GET", path, query=query, timeout=settings.request_timeout)
        if not isinstance(page, dict):
            raise KubeTransportError(f"list {path}: answer is not an object")
        meta = page.get("metadata") or {}
        if not resource_version:
            resource_version = str(meta.get("resourceVersion") or "")
        for item in page.get("items") or []:
            if not isinstance(item, dict):
                continue
            found = to_entry(target.resource, item, target.annotation_filter)
            if found is not None and found[1] is not None:
                entries[found[0]] = found[1]
        if len(entries) > settings.max_objects:
            raise KubeTransportError(
                f"list {target.describe()}: more than {settings.max_objects} objects; "
                "narrow it with --namespace or --label-selector"
            )
        del page
        token = str(meta.get("continue") or "")
        if not token:
            break
    if not resource_version:
        raise KubeTransportError(f"list {path}: no resourceVersion in the answer")
    return ListResult(entries, resource_version)
