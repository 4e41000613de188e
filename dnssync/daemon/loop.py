"""The reconcile worker: one thread, so reconciles never overlap.

Source events wake it; it waits ``debounce`` for more to arrive, then runs an event-driven
reconcile. An apscheduler interval job (with jitter) asks for a full resync. Failures back
off exponentially (capped) and are retried; nothing here ever exits the process.
"""

from __future__ import annotations

import logging
import random
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from .reconciler import Outcome, Reconciler

log = logging.getLogger(__name__)

MAX_BACKOFF = 60.0


class ReconcileLoop:
    def __init__(
        self,
        reconciler: Reconciler,
        *,
        debounce: float,
        interval: float,
        jitter: float,
        may_run: threading.Event | None = None,
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
        self._events = 0
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

    def notify(self, *_: object) -> None:
        """A source object changed (called on source threads: cheap)."""
        with self._lock:
            self._events += 1
        self._wake.set()

    def request_full(self) -> None:
        with self._lock:
            self._full_requested = True
        self._wake.set()

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
                full, events = self._full_requested, self._events
                self._full_requested, self._events = False, 0
                self._wake.clear()
            if not (full or events):
                continue
            outcome = self.reconciler.full() if full else self.reconciler.targeted()
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
            # An unsafe plan waits for the next scheduled resync (design section 5).
            return
        self._failures = 0
        if outcome.applied:
            log.info("%s reconcile applied %d change group(s)", outcome.kind, outcome.applied)
