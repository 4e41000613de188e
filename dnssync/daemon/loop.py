"""The reconcile worker: one thread, so reconciles never overlap.

Source events (the sources' :class:`ObjectChange` values) wake it; it waits ``debounce``
for more to arrive, then hands the changes, coalesced per object (the newest state of each
wins), to an event-driven reconcile. At most ``max_pending`` objects are held: past that,
or once a full resync is asked for, the changes are dropped and a full resync (which reads
a snapshot of the source, so misses nothing) runs instead. An apscheduler interval job
(with jitter) asks for a full resync. Failures back off exponentially (capped) and are
retried; nothing here ever exits the process.
"""

from __future__ import annotations

import logging
import random
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from dnssync.sources.kube.changes import ObjectChange, ObjectKey

from .reconciler import Outcome, Reconciler

log = logging.getLogger(__name__)

MAX_BACKOFF = 60.0
MAX_PENDING = 10_000


class ReconcileLoop:
    def __init__(
        self,
        reconciler: Reconciler,
        *,
        debounce: float,
        interval: float,
        jitter: float,
        may_run: threading.Event | None = None,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.reconciler = reconciler
        self.debounce = debounce
        self.interval = interval
        self.jitter = jitter
        # Set while this replica may reconcile (always, without leader election).
        self.may_run = may_run or threading.Event()
        if may_run is None:
            self.may_run.set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.max_pending = max_pending
        self._changes: dict[ObjectKey, ObjectChange] = {}
        self._full_requested = True
        self._lock = threading.Lock()
        self._failures = 0
        self._thread = threading.Thread(target=self._run, name="dnssync-reconcile", daemon=True)
        self._scheduler = BackgroundScheduler(daemon=True)
        self._started = False

    def start(self) -> None:
        self._started = True
        self._scheduler.add_job(
            self.request_full,
            IntervalTrigger(seconds=self.interval, jitter=self.jitter),
            id="full-resync",
            max_instances=1,
            coalesce=True,
        )
        self._scheduler.start()
        self._wake.set()  # the first full resync, even when no source event ever comes
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Let the in-flight reconcile finish (bounded), then stop. False if it did not
        finish in time (it is abandoned: the thread is a daemon thread)."""
        self._stop.set()
        self._wake.set()
        if not self._started:
            return True
        self._scheduler.shutdown(wait=False)
        self._thread.join(timeout=timeout)
        if self._thread.is_alive():
            log.warning("the in-flight reconcile did not finish in %.0fs; abandoning it", timeout)
            return False
        return True

    def notify(self, change: ObjectChange) -> None:
        """A source object changed (called on source threads: cheap)."""
        with self._lock:
            # A full resync reads the whole source after this: nothing to keep.
            if not self._full_requested:
                self._changes[change.key] = change
                if len(self._changes) > self.max_pending:
                    log.info(
                        "more than %d objects changed before a reconcile: a full resync",
                        self.max_pending,
                    )
                    self._changes = {}
                    self._full_requested = True
        self._wake.set()

    def request_full(self) -> None:
        with self._lock:
            self._full_requested = True
            self._changes = {}
        self._wake.set()

    @property
    def pending(self) -> int:
        """Objects changed since the last reconcile took its changes."""
        with self._lock:
            return len(self._changes)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                return
            if not self.may_run.is_set():
                self._wake.clear()
                # Woken again when leadership comes (request_full) or on the next event.
                continue
            self._stop.wait(self.debounce)  # gather the burst of events
            with self._lock:
                full, changes = self._full_requested, list(self._changes.values())
                self._full_requested, self._changes = False, {}
                self._wake.clear()
            if not (full or changes):
                continue
            outcome = self.reconciler.full() if full else self.reconciler.targeted(changes)
            self._after(outcome)

    def _after(self, outcome: Outcome) -> None:
        if outcome.result in ("error", "unsafe"):
            self._failures += 1
            delay = min(MAX_BACKOFF, 0.5 * 2 ** min(self._failures, 8))
            delay *= random.uniform(0.8, 1.2)
            if outcome.result == "error":
                log.warning(
                    "%s reconcile failed (%s); retrying in %.1fs",
                    outcome.kind,
                    outcome.message,
                    delay,
                )
                # The retry re-reads provider state: the cache may be stale.
                self._stop.wait(delay)
                self.request_full()
            # An unsafe plan waits for the next scheduled resync (docs/safety.md).
            return
        self._failures = 0
        if outcome.applied:
            log.info("%s reconcile applied %d change group(s)", outcome.kind, outcome.applied)
