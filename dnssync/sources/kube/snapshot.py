"""Cluster snapshots: from cache entries, and the one-shot read of ``plan --kubeconfig``."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from dnssync.model.diagnostics import Diagnostic
from dnssync.model.refs import ObjectRef
from dnssync.sources.filters import ObjectFilter
from dnssync.sources.ingress_nginx import IngressNginxSettings, missing_configmaps
from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.changes import ObjectKey
from dnssync.sources.kube.client import connect, describe_config_source
from dnssync.sources.kube.discovery import discover_gateway_api
from dnssync.sources.kube.entries import Entry
from dnssync.sources.kube.errors import KubeError
from dnssync.sources.kube.failures import discovery_failure, failure_diagnostic
from dnssync.sources.kube.lister import ListTarget, list_target
from dnssync.sources.kube.resources import CONFIGMAPS, GATEWAY_GROUP, INGRESSES, SERVICES
from dnssync.sources.kube.settings import ClusterSettings, WatchSettings
from dnssync.sources.kube.targets import (
    configmap_targets,
    namespace_target,
    needs_namespaces,
    targets_for,
    traefik_service_targets,
)
from dnssync.sources.kube.traefik_discovery import discover_traefik
from dnssync.sources.snapshot import SourceSnapshot

log = logging.getLogger(__name__)


def build_snapshot(
    items: Iterable[tuple[ObjectKey, Entry]],
    problems: Sequence[Diagnostic] = (),
    complete: bool = True,
) -> SourceSnapshot:
    """Objects sorted by key; unreadable objects keep their records (like the manifests)."""
    objects = []
    diagnostics = list(problems)
    unreadable = set()
    for key, entry in sorted(items, key=lambda item: item[0]):
        if entry.obj is not None:
            objects.append(entry.obj)
        else:
            unreadable.add(str(ObjectRef(*key)))
        if entry.problem is not None:
            diagnostics.append(entry.problem)
    return SourceSnapshot(tuple(objects), tuple(diagnostics), complete, frozenset(unreadable))


def read_cluster(cluster: ClusterSettings) -> SourceSnapshot:
    """List (no watch) everything the rules read, for ``plan``/``apply --kubeconfig``."""
    api = connect(cluster.client)
    try:
        origin = describe_config_source(cluster.client)
        return read_once(
            api,
            cluster.sources,
            cluster.object_filter,
            origin=origin,
            ingress_nginx=cluster.ingress_nginx,
            traefik_legacy=cluster.traefik_legacy,
            traefik_services=cluster.traefik_services,
        )
    finally:
        api.close()


def read_once(
    api: KubeApi,
    sources: Sequence[str],
    object_filter: ObjectFilter,
    settings: WatchSettings | None = None,
    origin: str = "",
    ingress_nginx: IngressNginxSettings | None = None,
    traefik_legacy: bool = False,
    traefik_services: Sequence[tuple[str, str]] = (),
) -> SourceSnapshot:
    """One consistent list per resource. Partial failures give ``complete=False``;
    when nothing at all can be read, raises KubeError (the cluster is unusable)."""
    settings = settings or WatchSettings()
    targets: list[ListTarget] = []
    problems: list[Diagnostic] = []
    errors: list[KubeError] = []
    complete = True
    ingress_nginx = ingress_nginx or IngressNginxSettings()
    if "service" in sources or ingress_nginx.enabled:
        targets.extend(targets_for(SERVICES, object_filter))
    targets.extend(configmap_targets(ingress_nginx))
    if "traefik" in sources:
        services_listed = "service" in sources or ingress_nginx.enabled
        targets.extend(traefik_service_targets(traefik_services, services_listed, object_filter))
    if "ingress" in sources:
        targets.extend(targets_for(INGRESSES, object_filter))
    if "gateway" in sources:
        try:
            discovery = discover_gateway_api(api, timeout=settings.request_timeout)
        except KubeError as exc:
            complete = False
            errors.append(exc)
            problems.append(discovery_failure(exc))
        else:
            for resource in discovery.found:
                targets.extend(targets_for(resource, object_filter))
            if discovery.missing:
                log.warning("%s", discovery.message())
                problems.append(
                    Diagnostic(GATEWAY_GROUP, "", discovery.message(), reason="MissingCRD")
                )
    if "traefik" in sources:
        try:
            traefik = discover_traefik(api, traefik_legacy, timeout=settings.request_timeout)
        except KubeError as exc:
            complete = False
            errors.append(exc)
            problems.append(discovery_failure(exc, "traefik.io", "Traefik's API"))
        else:
            for resource in traefik.found:
                targets.extend(targets_for(resource, object_filter))
            if traefik.missing:
                log.warning("%s", traefik.message())
                problems.append(
                    Diagnostic("traefik.io", "", traefik.message(), reason="MissingCRD")
                )
    entries: dict[ObjectKey, Entry] = {}
    listed = 0
    for target in targets:
        try:
            entries.update(list_target(api, target, settings).entries)
            listed += 1
        except KubeError as exc:
            complete = False
            errors.append(exc)
            problems.append(failure_diagnostic(target, exc))
    if needs_namespaces(e.obj for e in entries.values()):
        target = namespace_target()
        try:
            entries.update(list_target(api, target, settings).entries)
        except KubeError as exc:
            complete = False
            errors.append(exc)
            problems.append(failure_diagnostic(target, exc))
    if errors and not listed:
        where = f" ({origin})" if origin else ""
        details = "; ".join(d.message for d in problems if d.reason != "MissingCRD")
        raise KubeError(f"cannot read the cluster at {api.host}{where}: {details}")
    if complete:
        missing = missing_configmaps(
            ingress_nginx, lambda ref: (CONFIGMAPS.key, ref.namespace, ref.name) in entries
        )
        problems.extend(missing)
        complete = not missing
    return build_snapshot(entries.items(), problems, complete)
