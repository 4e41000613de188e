"""The cluster source of the daemon: informers for every resource the rules read.

Usage::

    source = ClusterSource.connect(core)          # or ClusterSource(api, ...)
    source.add_listener(on_change)                # called on the reflector threads
    source.start()
    if not source.wait_synced(60):
        log.warning("not synced yet: %s", source.last_error)
    snapshot = source.snapshot()                  # complete=False until all are synced
    status = source.status()                      # the same, without the objects: cheap
    ...
    source.stop()

Listeners receive an :class:`ObjectChange` for each add, update and delete of a
projection (also those found by a relist), never for changes the rules cannot see. They run
on the reflector threads: keep them short (e.g. put the change on a queue).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dnssync.model.diagnostics import Diagnostic, Severity
from dnssync.model.refs import ObjectRef
from dnssync.sources.filters import ObjectFilter
from dnssync.sources.ingress_nginx import IngressNginxSettings, missing_configmaps
from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.backoff import retries
from dnssync.sources.kube.changes import ObjectChange, ObjectKey
from dnssync.sources.kube.client import connect
from dnssync.sources.kube.discovery import GatewayDiscovery, discover_gateway_api
from dnssync.sources.kube.errors import KubeError
from dnssync.sources.kube.failures import discovery_failure, failure_diagnostic, failure_message
from dnssync.sources.kube.lister import ListTarget
from dnssync.sources.kube.reflector import Reflector
from dnssync.sources.kube.resources import CONFIGMAPS, GATEWAY_GROUP, INGRESSES, SERVICES, Resource
from dnssync.sources.kube.settings import ClusterSettings, WatchSettings
from dnssync.sources.kube.snapshot import build_snapshot
from dnssync.sources.kube.store import Store
from dnssync.sources.kube.targets import (
    configmap_targets,
    namespace_target,
    needs_namespaces,
    targets_for,
    traefik_service_targets,
)
from dnssync.sources.kube.traefik_discovery import (
    TRAEFIK_LEGACY_GROUP,
    TraefikDiscovery,
    discover_traefik,
)
from dnssync.sources.snapshot import SourceSnapshot, SourceStatus

log = logging.getLogger(__name__)

Listener = Callable[[ObjectChange], None]


@dataclass(frozen=True, slots=True)
class ObjectIdentity:
    """What an Event needs to point at an object (``kubectl describe`` matches the uid)."""

    api_version: str
    kind: str
    uid: str


class ClusterSource:
    def __init__(
        self,
        api: KubeApi,
        *,
        sources: Sequence[str] = ("service", "gateway"),
        object_filter: ObjectFilter | None = None,
        settings: WatchSettings | None = None,
        watch_namespaces: bool | None = None,
        rediscover_interval: float = 300.0,
        owns_api: bool = False,
        rng: random.Random | None = None,
        ingress_nginx: IngressNginxSettings | None = None,
        traefik_legacy: bool = False,
        traefik_services: Sequence[tuple[str, str]] = (),
    ) -> None:
        """``watch_namespaces``: None reads Namespaces only when a Gateway listener selects
        route namespaces by label; True always; False never."""
        self.api = api
        self.sources = tuple(sources)
        self.object_filter = object_filter or ObjectFilter()
        self.settings = settings or WatchSettings()
        self.watch_namespaces = watch_namespaces
        self.ingress_nginx = ingress_nginx or IngressNginxSettings()
        self.rediscover_interval = rediscover_interval
        self._owns_api = owns_api
        self._rng = rng or random.Random()
        self._store = Store()
        self._lock = threading.RLock()
        self._state = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._listeners: list[Listener] = []
        # Objects that exist but cannot be projected, and their problem (kept up to date
        # from the changes, so status() never walks the cache).
        self._unreadable: dict[ObjectKey, Diagnostic | None] = {}
        self._reflectors: list[Reflector] = []
        self._resources: dict[str, Resource] = {}  # by lower-case kind
        self._namespaces_started = False
        self._started = False
        self._supervisor: threading.Thread | None = None
        self.traefik_legacy = traefik_legacy
        self.traefik_services = tuple(traefik_services)
        self._discovered = not self._discovers
        self._watched: set[str] = set()  # Resource.qualified of every resource read
        self._discovery_error: KubeError | None = None
        self.missing_kinds: tuple[str, ...] = ()

    @classmethod
    def connect(
        cls,
        cluster: ClusterSettings,
        settings: WatchSettings | None = None,
        watch_namespaces: bool | None = None,
    ) -> ClusterSource:
        """A source for the CLI/daemon settings (kubeconfig, context, sources, filters)."""
        api = connect(cluster.client)
        return cls(
            api,
            sources=cluster.sources,
            object_filter=cluster.object_filter,
            settings=settings,
            watch_namespaces=watch_namespaces,
            owns_api=True,
            ingress_nginx=cluster.ingress_nginx,
            traefik_legacy=cluster.traefik_legacy,
            traefik_services=cluster.traefik_services,
        )

    # ------------------------------------------------------------------ public API

    def add_listener(self, callback: Listener) -> None:
        with self._lock:
            self._listeners.append(callback)

    def start(self) -> None:
        """Start the watches in background threads; returns at once."""
        with self._lock:
            if self._started:
                return
            self._started = True
            # The ingress-nginx controller Service and backends are Services.
            if "service" in self.sources or self.ingress_nginx.enabled:
                self._add_resource(SERVICES)
            if self.ingress_nginx.enabled:
                self._resources[CONFIGMAPS.key] = CONFIGMAPS
                for target in configmap_targets(self.ingress_nginx):
                    self._add_reflector(target)
            if "traefik" in self.sources:
                # Traefik routes read the addresses and ports of Traefik's Services.
                listed = "service" in self.sources or self.ingress_nginx.enabled
                targets = traefik_service_targets(self.traefik_services, listed, self.object_filter)
                if targets:
                    self._resources.setdefault(SERVICES.key, SERVICES)
                for target in targets:
                    self._add_reflector(target)
            if "ingress" in self.sources:
                self._add_resource(INGRESSES)
            if self.watch_namespaces:
                self._start_namespaces()
        if self._discovers:
            self._supervisor = threading.Thread(
                target=self._supervise, name="dnssync-gateway-discovery", daemon=True
            )
            self._supervisor.start()

    @property
    def synced(self) -> bool:
        """Every resource listed (and Gateway API discovery done), none failing for RBAC,
        and not stopped."""
        with self._lock:
            return (
                self._started
                and not self._stop.is_set()
                and self._discovered
                and self._discovery_error is None
                and all(r.synced for r in self._reflectors)
            )

    def wait_synced(self, timeout: float) -> bool:
        with self._state:
            return self._state.wait_for(lambda: self.synced or self._stop.is_set(), timeout) and (
                self.synced
            )

    @property
    def last_error(self) -> str | None:
        """The newest current failure, in words naming the resource (None when all is well)."""
        with self._lock:
            failing = [r for r in self._reflectors if r.error is not None]
            discovery = self._discovery_error
        if failing:
            newest = max(failing, key=lambda r: r.error_at)
            assert newest.error is not None
            return failure_message(newest.target, newest.error, newest.error_verb)
        if discovery is not None:
            return discovery_failure(discovery).message
        return None

    def snapshot(self) -> SourceSnapshot:
        """The projected objects now. ``complete`` is False while anything is unsynced."""
        complete, problems = self._sync_state()
        return build_snapshot(self._store.items(), problems, complete)

    def status(self) -> SourceStatus:
        """What :meth:`snapshot` says about completeness and unreadable objects, without
        copying the objects: costs nothing per cached object."""
        complete, problems = self._sync_state()
        with self._lock:
            unreadable = sorted(self._unreadable.items())
        problems.extend(problem for _, problem in unreadable if problem is not None)
        return SourceStatus(
            complete, frozenset(str(ObjectRef(*key)) for key, _ in unreadable), tuple(problems)
        )

    def _sync_state(self) -> tuple[bool, list[Diagnostic]]:
        with self._lock:
            reflectors = list(self._reflectors)
            problems: list[Diagnostic] = []
            complete = self._started and self._discovered
            if self._stop.is_set():
                complete = False
                problems.append(_not_synced("the cluster source", "stopped"))
            if self._discovery_error is not None:
                complete = False
                problems.append(discovery_failure(self._discovery_error))
            elif not self._discovered:
                group = GATEWAY_GROUP if "gateway" in self.sources else "traefik.io"
                problems.append(_not_synced(f"{group} discovery"))
        # Sync flags first, then the store: a reflector marked synced has its list stored.
        for reflector in reflectors:
            if reflector.synced:
                continue
            complete = False
            if reflector.error is not None:
                problems.append(
                    failure_diagnostic(reflector.target, reflector.error, reflector.error_verb)
                )
            else:
                problems.append(_not_synced(reflector.name))
        if complete:
            missing = missing_configmaps(
                self.ingress_nginx,
                lambda ref: self._store.get((CONFIGMAPS.key, ref.namespace, ref.name)) is not None,
            )
            problems.extend(missing)
            complete = not missing
        return complete, problems

    def identity(self, ref: ObjectRef) -> ObjectIdentity | None:
        """apiVersion, kind and uid of a cached object (for Events)."""
        entry = self._store.get((ref.kind, ref.namespace, ref.name))
        with self._lock:
            resource = self._resources.get(ref.kind)
        if entry is None or resource is None:
            return None
        return ObjectIdentity(resource.api_version, resource.kind, entry.uid)

    @property
    def resources(self) -> dict[str, Resource]:
        """The resources being read, by lower-case kind (with the discovered versions)."""
        with self._lock:
            return dict(self._resources)

    def stop(self) -> None:
        """Stop every thread (each gets ``settings.stop_timeout`` to end); idempotent."""
        self._stop.set()
        with self._state:
            reflectors = list(self._reflectors)
            self._state.notify_all()
        for reflector in reflectors:
            reflector.stop()
        for reflector in reflectors:
            if not reflector.join(self.settings.stop_timeout):
                log.warning("%s: thread did not stop in time", reflector.name)
        if self._supervisor is not None:
            self._supervisor.join(self.settings.stop_timeout)
        if self._owns_api:
            self.api.close()

    def __enter__(self) -> ClusterSource:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ internals

    @property
    def _discovers(self) -> bool:
        return "gateway" in self.sources or "traefik" in self.sources

    def _add_resource(self, resource: Resource) -> None:
        with self._lock:
            # By group too: Traefik's legacy group has the same kinds as traefik.io.
            if self._stop.is_set() or resource.qualified in self._watched:
                return
            if resource.key in self._resources and resource.group != TRAEFIK_LEGACY_GROUP:
                return
            self._watched.add(resource.qualified)
            self._resources.setdefault(resource.key, resource)
            for target in targets_for(resource, self.object_filter):
                self._add_reflector(target)

    def _add_reflector(self, target: ListTarget) -> None:
        reflector = Reflector(
            self.api,
            target,
            self._store,
            self.settings,
            self._dispatch,
            self._notify,
            random.Random(self._rng.random()),
        )
        self._reflectors.append(reflector)
        reflector.start()

    def _start_namespaces(self) -> None:
        with self._lock:
            if self._namespaces_started or self.watch_namespaces is False:
                return
            self._namespaces_started = True
            target = namespace_target()
            self._resources[target.resource.key] = target.resource
            log.info("a Gateway selects route namespaces by label: watching namespaces")
            self._add_reflector(target)

    def _notify(self) -> None:
        with self._state:
            self._state.notify_all()

    def _dispatch(self, changes: list[ObjectChange]) -> None:
        if not self._namespaces_started and needs_namespaces(c.after for c in changes):
            self._start_namespaces()
        with self._lock:
            listeners = list(self._listeners)
            for change in changes:
                if change.unreadable:
                    entry = self._store.get(change.key)
                    self._unreadable[change.key] = entry.problem if entry is not None else None
                else:
                    self._unreadable.pop(change.key, None)
        for change in changes:
            for listener in listeners:
                try:
                    listener(change)
                except Exception:
                    log.exception("listener failed on %s %s", change.action, change.key)

    def _supervise(self) -> None:
        """Discover the Gateway API (retrying with backoff), then re-check now and then
        so CRDs installed later are picked up."""
        backoff = retries(self.settings.backoff, random.Random(self._rng.random()))
        reported: set[str] = set()
        while not self._stop.is_set():
            try:
                found, missing, messages = self._discover()
            except KubeError as exc:
                with self._state:
                    first = self._discovery_error is None
                    self._discovery_error = exc
                    self._state.notify_all()
                delay = backoff.next()
                (log.warning if first else log.debug)(
                    "Gateway API discovery failed: %s; retrying in %.1fs", exc, delay
                )
                self._stop.wait(delay)
                continue
            backoff.reset()
            for resource in found:
                self._add_resource(resource)
            new_missing = [k for k in missing if k not in reported]
            if new_missing:
                reported.update(new_missing)
                for message in messages:
                    log.warning("%s", message)
            with self._state:
                self.missing_kinds = missing
                self._discovered = True
                self._discovery_error = None
                self._state.notify_all()
            self._stop.wait(self.rediscover_interval)

    def _discover(self) -> tuple[list[Resource], tuple[str, ...], list[str]]:
        """The served kinds of the Gateway API and Traefik (as the sources ask), the
        missing ones and the messages naming them. Raises KubeError."""
        found: list[Resource] = []
        missing: list[str] = []
        messages: list[str] = []
        timeout = self.settings.request_timeout
        discoveries: list[GatewayDiscovery | TraefikDiscovery] = []
        if "gateway" in self.sources:
            discoveries.append(discover_gateway_api(self.api, timeout=timeout))
        if "traefik" in self.sources:
            discoveries.append(discover_traefik(self.api, self.traefik_legacy, timeout))
        for discovery in discoveries:
            found.extend(discovery.found)
            missing.extend(discovery.missing)
            if discovery.message():
                messages.append(discovery.message())
        return found, tuple(missing), messages


def _not_synced(what: str, state: str = "not listed yet") -> Diagnostic:
    return Diagnostic(
        what,
        "",
        f"{state}; no records are deleted until it is listed",
        Severity.WARNING,
        reason="SourceNotSynced",
    )
