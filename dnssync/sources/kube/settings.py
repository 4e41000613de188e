"""What the cluster source reads (credentials, kinds, filter) and the bounds of its
list/watch machinery: page size, timeouts, backoff, cache size."""

from __future__ import annotations

from dataclasses import dataclass, field

from dnssync.sources.filters import ObjectFilter
from dnssync.sources.ingress_nginx import IngressNginxSettings
from dnssync.sources.kube.backoff import Backoff
from dnssync.sources.kube.client import ClientSettings


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    """Which cluster, which kinds and which objects the cluster source reads."""

    client: ClientSettings
    sources: tuple[str, ...]
    object_filter: ObjectFilter = field(default_factory=ObjectFilter)
    # ingress-nginx's ConfigMaps (read by name) and controller Service.
    ingress_nginx: IngressNginxSettings = field(default_factory=IngressNginxSettings)
    # --traefik-service (namespace, name) and --traefik-legacy (docs/sources/traefik.md)
    traefik_services: tuple[tuple[str, str], ...] = ()
    traefik_legacy: bool = False


@dataclass(frozen=True, slots=True)
class WatchSettings:
    # Objects per list page (``limit``); pages are projected and dropped one by one.
    page_size: int = 500
    # Client read timeout of one list page.
    request_timeout: float = 60.0
    # Server-side ``timeoutSeconds`` of a watch, randomised by +/- 10% so watches do not
    # all end together, and the client read timeout added on top of it. Without the
    # latter a silently dead connection hangs the official client forever.
    watch_timeout: int = 300
    watch_read_margin: float = 30.0
    # Between a failed list or watch and the next try (the loop never gives up).
    backoff: Backoff = field(default_factory=lambda: Backoff(base=0.5, cap=30.0))
    # A scope holding more objects than this fails instead of eating the memory.
    max_objects: int = 200_000
    # How long stop() waits for each thread.
    stop_timeout: float = 5.0
