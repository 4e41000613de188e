"""Problems found in source objects: a log line when one appears, an Event in the background.
Records published for an object: a Normal Event, by the same thread (the log line is the
one ``apply_plan`` writes per change).

Every reconcile hands over all current diagnostics. A problem is logged when it appears
(and again if it went away and came back), not on every reconcile. Events are written by a
thread of their own, newest set only, so a slow or unreachable apiserver never delays a
DNS write (the recorder itself remembers what it sent and rate-limits).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from dnssync.model.diagnostics import Diagnostic
from dnssync.model.publications import Publication

log = logging.getLogger(__name__)

Recorder = Callable[[Sequence[Diagnostic]], object]
PublicationRecorder = Callable[[Sequence[Publication]], object]
# Publications waiting for the Event thread; beyond this the oldest are dropped.
MAX_PENDING_PUBLICATIONS = 10_000


class DiagnosticsReporter:
    def __init__(
        self,
        recorder: Recorder | None = None,
        publication_recorder: PublicationRecorder | None = None,
    ) -> None:
        self._recorder = recorder
        self._publication_recorder = publication_recorder
        self._seen: set[Diagnostic] = set()
        self._pending: tuple[Diagnostic, ...] | None = None
        self._published: list[Publication] = []
        self._cond = threading.Condition()
        self._stopped = False
        self._busy = False
        self._thread: threading.Thread | None = None
        if recorder is not None:
            self._thread = threading.Thread(target=self._run, name="dnssync-events", daemon=True)
            self._thread.start()

    def __call__(self, diagnostics: Sequence[Diagnostic]) -> None:
        current = set(diagnostics)
        for diagnostic in diagnostics:
            if diagnostic not in self._seen:
                log.warning("%s", diagnostic)
        self._seen = current
        if self._recorder is not None:
            with self._cond:
                self._pending = tuple(diagnostics)
                self._cond.notify()

    def published(self, publications: Sequence[Publication]) -> None:
        """Records written for objects: Normal Events, sent by the Event thread."""
        if self._publication_recorder is None or self._thread is None:
            return
        with self._cond:
            self._published.extend(publications)
            del self._published[:-MAX_PENDING_PUBLICATIONS]
            self._cond.notify()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """True once everything handed over has been recorded (tests)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._pending is None and not self._published and not self._busy, timeout
            )

    def _run(self) -> None:
        assert self._recorder is not None
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda: self._pending is not None or bool(self._published) or self._stopped
                )
                if self._stopped:
                    return
                batch, self._pending = self._pending, None
                published, self._published = self._published, []
                self._busy = True
            try:
                if batch is not None:
                    self._recorder(batch)
                if published and self._publication_recorder is not None:
                    self._publication_recorder(published)
            except Exception:
                log.exception("recording Events failed")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
