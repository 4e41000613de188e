"""Which lists and watches the filters call for.

* ``--namespace``: one list/watch per namespace (so a namespaced Role is enough);
  without it, one across all namespaces.
* ``--label-selector``: server-side, on Services and routes.
* ``--annotation-filter``: client-side (the apiserver cannot select on annotations), on
  Services and routes.
* Gateways and ListenerSets are read unfiltered by labels and annotations: a route that
  passes the filters still needs its parents, and the rules decide what they publish.
* ingress-nginx's TCP/UDP services ConfigMaps: each one by name (``fieldSelector``),
  when the settings name them.
* Namespaces are read only when a Gateway or ListenerSet listener selects route namespaces
  by label (``allowedRoutes.namespaces.from: Selector``), or a Gateway selects ListenerSet
  namespaces so (``allowedListeners``); only then is cluster-wide list/watch on namespaces
  needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dnssync.sources.filters import ObjectFilter
from dnssync.sources.ingress_nginx import IngressNginxSettings
from dnssync.sources.kube.lister import NAME_FIELD, ListTarget
from dnssync.sources.kube.resources import CONFIGMAPS, NAMESPACES, SERVICES, Resource
from dnssync.sources.kube.selectors import format_selector
from dnssync.sources.objects import (
    GatewayObject,
    ListenerSetObject,
    NamespacesFrom,
    SourceObject,
)

# Parents of routes: read whatever the filters say, as routes that pass them need them.
UNFILTERED = frozenset({"gateway", "listenerset"})


def targets_for(resource: Resource, object_filter: ObjectFilter) -> list[ListTarget]:
    filtered = resource.key not in UNFILTERED
    selector = (
        format_selector(object_filter.label_selector)
        if filtered and object_filter.label_selector is not None
        else None
    )
    annotations = object_filter.annotation_selector if filtered else None
    namespaces: Sequence[str | None] = (
        object_filter.namespaces if object_filter.namespaces and resource.namespaced else (None,)
    )
    return [ListTarget(resource, ns, selector, annotations) for ns in namespaces]


def configmap_targets(settings: IngressNginxSettings) -> list[ListTarget]:
    """ingress-nginx's ConfigMaps, each by name (RBAC can grant exactly those two, with
    resourceNames), unfiltered: the settings name them."""
    return [
        ListTarget(CONFIGMAPS, ref.namespace, field_selector=NAME_FIELD + ref.name)
        for ref, _ in settings.configmaps
    ]


def traefik_service_targets(
    services: Iterable[tuple[str, str]], services_listed: bool, object_filter: ObjectFilter
) -> list[ListTarget]:
    """Traefik's Services (``--traefik-service``) that the Service lists do not cover:
    each is read alone (a field selector on its name), so ``--namespace`` need not name
    Traefik's namespace. A Service the lists cover is not read twice (one object, one
    scope); the label and annotation filters still apply to it (docs/sources/traefik.md).
    ``services_listed``: whether Services are listed at all (the service source is on)."""
    targets = []
    for namespace, name in services:
        covered = services_listed and (
            not object_filter.namespaces or namespace in object_filter.namespaces
        )
        if not covered:
            targets.append(ListTarget(SERVICES, namespace, field_selector=NAME_FIELD + name))
    return targets


def namespace_target() -> ListTarget:
    return ListTarget(NAMESPACES)


def needs_namespaces(objects: Iterable[SourceObject | None]) -> bool:
    """True when a listener selects route namespaces by their labels, or a Gateway
    selects the namespaces of its ListenerSets so."""
    for obj in objects:
        if not isinstance(obj, GatewayObject | ListenerSetObject):
            continue
        if any(ln.namespaces_from is NamespacesFrom.SELECTOR for ln in obj.listeners):
            return True
        if (
            isinstance(obj, GatewayObject)
            and obj.allowed_listeners.namespaces_from is NamespacesFrom.SELECTOR
        ):
            return True
    return False
