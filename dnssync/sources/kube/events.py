"""Warnings as Kubernetes Events on the offending object (docs/daemon.md, "Events"), and
Normal Events on an object whose records were published (``Published kdc-tcp.example.com A
203.0.113.10 in example.com``).

One Event per (object, reason, message), type Warning, written as a core/v1 Event so that
``kubectl describe`` and ``kubectl get events`` show it. The same problem found again by
the next plan is not sent again; after ``repeat_after`` seconds it bumps the Event's
``count`` and ``lastTimestamp`` (as client-go's aggregation does). A token bucket bounds
how many writes a burst of problems may cause; what is held back is sent on a later call.

Normal Events are deduplicated the same way (the same record published again for the same
object is not sent again within ``repeat_after``), with a token bucket of their own so a
burst of publications never holds back a warning; what the bucket holds back waits in a
bounded backlog and is sent on a later call.

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
from dnssync.model.publications import Publication
from dnssync.model.refs import ObjectRef
from dnssync.sources.kube.api import MERGE_PATCH, KubeApi
from dnssync.sources.kube.errors import KubeApiError, KubeError
from dnssync.sources.kube.ratelimit import TokenBucket
from dnssync.sources.kube.resources import EVENTS, GATEWAY_GROUP, INGRESSES, SERVICES, Resource
from dnssync.sources.kube.source import ObjectIdentity

log = logging.getLogger(__name__)

IdentityLookup = Callable[[ObjectRef], ObjectIdentity | None]
PUBLISHED = "Published"  # the reason of Normal Events

# Objects Events can be recorded on, when no lookup gives their served version.
DEFAULT_RESOURCES: dict[str, Resource] = {
    "service": SERVICES,
    "ingress": INGRESSES,
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
        self._normal_bucket = TokenBucket(self.policy.burst, self.policy.per_second, clock)
        self._sent: OrderedDict[tuple[ObjectRef, str, str], _Sent] = OrderedDict()
        self._backlog: OrderedDict[tuple[ObjectRef, str, str], None] = OrderedDict()
        self._failing: str | None = None
        self.held_back = 0  # diagnostics not sent because of the rate limit (all calls)
        self.dropped = 0  # publications dropped from a full backlog (all calls)

    def record(self, diagnostics: Iterable[Diagnostic]) -> int:
        """Send an Event for each new object problem; returns how many were written."""
        written = self._drain()
        for diagnostic in diagnostics:
            ref = diagnostic.ref
            if ref is None or ref.kind not in DEFAULT_RESOURCES:
                continue
            key = (ref, diagnostic.reason, self._message(diagnostic))
            if self._recent(key):
                continue
            if not self._bucket.take():
                self.held_back += 1
                continue
            written += self._send(key, "Warning")
        return written

    def record_published(self, publications: Iterable[Publication]) -> int:
        """A Normal Event for each object whose records were created or changed; returns
        how many were written (held back ones are sent by a later call)."""
        for publication in publications:
            if publication.ref.kind not in DEFAULT_RESOURCES:
                continue
            key = (publication.ref, PUBLISHED, self._cut(publication.message))
            self._backlog[key] = None
            self._backlog.move_to_end(key)
            while len(self._backlog) > self.policy.remember:
                self._backlog.popitem(last=False)
                self.dropped += 1
        return self._drain()

    # ------------------------------------------------------------------ internals

    def _drain(self) -> int:
        written = 0
        while self._backlog:
            key = next(iter(self._backlog))
            if self._recent(key):
                del self._backlog[key]
                continue
            if not self._normal_bucket.take():
                break
            del self._backlog[key]
            written += self._send(key, "Normal")
        return written

    def _recent(self, key: tuple[ObjectRef, str, str]) -> bool:
        """True when the same Event was sent less than ``repeat_after`` ago."""
        sent = self._sent.get(key)
        if sent is not None and self._clock() - sent.at < self.policy.repeat_after:
            self._sent.move_to_end(key)
            return True
        return False

    def _send(self, key: tuple[ObjectRef, str, str], event_type: str) -> int:
        ref, reason, message = key
        try:
            self._write(ref, reason, message, key, self._sent.get(key), event_type)
        except KubeError as exc:
            text = str(exc)
            if text != self._failing:
                log.warning("cannot record Event on %s: %s", ref, text)
            self._failing = text
            return 0
        self._failing = None
        return 1

    def _message(self, diagnostic: Diagnostic) -> str:
        text = (
            f"{diagnostic.field}: {diagnostic.message}"
            if diagnostic.field
            else (diagnostic.message)
        )
        return self._cut(text)

    def _cut(self, text: str) -> str:
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
        event_type: str,
    ) -> None:
        name = _event_name(ref, reason, message)
        now = _timestamp(self._wall_clock())
        count = 1
        if sent is None:
            try:
                self.api.request(
                    "POST",
                    EVENTS.path(ref.namespace),
                    body=self._event(ref, name, reason, message, now, event_type),
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
                    body=self._event(ref, name, reason, message, now, event_type),
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

    def _event(
        self, ref: ObjectRef, name: str, reason: str, message: str, now: str, event_type: str
    ) -> object:
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
            "type": event_type,
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
