"""Cluster snapshots: from cache entries, and the one-shot read of ``plan --kubeconfig``."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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
from dnssync.sources.kube.resources import (
    CONFIGMAPS,
    GATEWAY_GROUP,
    INGRESSES,
    SERVICES,
    Resource,
)
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
    ingress_nginx = ingress_nginx or IngressNginxSettings()
    reading = _Reading(object_filter)
    reading.targets.extend(
        _resource_targets(sources, object_filter, ingress_nginx, traefik_services)
    )
    if "gateway" in sources:
        _discover_gateway_api(api, settings, reading)
    if "traefik" in sources:
        _discover_traefik(api, traefik_legacy, settings, reading)
    for target in reading.targets:
        if reading.list(api, target, settings):
            reading.listed += 1
    if needs_namespaces(e.obj for e in reading.entries.values()):
        reading.list(api, namespace_target(), settings)
    if reading.errors and not reading.listed:
        where = f" ({origin})" if origin else ""
        details = "; ".join(d.message for d in reading.problems if d.reason != "MissingCRD")
        raise KubeError(f"cannot read the cluster at {api.host}{where}: {details}")
    complete = not reading.errors and not reading.configmaps_missing(ingress_nginx)
    return build_snapshot(reading.entries.items(), reading.problems, complete)


@dataclass
class _Reading:
    """What one :func:`read_once` collects: the lists to make, what they gave, and what
    could not be read (any error makes the snapshot incomplete)."""

    object_filter: ObjectFilter
    targets: list[ListTarget] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    errors: list[KubeError] = field(default_factory=list)
    entries: dict[ObjectKey, Entry] = field(default_factory=dict)
    listed: int = 0

    def failed(self, exc: KubeError, problem: Diagnostic) -> None:
        self.errors.append(exc)
        self.problems.append(problem)

    def found(self, resources: Iterable[Resource], missing: str | None, group: str) -> None:
        """Discovered resources become lists to make; missing CRDs are reported."""
        for resource in resources:
            self.targets.extend(targets_for(resource, self.object_filter))
        if missing is not None:
            log.warning("%s", missing)
            self.problems.append(Diagnostic(group, "", missing, reason="MissingCRD"))

    def configmaps_missing(self, ingress_nginx: IngressNginxSettings) -> bool:
        """Named ingress-nginx ConfigMaps that are not there (reported): incomplete."""
        entries = self.entries
        missing = missing_configmaps(
            ingress_nginx, lambda ref: (CONFIGMAPS.key, ref.namespace, ref.name) in entries
        )
        self.problems.extend(missing)
        return bool(missing)

    def list(self, api: KubeApi, target: ListTarget, settings: WatchSettings) -> bool:
        """List target into the entries; False (and a problem) when it cannot be read."""
        try:
            self.entries.update(list_target(api, target, settings).entries)
        except KubeError as exc:
            self.failed(exc, failure_diagnostic(target, exc))
            return False
        return True


def _resource_targets(
    sources: Sequence[str],
    object_filter: ObjectFilter,
    ingress_nginx: IngressNginxSettings,
    traefik_services: Sequence[tuple[str, str]],
) -> list[ListTarget]:
    """The lists of built-in resources (no discovery needed), in reading order."""
    targets: list[ListTarget] = []
    if "service" in sources or ingress_nginx.enabled:
        targets.extend(targets_for(SERVICES, object_filter))
    targets.extend(configmap_targets(ingress_nginx))
    if "traefik" in sources:
        services_listed = "service" in sources or ingress_nginx.enabled
        targets.extend(traefik_service_targets(traefik_services, services_listed, object_filter))
    if "ingress" in sources:
        targets.extend(targets_for(INGRESSES, object_filter))
    return targets


def _discover_gateway_api(api: KubeApi, settings: WatchSettings, reading: _Reading) -> None:
    try:
        discovery = discover_gateway_api(api, timeout=settings.request_timeout)
    except KubeError as exc:
        reading.failed(exc, discovery_failure(exc))
        return
    missing = discovery.message() if discovery.missing else None
    reading.found(discovery.found, missing, GATEWAY_GROUP)


def _discover_traefik(
    api: KubeApi, legacy: bool, settings: WatchSettings, reading: _Reading
) -> None:
    try:
        traefik = discover_traefik(api, legacy, timeout=settings.request_timeout)
    except KubeError as exc:
        reading.failed(exc, discovery_failure(exc, "traefik.io", "Traefik's API"))
        return
    missing = traefik.message() if traefik.missing else None
    reading.found(traefik.found, missing, "traefik.io")
