"""HTTP to the webhook: one bounded request at a time, counted, with bounded retries.

* Every request has one deadline, connection to last byte: read + write timeout (as
  ExternalDNS's client). The body is read in chunks against that deadline and against
  the body size limit, so neither a slow nor an endless answer can hold a reconcile.
* :meth:`Transport.call` retries connection errors, timeouts and 5xx answers with
  jittered exponential backoff, at most ``attempts`` tries; 4xx answers are returned at
  once (never retried). :meth:`Transport.send` is one try, for callers that must look
  at the zone before trying again (``POST /records``).
* Errors name the URL without user information or query, the request and the status,
  and quote at most :data:`BODY_QUOTE` characters of the answer's text (control
  characters replaced): never a header, never our request body.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from dnssync.backoff import Backoff
from dnssync.errors import ProviderError
from dnssync.providers.base import RequestCounter

from .settings import WebhookSettings, redact_url

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/external.dns.webhook+json;version=1"
BODY_QUOTE = 300
_CHUNK = 65536

Sleep = Callable[[float], None]
Clock = Callable[[], float]


class TransportError(ProviderError):
    """No HTTP answer: connection refused or reset, timeout, answer over the size limit.

    ``result`` is how the request is counted (``connection_error``, ``timeout``,
    ``too_large``)."""

    def __init__(self, message: str, result: str = "connection_error") -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    reason: str
    content_type: str
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def text_quote(self) -> str:
        """The body as short, printable text for an error message."""
        text = self.body.decode("utf-8", errors="replace").strip()
        text = "".join(c if c.isprintable() else " " for c in text)
        if len(text) > BODY_QUOTE:
            text = text[:BODY_QUOTE] + "... (truncated)"
        return text

    def describe(self) -> str:
        quote = self.text_quote()
        head = f"{self.status} {self.reason}".strip()
        return f"{head}: {quote}" if quote else head


class Transport:
    """The webhook's HTTP endpoint (one connection pool, thread-safe)."""

    def __init__(
        self,
        settings: WebhookSettings,
        counter: RequestCounter,
        *,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self.settings = settings
        self.base_url = settings.url
        self.shown_url = redact_url(settings.url)
        self.counter = counter
        self.backoff = Backoff(settings.backoff_seconds, settings.max_backoff_seconds)
        self._sleep = sleep
        self._clock = clock
        # No retries or redirects inside urllib3: both are decided here, and counted.
        self._pool = urllib3.PoolManager(
            num_pools=2, maxsize=2, retries=False, timeout=settings.timeout
        )
        self._lock = threading.Lock()

    def close(self) -> None:
        self._pool.clear()

    # ------------------------------------------------------------------ one try

    def send(
        self,
        operation: str,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        limit: int | None = None,
    ) -> Response:
        """One request. Raises TransportError when no complete answer came back."""
        headers = {"Accept": MEDIA_TYPE}
        if body is not None:
            headers["Content-Type"] = MEDIA_TYPE
        url = self.base_url + path
        max_body = self.settings.max_body_bytes if limit is None else limit
        deadline = self._clock() + self.settings.timeout
        what = f"{method} {path}"
        response = None
        try:
            response = self._pool.request(
                method,
                url,
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(connect=self.settings.timeout, read=self.settings.timeout),
                preload_content=False,
                redirect=False,
                retries=False,
            )
            data = self._read(response, deadline, max_body, what)
        except TransportError as exc:
            self._count(operation, exc.result)
            raise
        except NewConnectionError as exc:  # a ConnectTimeoutError subclass, but refused
            self._count(operation, "connection_error")
            raise TransportError(
                f"webhook {self.shown_url}: {what} failed: {_reason(exc)}"
            ) from None
        except Urllib3Timeout:
            self._count(operation, "timeout")
            raise TransportError(
                f"webhook {self.shown_url}: {what} timed out after {self.settings.timeout:g}s "
                "(--webhook-provider-read-timeout + --webhook-provider-write-timeout)",
                "timeout",
            ) from None
        except (Urllib3Error, OSError) as exc:
            self._count(operation, "connection_error")
            raise TransportError(
                f"webhook {self.shown_url}: {what} failed: {_reason(exc)}"
            ) from None
        finally:
            if response is not None:
                response.release_conn()
        with self._lock:
            self.counter.bytes_sent += len(body or b"")
            self.counter.bytes_received += len(data)
        status = int(response.status)
        self._count(operation, "ok" if 200 <= status < 300 else f"http_{status}")
        return Response(
            status,
            str(response.reason or ""),
            str(response.headers.get("Content-Type", "")),
            data,
        )

    def _read(
        self, response: urllib3.BaseHTTPResponse, deadline: float, limit: int, what: str
    ) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            if self._clock() > deadline:
                raise TransportError(
                    f"webhook {self.shown_url}: {what} timed out after {self.settings.timeout:g}s "
                    "(the answer was still coming)",
                    "timeout",
                )
            # read1: at most one socket read, so the deadline is checked between reads.
            chunk = response.read1(_CHUNK)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if limit and size > limit:
                raise TransportError(
                    f"webhook {self.shown_url}: {what}: the answer is larger than {limit} bytes "
                    "(--webhook-provider-max-body-size)",
                    "too_large",
                )
            chunks.append(chunk)

    def _count(self, operation: str, result: str) -> None:
        self.counter.count(operation, result)

    # ------------------------------------------------------------------ with retries

    def call(self, operation: str, method: str, path: str, body: bytes | None = None) -> Response:
        """The request, retried on connection errors, timeouts and 5xx; a 2xx, 3xx or
        4xx answer is returned as it is. Raises ProviderError when every try failed."""
        last = ""
        for attempt in range(max(self.settings.attempts, 1)):
            if attempt:
                pause = self.backoff.delay(attempt - 1)
                log.info(
                    "webhook %s: %s %s: %s; retrying in %.1fs",
                    self.shown_url,
                    method,
                    path,
                    last,
                    pause,
                )
                self._sleep(pause)
            try:
                response = self.send(operation, method, path, body)
            except TransportError as exc:
                if exc.result == "too_large":  # the same answer again would be as large
                    raise
                last = str(exc)
                continue
            if response.status < 500:
                return response
            last = f"webhook {self.shown_url}: {method} {path} answered {response.describe()}"
        raise ProviderError(f"{last} (gave up after {self.settings.attempts} tries)")


def _reason(exc: BaseException) -> str:
    """A short cause: the innermost reason urllib3 wraps (refused, reset, ...)."""
    inner: BaseException | None = exc
    seen = 0
    while inner is not None and seen < 5:
        reason = getattr(inner, "reason", None)
        if isinstance(reason, BaseException):
            inner = reason
            seen += 1
            continue
        break
    text = str(inner) if inner is not None else str(exc)
    # urllib3 messages embed the pool object and the URL; keep the OS reason.
    if "]" in text and "Errno" in text:
        text = text[text.index("[Errno") :]
    return text or type(exc).__name__
