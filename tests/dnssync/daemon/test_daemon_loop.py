"""ReconcileLoop: one worker thread, debounce and coalescing (per object, bounded),
scheduled full resyncs, backoff after errors, pausing while not the leader, bounded stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

import pytest

from dnssync.daemon.loop import ReconcileLoop
from dnssync.daemon.reconciler import Outcome
from dnssync.sources.kube.changes import ObjectChange
from tests.dnssync.daemon.daemon_testkit import service, wait_for


def change(name: str = "web", ip: str = "192.0.2.1") -> ObjectChange:
    """An update of Service apps/<name> to a new address."""
    key = ("service", "apps", name)
    return ObjectChange("service", key, None, service(name, f"{name}.example.com", ip))


class FakeReconciler:
    """Records each call; ``script`` gives the next results (default success)."""

    def __init__(self, duration: float = 0.0) -> None:
        self.calls: list[tuple[str, float]] = []
        self.changes: list[list[ObjectChange]] = []
        self.script: list[str] = []
        self.duration = duration
        self.running = threading.Event()
        self.overlap = False
        self._active = 0
        self._lock = threading.Lock()

    def _run(self, kind: str) -> Outcome:
        with self._lock:
            self._active += 1
            self.overlap |= self._active > 1
        self.running.set()
        self.calls.append((kind, time.monotonic()))
        time.sleep(self.duration)
        result = self.script.pop(0) if self.script else "success"
        with self._lock:
            self._active -= 1
        return Outcome(kind, result, message="scripted" if result != "success" else "")

    def full(self) -> Outcome:
        return self._run("full")

    def targeted(self, changes: Sequence[ObjectChange] = ()) -> Outcome:
        self.changes.append(list(changes))
        return self._run("targeted")

    def kinds(self) -> list[str]:
        return [k for k, _ in self.calls]


@pytest.fixture
def fake() -> FakeReconciler:
    return FakeReconciler()


@pytest.fixture
def make_loop(fake: FakeReconciler) -> Iterator:  # type: ignore[type-arg]
    loops: list[ReconcileLoop] = []

    def make(**kwargs: object) -> ReconcileLoop:
        options: dict[str, object] = {"debounce": 0.05, "interval": 3600.0, "jitter": 0.0}
        options.update(kwargs)
        loop = ReconcileLoop(fake, **options)  # type: ignore[arg-type]
        loops.append(loop)
        return loop

    yield make
    for loop in loops:
        assert loop.stop(timeout=10)


def test_starts_with_a_full_resync(fake: FakeReconciler, make_loop) -> None:  # type: ignore[no-untyped-def]
    loop = make_loop()
    loop.start()
    wait_for("the first reconcile", lambda: fake.calls, 5)
    time.sleep(0.2)
    assert fake.kinds() == ["full"]


def test_a_burst_of_events_is_one_targeted_reconcile(fake: FakeReconciler, make_loop) -> None:  # type: ignore[no-untyped-def]
    loop = make_loop(debounce=0.3)
    loop.start()
    wait_for("the first reconcile", lambda: fake.calls, 5)
    time.sleep(0.4)
    started = time.monotonic()
    for _ in range(200):
        loop.notify(change())
    wait_for("a targeted reconcile", lambda: len(fake.calls) == 2, 5)
    time.sleep(0.5)
    assert fake.kinds() == ["full", "targeted"]
    waited = fake.calls[1][1] - started
    assert 0.3 <= waited < 0.8, waited  # the debounce, counted from the first event


def test_changes_are_coalesced_per_object_newest_first(fake: FakeReconciler, make_loop) -> None:  # type: ignore[no-untyped-def]
    loop = make_loop(debounce=0.3)
    loop.start()
    wait_for("the first reconcile", lambda: fake.calls, 5)
    time.sleep(0.4)
    for i in range(100):
        loop.notify(change("web", f"192.0.2.{i}"))
        loop.notify(change("api", f"198.51.100.{i}"))
    wait_for("a targeted reconcile", lambda: len(fake.calls) == 2, 5)
    assert fake.kinds() == ["full", "targeted"]
    handed = {c.key[2]: c.after for c in fake.changes[0]}
    assert set(handed) == {"web", "api"}
    assert handed["web"] == change("web", "192.0.2.99").after
    assert handed["api"] == change("api", "198.51.100.99").after
    assert loop.pending == 0


def test_too_many_pending_changes_become_a_full_resync(fake: FakeReconciler, make_loop) -> None:  # type: ignore[no-untyped-def]
    loop = make_loop(debounce=0.3, max_pending=5)
    loop.start()
    wait_for("the first reconcile", lambda: fake.calls, 5)
    time.sleep(0.4)
    for i in range(20):
        loop.notify(change(f"s{i}"))
    assert loop.pending == 0  # dropped: the full resync reads the source itself
    wait_for("a second reconcile", lambda: len(fake.calls) == 2, 5)
    time.sleep(0.4)
    assert fake.kinds() == ["full", "full"]
    assert fake.changes == []


def test_events_during_a_reconcile_are_coalesced_into_one_more(make_loop) -> None:  # type: ignore[no-untyped-def]
    slow = FakeReconciler(duration=0.5)
    loop = ReconcileLoop(slow, debounce=0.02, interval=3600.0, jitter=0.0)  # type: ignore[arg-type]
    loop.start()
    try:
        wait_for("the first reconcile", lambda: slow.calls, 5)
        for _ in range(50):  # all while the full resync runs
            loop.notify(change())
        wait_for("the follow-up", lambda: len(slow.calls) == 2, 5)
        time.sleep(0.8)
        assert slow.kinds() == ["full", "targeted"]
        assert not slow.overlap
    finally:
        assert loop.stop(timeout=10)


def test_full_resync_request_wins_over_events(fake: FakeReconciler, make_loop) -> None:  # type: ignore[no-untyped-def]
    loop = make_loop()
    loop.start()
    wait_for("the first reconcile", lambda: fake.calls, 5)
    time.sleep(0.1)
    loop.notify(change())
    loop.request_full()
    wait_for("a second reconcile", lambda: len(fake.calls) == 2, 5)
    time.sleep(0.2)
    assert fake.kinds() == ["full", "full"]


def test_scheduled_full_resyncs(fake: FakeReconciler, make_loop) -> None:  # type: ignore[no-untyped-def]
    loop = make_loop(interval=0.5)
    loop.start()
    time.sleep(1.8)
    kinds = fake.kinds()
    assert set(kinds) == {"full"}
    assert 2 <= len(kinds) <= 5, kinds  # the first, then one per interval


def test_errors_back_off_then_retry_with_a_full_resync(fake: FakeReconciler, make_loop) -> None:  # type: ignore[no-untyped-def]
    fake.script = ["error", "error"]
    loop = make_loop()
    loop.start()
    wait_for("three reconciles", lambda: len(fake.calls) >= 3, 10)
    assert fake.kinds()[:3] == ["full", "full", "full"]
    gaps = [b[1] - a[1] for a, b in zip(fake.calls, fake.calls[1:], strict=False)]
    # 0.5 * 2**n with +-20% jitter: about 1 s, then about 2 s.
    assert 0.75 <= gaps[0] <= 1.7, gaps
    assert 1.5 <= gaps[1] <= 3.0, gaps


def test_unsafe_is_not_retried_until_the_next_event_or_resync(
    fake: FakeReconciler, make_loop
) -> None:  # type: ignore[no-untyped-def]
    fake.script = ["unsafe"]
    loop = make_loop()
    loop.start()
    wait_for("the first reconcile", lambda: fake.calls, 5)
    time.sleep(1.5)
    assert fake.kinds() == ["full"]
    loop.notify(change())
    wait_for("the event's reconcile", lambda: len(fake.calls) == 2, 5)
    assert fake.kinds() == ["full", "targeted"]


def test_nothing_runs_while_not_the_leader(fake: FakeReconciler, make_loop) -> None:  # type: ignore[no-untyped-def]
    leading = threading.Event()
    loop = make_loop(may_run=leading, interval=0.2)
    loop.start()
    for _ in range(5):
        loop.notify(change())
    time.sleep(0.8)  # events and scheduled resyncs while standing by
    assert fake.calls == []
    leading.set()
    loop.request_full()  # what the elector's on_started does
    wait_for("a reconcile once leading", lambda: fake.calls, 5)
    assert fake.kinds()[0] == "full"
    leading.clear()
    time.sleep(0.3)
    count = len(fake.calls)
    loop.notify(change())
    time.sleep(0.5)
    assert len(fake.calls) == count


def test_stop_finishes_the_in_flight_reconcile() -> None:
    slow = FakeReconciler(duration=0.6)
    loop = ReconcileLoop(slow, debounce=0.01, interval=3600.0, jitter=0.0)  # type: ignore[arg-type]
    loop.start()
    assert slow.running.wait(5)
    started = time.monotonic()
    assert loop.stop(timeout=5)  # waited for it
    assert time.monotonic() - started >= 0.4
    assert slow.kinds() == ["full"]


def test_stop_abandons_a_reconcile_that_hangs() -> None:
    stuck = FakeReconciler(duration=3.0)
    loop = ReconcileLoop(stuck, debounce=0.01, interval=3600.0, jitter=0.0)  # type: ignore[arg-type]
    loop.start()
    assert stuck.running.wait(5)
    started = time.monotonic()
    assert not loop.stop(timeout=0.3)
    assert time.monotonic() - started < 1.5


def test_stop_before_start_is_fine(fake: FakeReconciler) -> None:
    loop = ReconcileLoop(fake, debounce=0.01, interval=3600.0, jitter=0.0)  # type: ignore[arg-type]
    assert loop.stop(timeout=1)
    assert fake.calls == []
