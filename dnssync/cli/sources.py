"""Pick the source of objects for a command: manifests or a cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dnssync.cli.options import CoreSettings
from dnssync.errors import ConfigError
from dnssync.sources.manifests import read_manifests
from dnssync.sources.objects import (
    BackendServiceObject,
    GatewayObject,
    IngressObject,
    RouteObject,
    ServiceObject,
    StreamServicesObject,
    TraefikRouteObject,
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
            decisive=[r for r in [core.rules.ingress_nginx.controller] if r is not None],
        )
        return _only_sources(snapshot, core)
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
        traefik_services=core.rules.traefik.services,
        traefik_legacy=core.rules.traefik.legacy,
    )


def _only_sources(snapshot: SourceSnapshot, core: CoreSettings) -> SourceSnapshot:
    sources = core.sources
    traefik_services = set(core.rules.traefik.services) if "traefik" in sources else set()

    def wanted(obj: object) -> bool:
        if isinstance(obj, ServiceObject):
            # The ingress-nginx controller Service is read for its addresses, and
            # Traefik's own Services give its routes their addresses and ports.
            key = (obj.ref.namespace, obj.ref.name)
            return "service" in sources or "ingress-nginx" in sources or key in traefik_services
        if isinstance(obj, BackendServiceObject | StreamServicesObject):
            return "ingress-nginx" in sources
        if isinstance(obj, TraefikRouteObject):
            return "traefik" in sources
        if isinstance(obj, GatewayObject | RouteObject):
            return "gateway" in sources
        if isinstance(obj, IngressObject):
            return "ingress" in sources
        return True

    kept = tuple(o for o in snapshot.objects if wanted(o))
    return SourceSnapshot(kept, snapshot.diagnostics, snapshot.complete, snapshot.unreadable)
