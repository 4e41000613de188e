"""Writing many objects to the apiserver fast: a bounded number of worker threads, each
with its own keep-alive HTTPS connection (a new TLS handshake per request, as
``KubeCluster.request`` does, costs more than the request itself).

    writer = BulkWriter(kube, workers=16)
    seconds = writer.run(count, lambda api, i: api.request("POST", path, body(i)))
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from testinfra.k8s import KubeApiError, KubeCluster

MERGE = "application/merge-patch+json"


class Connection:
    """One keep-alive connection to the apiserver (one thread's)."""

    def __init__(self, kube: KubeCluster, context: ssl.SSLContext, timeout: float = 60) -> None:
        self.kube = kube
        self.context = context
        self.timeout = timeout
        self._conn: http.client.HTTPSConnection | None = None

    def _connect(self) -> http.client.HTTPSConnection:
        if self._conn is None:
            self._conn = http.client.HTTPSConnection(
                "127.0.0.1", self.kube.apiserver_port, timeout=self.timeout, context=self.context
            )
        return self._conn

    def request(
        self, method: str, path: str, body: Any, content_type: str = "application/json"
    ) -> Any:
        data = json.dumps(body).encode()
        headers = {
            "Authorization": f"Bearer {self.kube.admin_token}",
            "Accept": "application/json",
            "Content-Type": content_type,
        }
        for attempt in (1, 2):  # the server may close an idle keep-alive connection
            conn = self._connect()
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                raw = response.read()
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.status == 409 and method == "POST" and attempt == 2:
                return None  # the first attempt did create it
            if response.status >= 400:
                raise KubeApiError(response.status, response.reason, raw.decode(errors="replace"))
            return json.loads(raw) if raw else None
        return None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class BulkWriter:
    def __init__(self, kube: KubeCluster, workers: int = 16) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.kube = kube
        self.workers = workers
        context = ssl.create_default_context(cafile=str(kube.ca_path))
        # As testinfra.k8s: the apiserver's self-generated cert is fine but not X.509-strict.
        context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
        self.context = context

    def run(self, count: int, job: Callable[[Connection, int], None]) -> float:
        """``job(connection, i)`` for i in 0..count-1 on ``workers`` threads (at most that
        many requests in flight); the first error is raised once all threads stopped.
        Returns the seconds taken."""
        indexes: Iterator[int] = iter(range(count))
        lock = threading.Lock()
        errors: list[BaseException] = []

        def work() -> None:
            api = Connection(self.kube, self.context)
            try:
                while not errors:
                    with lock:
                        i = next(indexes, None)
                    if i is None:
                        return
                    job(api, i)
            except BaseException as exc:  # handed to the caller below
                errors.append(exc)
            finally:
                api.close()

        started = time.monotonic()
        threads = [
            threading.Thread(target=work, name=f"bulk-{n}", daemon=True)
            for n in range(min(self.workers, max(count, 1)))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return time.monotonic() - started
