"""Pick the source of objects for a command: manifests or a cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dnssync.cli.options import CoreSettings
from dnssync.errors import ConfigError
from dnssync.sources.manifests import read_manifests
from dnssync.sources.objects import (
    BackendServiceObject,
    GatewayObject,
    ListenerSetObject,
    RouteObject,
    ServiceObject,
    StreamServicesObject,
)
from dnssync.sources.snapshot import SourceSnapshot

if TYPE_CHECKING:
    from dnssync.sources.kube.settings import ClusterSettings


def load_snapshot(core: CoreSettings) -> SourceSnapshot:
    if core.manifests is not None and core.kubeconfig is not None:
        raise ConfigError("give either --manifests or --kubeconfig, not both")
    if core.manifests is not None:
        snapshot = read_manifests(
            core.manifests,
            annotation_filter=core.rules.object_filter.annotation_selector,
            configmaps=[ref for ref, _ in core.rules.ingress_nginx.configmaps],
        )
        return _only_sources(snapshot, core.sources)
    try:
        from dnssync.sources.kube.snapshot import read_cluster
    except ImportError:
        raise ConfigError("give --manifests DIR (the cluster source is not installed)") from None
    return read_cluster(cluster_settings(core))


def cluster_settings(core: CoreSettings) -> ClusterSettings:
    """What the cluster source reads, from the core settings (imported only when a
    cluster is read: the client stack is not needed for ``--manifests``)."""
    from dnssync.sources.kube.client import ClientSettings
    from dnssync.sources.kube.settings import ClusterSettings

    return ClusterSettings(
        ClientSettings(core.kubeconfig, core.context),
        core.sources,
        core.rules.object_filter,
        core.rules.ingress_nginx,
    )


def _only_sources(snapshot: SourceSnapshot, sources: tuple[str, ...]) -> SourceSnapshot:
    def wanted(obj: object) -> bool:
        if isinstance(obj, ServiceObject):
            # The ingress-nginx controller Service is read for its addresses.
            return "service" in sources or "ingress-nginx" in sources
        if isinstance(obj, BackendServiceObject | StreamServicesObject):
            return "ingress-nginx" in sources
        if isinstance(obj, GatewayObject | RouteObject | ListenerSetObject):
            return "gateway" in sources
        return True

    kept = tuple(o for o in snapshot.objects if wanted(o))
    return SourceSnapshot(kept, snapshot.diagnostics, snapshot.complete, snapshot.unreadable)
