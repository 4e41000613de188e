"""Warnings as Kubernetes Events on the offending object (docs/daemon.md, "Events").

One Event per (object, reason, message), type Warning, written as a core/v1 Event so that
``kubectl describe`` and ``kubectl get events`` show it. The same problem found again by
the next plan is not sent again; after ``repeat_after`` seconds it bumps the Event's
``count`` and ``lastTimestamp`` (as client-go's aggregation does). A token bucket bounds
how many writes a burst of problems may cause; what is held back is sent on a later call.

Messages are the diagnostic's own text, cut to ``max_message`` characters. Diagnostics are
built from object fields only, so no credentials can appear in them.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from dnssync.model.diagnostics import Diagnostic
from dnssync.model.refs import ObjectRef
from dnssync.sources.kube.api import MERGE_PATCH, KubeApi
from dnssync.sources.kube.errors import KubeApiError, KubeError
from dnssync.sources.kube.ratelimit import TokenBucket
from dnssync.sources.kube.resources import EVENTS, GATEWAY_GROUP, SERVICES, Resource
from dnssync.sources.kube.source import ObjectIdentity

log = logging.getLogger(__name__)

IdentityLookup = Callable[[ObjectRef], ObjectIdentity | None]

# Objects Events can be recorded on, when no lookup gives their served version.
DEFAULT_RESOURCES: dict[str, Resource] = {
    "service": SERVICES,
    "gateway": Resource("Gateway", "gateways", GATEWAY_GROUP),
    "httproute": Resource("HTTPRoute", "httproutes", GATEWAY_GROUP),
    "tlsroute": Resource("TLSRoute", "tlsroutes", GATEWAY_GROUP),
    "tcproute": Resource("TCPRoute", "tcproutes", GATEWAY_GROUP),
    "udproute": Resource("UDPRoute", "udproutes", GATEWAY_GROUP),
    "listenerset": Resource("ListenerSet", "listenersets", GATEWAY_GROUP),
}


@dataclass(frozen=True, slots=True)
class EventPolicy:
    burst: int = 25
    per_second: float = 0.5
    repeat_after: float = 3600.0
    remember: int = 10_000
    max_message: int = 1024


@dataclass(slots=True)
class _Sent:
    name: str
    count: int
    at: float


class EventRecorder:
    def __init__(
        self,
        api: KubeApi,
        *,
        lookup: IdentityLookup | None = None,
        component: str = "dnssync",
        instance: str | None = None,
        policy: EventPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``lookup`` (e.g. ``ClusterSource.identity``) gives an object's version and uid
        from the cache; without it (or on a miss) the object is read once from the API."""
        self.api = api
        self.lookup = lookup
        self.component = component
        self.instance = instance or socket.gethostname()
        self.policy = policy or EventPolicy()
        self._clock = clock
        self._wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self._bucket = TokenBucket(self.policy.burst, self.policy.per_second, clock)
        self._sent: OrderedDict[tuple[ObjectRef, str, str], _Sent] = OrderedDict()
        self._failing: str | None = None
        self.held_back = 0  # diagnostics not sent because of the rate limit (all calls)

    def record(self, diagnostics: Iterable[Diagnostic]) -> int:
        """Send an Event for each new object problem; returns how many were written."""
        written = 0
        for diagnostic in diagnostics:
            ref = diagnostic.ref
            if ref is None or ref.kind not in DEFAULT_RESOURCES:
                continue
            message = self._message(diagnostic)
            key = (ref, diagnostic.reason, message)
            sent = self._sent.get(key)
            if sent is not None and self._clock() - sent.at < self.policy.repeat_after:
                self._sent.move_to_end(key)
                continue
            if not self._bucket.take():
                self.held_back += 1
                continue
            try:
                self._write(ref, diagnostic.reason, message, key, sent)
            except KubeError as exc:
                text = str(exc)
                if text != self._failing:
                    log.warning("cannot record Event on %s: %s", ref, text)
                self._failing = text
                continue
            self._failing = None
            written += 1
        return written

    # ------------------------------------------------------------------ internals

    def _message(self, diagnostic: Diagnostic) -> str:
        text = (
            f"{diagnostic.field}: {diagnostic.message}"
            if diagnostic.field
            else (diagnostic.message)
        )
        text = " ".join(text.split())
        limit = self.policy.max_message
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def _write(
        self,
        ref: ObjectRef,
        reason: str,
        message: str,
        key: tuple[ObjectRef, str, str],
        sent: _Sent | None,
    ) -> None:
        name = _event_name(ref, reason, message)
        now = _timestamp(self._wall_clock())
        count = 1
        if sent is None:
            try:
                self.api.request(
                    "POST",
                    EVENTS.path(ref.namespace),
                    body=self._event(ref, name, reason, message, now),
                )
            except KubeApiError as exc:
                if exc.status != 409:  # 409: written before (e.g. by a previous run)
                    raise
                existing = self.api.request("GET", EVENTS.path(ref.namespace, name))
                count = int((existing or {}).get("count") or 1) + 1
                self._bump(ref, name, count, now)
        else:
            count = sent.count + 1
            try:
                self._bump(ref, name, count, now)
            except KubeApiError as exc:
                if exc.status != 404:  # 404: expired (the apiserver's --event-ttl)
                    raise
                count = 1
                self.api.request(
                    "POST",
                    EVENTS.path(ref.namespace),
                    body=self._event(ref, name, reason, message, now),
                )
        self._sent[key] = _Sent(name, count, self._clock())
        self._sent.move_to_end(key)
        while len(self._sent) > self.policy.remember:
            self._sent.popitem(last=False)

    def _bump(self, ref: ObjectRef, name: str, count: int, now: str) -> None:
        self.api.request(
            "PATCH",
            EVENTS.path(ref.namespace, name),
            body={"count": count, "lastTimestamp": now},
            content_type=MERGE_PATCH,
        )

    def _event(self, ref: ObjectRef, name: str, reason: str, message: str, now: str) -> object:
        identity = self._identity(ref)
        involved = {
            "apiVersion": identity.api_version,
            "kind": identity.kind,
            "namespace": ref.namespace,
            "name": ref.name,
        }
        if identity.uid:
            involved["uid"] = identity.uid
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": ref.namespace},
            "involvedObject": involved,
            "type": "Warning",
            "reason": reason,
            "message": message,
            "count": 1,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "source": {"component": self.component},
            "reportingComponent": self.component,
            "reportingInstance": self.instance,
        }

    def _identity(self, ref: ObjectRef) -> ObjectIdentity:
        if self.lookup is not None:
            found = self.lookup(ref)
            if found is not None:
                return found
        resource = DEFAULT_RESOURCES[ref.kind]
        try:
            obj = self.api.request("GET", resource.path(ref.namespace, ref.name))
        except KubeError:
            return ObjectIdentity(resource.api_version, resource.kind, "")
        meta = (obj or {}).get("metadata") or {}
        return ObjectIdentity(
            str((obj or {}).get("apiVersion") or resource.api_version),
            resource.kind,
            str(meta.get("uid") or ""),
        )


def _event_name(ref: ObjectRef, reason: str, message: str) -> str:
    """Stable per (object, reason, message): a restarted daemon finds its own Events."""
    digest = hashlib.sha256(f"{ref}\n{reason}\n{message}".encode()).hexdigest()[:16]
    return f"{ref.name[:200]}.{digest}"


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
