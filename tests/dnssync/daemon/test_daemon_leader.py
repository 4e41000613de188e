"""LeaderElector on a real kube-apiserver: one leader at a time, takeover within the lease
duration, handover on release, 409 races, stepping down when the lease cannot be renewed
or was taken."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dnssync.daemon.leader import LeaderElector, LeaseSettings
from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.client import ClientSettings, connect
from dnssync.sources.kube.errors import KubeApiError
from testinfra.k8s import KubeCluster
from tests.dnssync.daemon.daemon_testkit import Cluster, Sampler, unique, wait_for

pytestmark = pytest.mark.k8s

LEASE = 3.0
RENEW = 2.0
RETRY = 0.5
NAMESPACE = "default"


class Candidate:
    def __init__(self, api: KubeApi, name: str, identity: str, **kw: Any) -> None:
        self.identity = identity
        self.events: list[tuple[str, float]] = []
        self.elector = LeaderElector(
            api,
            LeaseSettings(NAMESPACE, name, identity, LEASE, RENEW, RETRY),
            lambda: self.events.append(("started", time.monotonic())),
            lambda: self.events.append(("stopped", time.monotonic())),
            **kw,
        )

    def leads(self) -> bool:
        return self.elector.is_leader()


@pytest.fixture
def candidates(kube: KubeCluster) -> Iterator[Callable[..., Candidate]]:
    made: list[tuple[Candidate, KubeApi]] = []
    lease = unique("lease")

    def make(identity: str, *, start: bool = True, **kw: Any) -> Candidate:
        api = connect(ClientSettings(str(kube.kubeconfig_path)))
        candidate = Candidate(api, lease, identity, **kw)
        made.append((candidate, api))
        if start:
            candidate.elector.start()
        return candidate

    make.lease = lease  # type: ignore[attr-defined]
    yield make
    for candidate, api in made:
        candidate.elector.stop(release=False)
        api.close()


def leaders(*cs: Candidate) -> list[str]:
    return [c.identity for c in cs if c.leads()]


def test_two_candidates_one_leader(candidates: Callable[..., Candidate], cluster: Cluster) -> None:
    a, b = candidates("a"), candidates("b")
    first = wait_for("a leader", lambda: leaders(a, b), 10)
    with Sampler(lambda: leaders(a, b)) as sampler:
        time.sleep(3 * LEASE)  # several renewals
    assert all(len(s) <= 1 for s in sampler.samples)
    assert all(s == first for s in sampler.samples)  # no flapping while renewing
    lease = cluster.lease(NAMESPACE, candidates.lease)  # type: ignore[attr-defined]
    assert lease is not None
    assert lease["spec"]["holderIdentity"] == first[0]
    assert lease["spec"]["leaseDurationSeconds"] == int(LEASE)


def test_takeover_after_a_crash_within_the_lease_duration(
    candidates: Callable[..., Candidate],
) -> None:
    a = candidates("a")
    wait_for("a leads", a.leads, 10)
    b = candidates("b")
    time.sleep(1.0)  # b watches the lease being renewed
    assert leaders(a, b) == ["a"]
    a.elector.stop(release=False)  # as if killed: the Lease is not handed over
    stopped = time.monotonic()
    with Sampler(lambda: leaders(a, b)) as sampler:
        wait_for("b takes over", b.leads, LEASE + 3 * RETRY + 2)
    took = time.monotonic() - stopped
    # b must wait for the lease to run out on its own clock, and no longer than that.
    assert LEASE - 2 * RETRY <= took <= LEASE + 2 * RETRY + 1.0, took
    assert all(len(s) <= 1 for s in sampler.samples)


def test_release_hands_over_at_once(candidates: Callable[..., Candidate]) -> None:
    a = candidates("a")
    wait_for("a leads", a.leads, 10)
    b = candidates("b")
    time.sleep(1.0)
    a.elector.stop(release=True)
    released = time.monotonic()
    wait_for("b takes over", b.leads, 5)
    assert time.monotonic() - released <= RETRY + 1.0
    assert [e for e, _ in a.events] == ["started", "stopped"]


def test_concurrent_acquire_one_wins_the_other_gets_409(
    candidates: Callable[..., Candidate], kube: KubeCluster
) -> None:
    lease = candidates.lease  # type: ignore[attr-defined]
    kube.request(
        "POST",
        f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases",
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": lease},
            "spec": {
                "holderIdentity": "ghost",
                "leaseDurationSeconds": int(LEASE),
                "renewTime": "2020-01-01T00:00:00.000000Z",
            },
        },
    )
    now = [100.0]
    a = candidates("a", start=False, clock=lambda: now[0])
    b = candidates("b", start=False, clock=lambda: now[0])
    # Both see the ghost's lease first; its renewTime never moves, so it expires on our clock.
    assert not a.elector._try_acquire_or_renew()
    assert not b.elector._try_acquire_or_renew()
    now[0] += LEASE + 1
    barrier = threading.Barrier(2, timeout=10)
    conflicts: list[str] = []
    for c in (a, b):
        api = c.elector.api
        original = api.request

        def request(method: str, path: str, _orig: Any = original, **kw: Any) -> Any:
            if method == "PUT":
                barrier.wait()  # both have read the same resourceVersion
            try:
                return _orig(method, path, **kw)
            except KubeApiError as exc:
                if exc.status == 409:
                    conflicts.append(method)
                raise

        api.request = request  # type: ignore[method-assign]
    results: dict[str, bool] = {}
    threads = [
        threading.Thread(
            target=lambda c=c: results.__setitem__(c.identity, c.elector._try_acquire_or_renew())
        )
        for c in (a, b)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert sorted(results.values()) == [False, True]
    assert conflicts == ["PUT"]
    winner = next(k for k, v in results.items() if v)
    got = kube.request("GET", f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/{lease}")
    assert got["spec"]["holderIdentity"] == winner
    assert got["spec"]["leaseTransitions"] == 1


def test_a_taken_lease_stops_the_old_leader_at_once(
    candidates: Callable[..., Candidate], kube: KubeCluster
) -> None:
    a = candidates("a")
    wait_for("a leads", a.leads, 10)
    path = f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/{candidates.lease}"  # type: ignore[attr-defined]
    lease = kube.request("GET", path)
    lease["spec"]["holderIdentity"] = "usurper"
    lease["spec"]["leaseDurationSeconds"] = 60
    kube.request("PUT", path, lease)
    taken = time.monotonic()
    wait_for("a steps down", lambda: not a.leads(), RETRY + 2)
    assert time.monotonic() - taken <= RETRY + 1.5
    assert [e for e, _ in a.events] == ["started", "stopped"]


def test_a_leader_that_cannot_renew_stops_before_the_lease_runs_out(
    candidates: Callable[..., Candidate],
) -> None:
    a = candidates("a")
    wait_for("a leads", a.leads, 10)
    api = a.elector.api
    original = api.request

    def hanging(method: str, path: str, **kw: Any) -> Any:
        time.sleep(kw.get("timeout") or 5)  # an apiserver that never answers
        raise KubeApiError(504, "Gateway Timeout", "no answer")

    api.request = hanging  # type: ignore[method-assign]
    last_renew = a.elector._last_renew
    wait_for("a stops writing", lambda: not a.leads(), RENEW + 1)
    # is_leader() goes false on the clock, even while the elector thread is stuck.
    assert time.monotonic() - last_renew <= RENEW + 0.6
    assert time.monotonic() - last_renew < LEASE
    api.request = original  # type: ignore[method-assign]
    wait_for("a leads again", a.leads, 10)
    assert [e for e, _ in a.events] == ["started", "stopped", "started"]


def test_apiserver_outage_steps_down_then_leads_again(
    candidates: Callable[..., Candidate], kube: KubeCluster
) -> None:
    a = candidates("a")
    wait_for("a leads", a.leads, 10)
    kube.stop_apiserver()
    try:
        wait_for("a steps down", lambda: not a.leads(), RENEW + 1)
        wait_for("the stopped callback", lambda: len(a.events) == 2, RENEW + RETRY + 5)
    finally:
        kube.start_apiserver()
    wait_for("a leads again", a.leads, 30)
    assert [e for e, _ in a.events] == ["started", "stopped", "started"]
