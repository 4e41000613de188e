"""A small ExternalDNS webhook server of our own, for protocol tests.

It speaks the webhook protocol (``GET /``, ``GET /records``, ``POST /records``,
``POST /adjustendpoints``) over an in-memory store with the checks of ExternalDNS's
in-memory provider (a create over an existing endpoint, an update or delete of a missing
one, or one key twice in a batch refuse the whole batch with a 500), and lets a test make
it misbehave: another media type, a failure status with a body for the next N requests,
a delay, a body limit answered with 413. Every request is logged (method, path, status,
body size) so tests can count them.

Library use::

    from testinfra.webhook_fake import FakeWebhook

    with FakeWebhook(domain_filter={"include": ["example.test"]}) as fake:
        fake.url                                   # http://127.0.0.1:PORT
        fake.fail("POST", "/records", 503, times=2)
        fake.requests                              # [Request(...), ...]

By hand: ``python -m testinfra.webhook_fake [ZONE ...]`` serves until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from testinfra.lifecycle import LiveSet, Stoppable

MEDIA_TYPE = "application/external.dns.webhook+json;version=1"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    status: int
    size: int  # request body bytes
    body: Any = None  # the request's JSON (None when empty or not JSON)


@dataclass
class Failure:
    method: str
    path: str
    status: int
    body: str
    times: int


@dataclass
class Rejection:
    name_part: str
    status: int
    body: str


@dataclass
class FakeState:
    endpoints: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    adjust: dict[str, Any] = field(default_factory=dict)
    store: dict[str, Any] = field(default_factory=dict)
    fail_after_apply: int = 0


def _key(endpoint: dict[str, Any]) -> tuple[str, str, str]:
    return (
        str(endpoint.get("dnsName", "")).lower().rstrip("."),
        str(endpoint.get("recordType", "")).upper(),
        str(endpoint.get("setIdentifier", "")),
    )


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class FakeWebhook(Stoppable):
    """The fake server. ``domain_filter`` is the JSON answered on ``GET /``; ``media_type``
    the Content-Type of every answer; ``max_body`` the request body limit (413 above it,
    0: none); ``delay`` seconds slept before answering; ``adjust`` the fields
    ``/adjustendpoints`` sets on every endpoint (e.g. ``{"recordTTL": 60}``); ``store``
    the fields forced on every endpoint stored (a backend with fixed TTLs, say)."""

    def __init__(
        self,
        *,
        domain_filter: dict[str, Any] | None = None,
        media_type: str = MEDIA_TYPE,
        max_body: int = 0,
        delay: float = 0.0,
        adjust: dict[str, Any] | None = None,
        store: dict[str, Any] | None = None,
    ) -> None:
        self.domain_filter = domain_filter if domain_filter is not None else {}
        self.media_type = media_type
        self.max_body = max_body
        self.delay = delay
        self.state = FakeState(adjust=dict(adjust or {}), store=dict(store or {}))
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        if self._server is not None:
            return self
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:  # quiet
                return

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        _LIVE.add(self)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        _LIVE.discard(self)

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ test controls

    def fail(self, method: str, path: str, status: int, body: str = "", *, times: int = 1) -> None:
        """Answer the next ``times`` matching requests with ``status`` and ``body``."""
        with self._lock:
            self.state.failures.append(Failure(method, path, status, body, times))

    def reject(self, name_part: str, status: int, body: str) -> None:
        """Answer ``status`` and ``body`` to every ``POST /records`` holding an endpoint
        whose dnsName contains ``name_part`` (a record this backend refuses)."""
        with self._lock:
            self.state.rejections.append(Rejection(name_part, status, body))

    def fail_after_applying(self, times: int = 1) -> None:
        """Apply the next ``times`` ``POST /records`` bodies, then answer 500 anyway (as a
        backend that applied some batches and failed on another)."""
        with self._lock:
            self.state.fail_after_apply = times

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self.state.requests)

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if (r.method, r.path) == (method, path))

    def reset_requests(self) -> None:
        with self._lock:
            self.state.requests.clear()

    def put(self, *endpoints: dict[str, Any]) -> None:
        """Store endpoints directly (someone else's records)."""
        with self._lock:
            for endpoint in endpoints:
                self.state.endpoints[_key(endpoint)] = dict(endpoint)

    def endpoints(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self.state.endpoints.values()]

    # ------------------------------------------------------------------ serving

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        path = handler.path.split("?", 1)[0]
        length = int(handler.headers.get("Content-Length") or 0)
        if self.max_body and length > self.max_body:
            # As ExternalDNS's server (MaxBytesReader): 413. The body is drained first so
            # the client, still sending, reads the answer instead of a reset connection.
            remaining = length
            while remaining > 0:
                remaining -= len(handler.rfile.read(min(remaining, 65536)) or b"x" * remaining)
            handler.close_connection = True
            self._answer(handler, method, path, length, 413, b"http: request body too large\n")
            return
        raw = handler.rfile.read(length) if length else b""
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            for failure in self.state.failures:
                if failure.times > 0 and (failure.method, failure.path) == (method, path):
                    failure.times -= 1
                    status, body = failure.status, failure.body.encode()
                    break
            else:
                status, body = 0, b""
        if status:
            self._answer(handler, method, path, length, status, body, text=True, raw=raw)
            return
        try:
            status, answer = self._route(method, path, raw)
        except _Refused as exc:
            message = str(exc).encode()
            self._answer(handler, method, path, length, exc.status, message, text=True, raw=raw)
            return
        payload = b"" if answer is None else json.dumps(answer).encode()
        self._answer(handler, method, path, length, status, payload, raw=raw)

    def _answer(
        self,
        handler: BaseHTTPRequestHandler,
        method: str,
        path: str,
        size: int,
        status: int,
        body: bytes,
        *,
        text: bool = False,
        raw: bytes = b"",
    ) -> None:
        try:
            sent = json.loads(raw) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            sent = None
        with self._lock:
            self.state.requests.append(Request(method, path, status, size, sent))
        handler.send_response(status)
        handler.send_header("Content-Type", "text/plain" if text else self.media_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if body:
            with contextlib.suppress(OSError):
                handler.wfile.write(body)

    def _route(self, method: str, path: str, raw: bytes) -> tuple[int, Any]:
        if (method, path) == ("GET", "/"):
            return 200, self.domain_filter
        if (method, path) == ("GET", "/records"):
            with self._lock:
                return 200, [dict(e) for e in self.state.endpoints.values()]
        if (method, path) == ("POST", "/adjustendpoints"):
            endpoints = _decode(raw)
            if not isinstance(endpoints, list):
                raise _Refused(400, "expected a list of endpoints")
            return 200, [{**e, **self.state.adjust} for e in endpoints]
        if (method, path) == ("POST", "/records"):
            changes = _decode(raw)
            if not isinstance(changes, dict):
                raise _Refused(400, "expected plan.Changes")
            lowered = {str(k).lower(): v or [] for k, v in changes.items()}
            with self._lock:
                for rejection in self.state.rejections:
                    if any(
                        rejection.name_part in str(e.get("dnsName", ""))
                        for items in lowered.values()
                        for e in items
                    ):
                        raise _Refused(rejection.status, rejection.body)
            self._apply(lowered)
            with self._lock:
                if self.state.fail_after_apply > 0:
                    self.state.fail_after_apply -= 1
                    raise _Refused(500, "applied some batches, then failed")
            return 204, None
        raise _Refused(404, "404 page not found")

    def _apply(self, changes: dict[str, list[dict[str, Any]]]) -> None:
        with self._lock:
            store = self.state.endpoints
            seen: set[tuple[str, str, str]] = set()

            def once(key: tuple[str, str, str]) -> None:
                if key in seen:
                    raise _Refused(500, "invalid batch request")
                seen.add(key)

            for endpoint in changes.get("create", []):
                if _key(endpoint) in store:
                    raise _Refused(500, "record already exists")
                once(_key(endpoint))
            for endpoint in changes.get("updatenew", []):
                if _key(endpoint) not in store:
                    raise _Refused(500, "record not found")
                once(_key(endpoint))
            for endpoint in changes.get("updateold", []) + changes.get("delete", []):
                held = store.get(_key(endpoint))
                if held is None or held.get("targets") != endpoint.get("targets"):
                    raise _Refused(500, "record not found")
            for endpoint in changes.get("delete", []):
                once(_key(endpoint))
            for endpoint in changes.get("create", []) + changes.get("updatenew", []):
                store[_key(endpoint)] = {**endpoint, **self.state.store}
            for endpoint in changes.get("delete", []):
                store.pop(_key(endpoint), None)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gives up mid-answer (a timeout test) is expected, not news.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Refused(400, f"bad JSON: {exc}") from None


_LIVE: LiveSet[FakeWebhook] = LiveSet("testinfra.webhook_fake: stopping {0!r}")


def main(argv: Sequence[str] | None = None) -> int:
    zones = list(argv if argv is not None else sys.argv[1:]) or ["example.test"]
    with FakeWebhook(domain_filter={"include": zones}) as fake:
        print(f"fake ExternalDNS webhook on {fake.url} for {', '.join(zones)}")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
