"""One reflector: list, then watch from the list's resourceVersion, in a thread.

* every watch has a server ``timeoutSeconds`` and a client read timeout;
* BOOKMARK events advance the resourceVersion (they arrive as plain dicts);
* 410 Gone (an HTTP answer or an ERROR event) relists, and the relist replaces the scope
  atomically, reporting only the differences;
* other errors back off with jitter and retry (the watch from the last resourceVersion, or
  the list when it has never succeeded);
* :meth:`stop` ends the thread promptly, also while it is blocked reading a watch.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from dnssync.sources.kube.api import KubeApi, WatchStream, status_error
from dnssync.sources.kube.backoff import Retries, retries
from dnssync.sources.kube.changes import ObjectChange
from dnssync.sources.kube.entries import to_entry
from dnssync.sources.kube.errors import KubeApiError, KubeError
from dnssync.sources.kube.failures import failure_message
from dnssync.sources.kube.lister import ListTarget, list_target
from dnssync.sources.kube.settings import WatchSettings
from dnssync.sources.kube.store import Scope, Store

log = logging.getLogger(__name__)

ChangeSink = Callable[[list[ObjectChange]], None]

# A 410 this soon after a list means the watch cannot keep up: back off before relisting.
QUICK_GONE_SECONDS = 1.0


class Reflector:
    def __init__(
        self,
        api: KubeApi,
        target: ListTarget,
        store: Store,
        settings: WatchSettings,
        on_changes: ChangeSink,
        on_state: Callable[[], None],
        rng: random.Random | None = None,
    ) -> None:
        self.api = api
        self.target = target
        self.store = store
        self.settings = settings
        self.scope = Scope(target.resource.qualified, target.namespace, target.field_selector)
        self._on_changes = on_changes
        self._on_state = on_state
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stream: WatchStream | None = None
        self._stream_lock = threading.Lock()
        # State, read by the source (plain attribute reads are atomic).
        self.synced = False
        self.error: KubeError | None = None
        self.error_verb = "list"
        self.error_at = 0.0
        self.resource_version = ""
        self.lists = 0
        self.watches = 0
        self.last_list_at = 0.0

    # ------------------------------------------------------------------ lifecycle

    @property
    def name(self) -> str:
        return self.target.describe()

    def start(self) -> None:
        if self._thread is not None:
            return
        where = self.target.namespace or "all"
        self._thread = threading.Thread(
            target=self._run, name=f"dnssync-{self.target.resource.key}-{where}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end; unblocks a pending watch read."""
        self._stop.set()
        with self._stream_lock:
            if self._stream is not None:
                self._stream.abort()

    def join(self, timeout: float) -> bool:
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # ------------------------------------------------------------------ the loop

    def _run(self) -> None:
        backoff = retries(self.settings.backoff, self._rng)
        while not self._stop.is_set():
            try:
                if not self.resource_version:
                    self.resource_version = self._relist()
                self.resource_version = self._watch(self.resource_version, backoff)
            except KubeApiError as exc:
                if exc.gone:
                    quick = time.monotonic() - self.last_list_at < QUICK_GONE_SECONDS
                    log.info("%s: %s; relisting", self.name, exc)
                    self.resource_version = ""
                    if quick:
                        self._stop.wait(backoff.next())
                    continue
                self._failed(exc, backoff)
            except KubeError as exc:
                self._failed(exc, backoff)
            except Exception as exc:  # a bug must not kill the watch silently
                log.exception("%s: unexpected error", self.name)
                self._failed(KubeError(f"{type(exc).__name__}: {exc}"), backoff)
        log.debug("%s: stopped", self.name)

    def _relist(self) -> str:
        self.error_verb = "list"
        result = list_target(self.api, self.target, self.settings)
        self.last_list_at = time.monotonic()
        self.lists += 1
        changes = self.store.replace(self.scope, result.entries)
        recovered = self.error is not None
        self.synced = True
        self.error = None
        if recovered:
            log.warning("%s: listed again (%d objects)", self.name, len(result.entries))
        else:
            log.info(
                "%s: listed %d objects at resourceVersion %s",
                self.name,
                len(result.entries),
                result.resource_version,
            )
        self._on_state()
        if changes:
            self._on_changes(changes)
        return result.resource_version

    def _watch(self, resource_version: str, backoff: Retries) -> str:
        self.error_verb = "watch"
        timeout = max(1, round(self.settings.watch_timeout * self._rng.uniform(0.9, 1.1)))
        query = [
            ("watch", "1"),
            ("resourceVersion", resource_version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(timeout)),
        ]
        if self.target.label_selector:
            query.append(("labelSelector", self.target.label_selector))
        if self.target.field_selector:
            query.append(("fieldSelector", self.target.field_selector))
        stream = self.api.watch(
            self.target.resource.path(self.target.namespace),
            query,
            read_timeout=timeout + self.settings.watch_read_margin,
        )
        with self._stream_lock:
            self._stream = stream
        if self._stop.is_set():
            stream.abort()
        self.watches += 1
        if self.error is not None:
            log.warning("%s: watching again", self.name)
            self.error = None
            self.synced = True
            self._on_state()
        backoff.reset()
        try:
            for event in stream:
                if self._stop.is_set():
                    break
                resource_version = self._handle(event, resource_version)
        finally:
            with self._stream_lock:
                self._stream = None
            stream.close()
        return resource_version

    def _handle(self, event: dict[str, Any], resource_version: str) -> str:
        kind = event.get("type")
        obj = event.get("object")
        if not isinstance(obj, dict):
            return resource_version
        if kind == "ERROR":
            raise status_error(obj)
        meta = obj.get("metadata")
        new_version = str(meta.get("resourceVersion") or "") if isinstance(meta, dict) else ""
        if kind in ("ADDED", "MODIFIED", "DELETED"):
            found = to_entry(self.target.resource, obj, self.target.annotation_filter)
            if found is not None:
                key, entry = found
                change = self.store.apply(self.scope, key, None if kind == "DELETED" else entry)
                if change is not None:
                    self._on_changes([change])
        # BOOKMARK, or an object event: either way the position moves on.
        return new_version or resource_version

    def _failed(self, error: KubeError, backoff: Retries) -> None:
        if self._stop.is_set():
            return
        first = self.error is None or str(self.error) != str(error)
        self.error = error
        self.error_at = time.time()
        if isinstance(error, KubeApiError) and error.denied:
            self.synced = False  # stale and unfixable by retrying: nothing may be deleted
        elif not self.resource_version:
            self.synced = False
        self._on_state()
        delay = backoff.next()
        message = failure_message(self.target, error, self.error_verb)
        if first:
            log.warning("%s; retrying in %.1fs", message, delay)
        else:
            log.debug("%s; retrying in %.1fs", message, delay)
        self._stop.wait(delay)
