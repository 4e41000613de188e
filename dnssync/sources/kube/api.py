"""A narrow, typed door to the Kubernetes API over a urllib3 connection pool.

Answers are decoded as plain JSON (``dict``), never as the official client's models: the
sources project them straight into their small form, which keeps both CPU and memory low.
Every request carries a client-side (connect, read) timeout. The pool is the one
direct.py builds for the common credentials, or the official client's (client.py).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import urllib3

from dnssync.sources.kube.errors import KubeApiError, KubeTransportError

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
# One watch event is one line; etcd refuses values above ~1.5 MiB, so this is generous.
MAX_LINE_BYTES = 16 * 1024 * 1024

Query = Sequence[tuple[str, str]]


class HttpClient(Protocol):
    """Sends one request with credentials; raises urllib3's and OSError's errors, or
    KubeTransportError."""

    host: str

    def send(
        self,
        method: str,
        path: str,
        query: Query,
        headers: dict[str, str],
        body: Any,
        timeout: tuple[float, float],
    ) -> urllib3.BaseHTTPResponse: ...

    def close(self) -> None: ...


class KubeApi:
    """JSON requests and watch streams. Thread-safe (urllib3's pool is)."""

    def __init__(
        self,
        client: HttpClient,
        *,
        connect_timeout: float = 10.0,
        request_timeout: float = 30.0,
    ) -> None:
        self._client = client
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout

    @property
    def host(self) -> str:
        return self._client.host

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Query = (),
        body: Any = None,
        content_type: str = JSON,
        timeout: float | None = None,
    ) -> Any:
        """Send a request; return the decoded JSON answer (None when empty).

        Raises KubeApiError for HTTP errors and KubeTransportError when there is no answer.
        """
        read_timeout = self.request_timeout if timeout is None else timeout
        response = self._send(method, path, query, body, content_type, read_timeout)
        try:
            data = response.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise KubeTransportError(f"{method} {path}: {describe(exc)}") from None
        finally:
            response.release_conn()
        if not 200 <= response.status <= 299:
            raise _api_error(response.status, response.reason, data)
        if not data:
            return None
        try:
            return json.loads(data)
        except ValueError as exc:
            raise KubeTransportError(f"{method} {path}: invalid JSON answer: {exc}") from None

    def watch(self, path: str, query: Query, read_timeout: float) -> WatchStream:
        """Open a watch; the server's ``timeoutSeconds`` belongs in ``query``.

        ``read_timeout`` bounds every wait for data on the socket, so a dead connection
        ends the watch instead of hanging it forever.
        """
        response = self._send("GET", path, query, None, JSON, read_timeout)
        if not 200 <= response.status <= 299:
            try:
                data = response.read()
            except (urllib3.exceptions.HTTPError, OSError):
                data = b""
            finally:
                response.release_conn()
            raise _api_error(response.status, response.reason, data)
        return WatchStream(response, path)

    def close(self) -> None:
        self._client.close()

    def _send(
        self,
        method: str,
        path: str,
        query: Query,
        body: Any,
        content_type: str,
        read_timeout: float,
    ) -> urllib3.BaseHTTPResponse:
        headers = {"Accept": JSON}
        if body is not None:
            headers["Content-Type"] = content_type
        timeout = (self.connect_timeout, read_timeout)
        try:
            return self._client.send(method, path, query, headers, body, timeout)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise KubeTransportError(f"{method} {path}: {describe(exc)}") from None
        except ValueError:
            # http.client refuses a header it cannot send; its message quotes the header,
            # which may be the credentials.
            raise KubeTransportError(
                f"{method} {path}: the request cannot be sent (a header, such as the "
                "credentials, holds characters HTTP does not allow)"
            ) from None


class WatchStream:
    """The events of one watch, as dicts ``{"type": ..., "object": {...}}``.

    Iterating ends when the server closes the stream (its ``timeoutSeconds``); transport
    failures raise KubeTransportError. :meth:`abort` may be called from another thread.
    """

    def __init__(self, response: urllib3.BaseHTTPResponse, path: str) -> None:
        self._response = response
        self._path = path
        self._lock = threading.Lock()
        self._aborted = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        buffer = bytearray()
        try:
            for chunk in self._response.stream(amt=None, decode_content=True):
                buffer.extend(chunk)
                while True:
                    end = buffer.find(b"\n")
                    if end < 0:
                        break
                    line = bytes(buffer[:end])
                    del buffer[: end + 1]
                    if line.strip():
                        yield self._decode(line)
                if len(buffer) > MAX_LINE_BYTES:
                    raise KubeTransportError(
                        f"watch {self._path}: event larger than {MAX_LINE_BYTES} bytes"
                    )
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            if self._aborted:
                return
            raise KubeTransportError(f"watch {self._path}: {describe(exc)}") from None
        finally:
            self.close()
        if buffer.strip() and not self._aborted:
            yield self._decode(bytes(buffer))

    def _decode(self, line: bytes) -> dict[str, Any]:
        try:
            event = json.loads(line)
        except ValueError as exc:
            raise KubeTransportError(f"watch {self._path}: invalid JSON event: {exc}") from None
        if not isinstance(event, dict):
            raise KubeTransportError(f"watch {self._path}: event is not an object")
        return event

    def abort(self) -> None:
        """Unblock a reader in another thread (shuts the socket down, without closing it)."""
        with self._lock:
            self._aborted = True
            try:
                shutdown = getattr(self._response, "shutdown", None)
                if shutdown is not None:
                    shutdown()
                    return
                connection = getattr(self._response, "connection", None)
                sock = getattr(connection, "sock", None)
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        with contextlib.suppress(urllib3.exceptions.HTTPError, OSError):
            self._response.close()
        with contextlib.suppress(urllib3.exceptions.HTTPError, OSError):
            self._response.release_conn()


def status_error(status: dict[str, Any]) -> KubeApiError:
    """A KubeApiError from a ``Status`` object (an ERROR watch event, an error body)."""
    code = status.get("code")
    return KubeApiError(
        int(code) if isinstance(code, int) else 500,
        str(status.get("reason") or "Error"),
        str(status.get("message") or ""),
    )


def _api_error(status: int, reason: str | None, data: bytes) -> KubeApiError:
    try:
        body = json.loads(data) if data else None
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("kind") == "Status":
        error = status_error(body)
        return KubeApiError(status, error.reason, error.message)
    text = data.decode("utf-8", errors="replace").strip()[:500]
    return KubeApiError(status, reason or "Error", text)


def describe(exc: BaseException) -> str:
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
