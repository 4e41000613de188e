"""ClusterSource on a real apiserver: changes, filters, sync state, restarts, stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from dnssync.model.refs import ObjectRef
from dnssync.sources.filters import ObjectFilter, parse_selector
from dnssync.sources.kube import ClusterSource, ObjectChange, WatchSettings
from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.backoff import Backoff
from dnssync.sources.objects import BackendServiceObject, ServiceObject
from testinfra.k8s import KubeCluster
from tests.dnssync.sources.kube.kube_testkit import Objects, eventually

pytestmark = pytest.mark.k8s

FAST = WatchSettings(watch_timeout=5, watch_read_margin=5, backoff=Backoff(base=0.2, cap=1.0))


class Recorder:
    def __init__(self) -> None:
        self.changes: list[ObjectChange] = []
        self._lock = threading.Lock()

    def __call__(self, change: ObjectChange) -> None:
        with self._lock:
            self.changes.append(change)

    def of(self, key: tuple[str, str, str]) -> list[ObjectChange]:
        with self._lock:
            return [c for c in self.changes if c.key == key]


@pytest.fixture
def source_factory(api: KubeApi) -> Iterator[object]:
    started: list[ClusterSource] = []

    def make(**kwargs: object) -> tuple[ClusterSource, Recorder]:
        kwargs.setdefault("settings", FAST)
        source = ClusterSource(api, **kwargs)  # type: ignore[arg-type]
        recorder = Recorder()
        source.add_listener(recorder)
        source.start()
        started.append(source)
        assert source.wait_synced(30), source.last_error
        return source, recorder

    yield make
    for source in started:
        source.stop()


def addresses(source: ClusterSource, ns: str, name: str) -> list[str] | None:
    for obj in source.snapshot().objects:
        if isinstance(obj, ServiceObject) and obj.ref == ObjectRef("service", ns, name):
            return [str(a.ip or a.hostname) for a in obj.addresses]
    return None


def test_changes_add_update_delete_and_no_noise(objects: Objects, ns: str, source_factory) -> None:
    source, recorder = source_factory(object_filter=ObjectFilter(namespaces=(ns,)))
    key = ("service", ns, "web")
    path = f"/api/v1/namespaces/{ns}/services/web"
    objects.service(ns, "web", annotations={"dnssync.io/hostname": "web.example.com"})
    eventually(lambda: len(recorder.of(key)) == 1)
    assert recorder.of(key)[0].action == "add"

    objects.service_ingress(ns, "web", [{"ip": "192.0.2.1"}])
    eventually(lambda: len(recorder.of(key)) == 2)
    update = recorder.of(key)[1]
    assert update.action == "update" and update.kind == "service"
    assert isinstance(update.after, ServiceObject) and update.before is not None
    assert [str(a.ip) for a in update.after.addresses] == ["192.0.2.1"]
    assert addresses(source, ns, "web") == ["192.0.2.1"]

    # changes the rules cannot see are not reported: another annotation, a spec field
    objects.patch(path, {"metadata": {"annotations": {"owner": "team-a"}}})
    objects.patch(path, {"spec": {"sessionAffinity": "ClientIP"}})
    # ... but a projected field is (and proves the watch got past the two above)
    objects.patch(path, {"metadata": {"labels": {"tier": "front"}}})
    eventually(lambda: len(recorder.of(key)) == 3)
    assert recorder.of(key)[2].after.labels == (("tier", "front"),)  # type: ignore[union-attr]

    # no longer a LoadBalancer: no addresses of its own; annotated, it stays as a Service
    # an ingress controller may expose (docs/sources/ingress-nginx.md)
    objects.patch(path, {"spec": {"type": "ClusterIP"}})
    eventually(lambda: len(recorder.of(key)) == 4)
    assert recorder.of(key)[3].action == "update"
    assert isinstance(recorder.of(key)[3].after, BackendServiceObject)
    assert addresses(source, ns, "web") is None

    objects.patch(path, {"spec": {"type": "LoadBalancer"}})
    eventually(lambda: len(recorder.of(key)) == 5)
    objects.delete(path)
    eventually(lambda: len(recorder.of(key)) == 6)
    assert recorder.of(key)[5].action == "delete"
    snapshot = source.snapshot()
    assert snapshot.complete
    assert not any(getattr(o, "ref", None) == ObjectRef(*key) for o in snapshot.objects)


def test_filters(objects: Objects, ns: str, source_factory) -> None:
    other = objects.namespace()
    for namespace in (ns, other):
        objects.service(
            namespace,
            "a",
            labels={"team": "dns"},
            annotations={"publish": "yes"},
            ingress=[{"ip": "192.0.2.1"}],
        )
        objects.service(namespace, "b", labels={"team": "web"}, ingress=[{"ip": "192.0.2.2"}])
        objects.service(
            namespace,
            "c",
            labels={"team": "dns"},
            annotations={"publish": "no"},
            ingress=[{"ip": "192.0.2.3"}],
        )
    object_filter = ObjectFilter(
        namespaces=(ns,),
        label_selector=parse_selector("team=dns"),
        annotation_selector=parse_selector("publish=yes"),
    )
    source, _ = source_factory(object_filter=object_filter, sources=("service",))
    names = {(o.ref.namespace, o.ref.name) for o in source.snapshot().objects}  # type: ignore[union-attr]
    assert names == {(ns, "a")}
    # one watch per namespace, with the label selector sent to the server
    (reflector,) = source._reflectors
    assert reflector.target.namespace == ns
    assert reflector.target.label_selector == "team=dns"

    # an object starting to match the selector arrives through the watch
    objects.patch(
        f"/api/v1/namespaces/{ns}/services/b",
        {"metadata": {"labels": {"team": "dns"}, "annotations": {"publish": "yes"}}},
    )
    eventually(lambda: addresses(source, ns, "b") == ["192.0.2.2"])
    # ... and one stopping to match goes away
    objects.patch(f"/api/v1/namespaces/{ns}/services/a", {"metadata": {"labels": {"team": "x"}}})
    eventually(lambda: addresses(source, ns, "a") is None)


def test_unreadable_object_is_reported_and_kept(objects: Objects, ns: str, source_factory) -> None:
    source, _ = source_factory(object_filter=ObjectFilter(namespaces=(ns,)))
    # a Gateway address of a type dnssync cannot use: reported, its records are kept
    objects.gateway(
        ns,
        "odd",
        [{"name": "web", "port": 80, "protocol": "HTTP"}],
        [{"type": "NamedAddress", "value": "pool-a"}],
    )
    eventually(lambda: f"gateway/{ns}/odd" in source.snapshot().unreadable)
    snapshot = source.snapshot()
    assert snapshot.complete
    (problem,) = [d for d in snapshot.diagnostics if d.ref == ObjectRef("gateway", ns, "odd")]
    assert problem.field == "status.addresses[0].type"
    assert "NamedAddress" in problem.message
    # status() says the same without the objects (kept up to date from the changes)
    assert source.status() == snapshot.status
    # ... and follows the object when it becomes readable again
    objects.patch(
        f"/apis/gateway.networking.k8s.io/v1/namespaces/{ns}/gateways/odd/status",
        {"status": {"addresses": [{"type": "IPAddress", "value": "192.0.2.9"}]}},
    )
    eventually(lambda: not source.status().unreadable)
    assert source.status() == source.snapshot().status


def test_apiserver_restart_watches_resume(
    kube_cluster: KubeCluster, objects: Objects, ns: str, source_factory
) -> None:
    source, recorder = source_factory(object_filter=ObjectFilter(namespaces=(ns,)))
    objects.service(ns, "before", ingress=[{"ip": "192.0.2.1"}])
    eventually(lambda: addresses(source, ns, "before") == ["192.0.2.1"])

    kube_cluster.stop_apiserver()
    eventually(lambda: source.last_error is not None, timeout=20)
    assert "cannot watch" in (source.last_error or "")
    # the cache is kept while the apiserver is away: no "everything deleted"
    snapshot = source.snapshot()
    assert addresses(source, ns, "before") == ["192.0.2.1"]
    assert snapshot.complete
    kube_cluster.start_apiserver()

    objects.service(ns, "after", ingress=[{"ip": "192.0.2.2"}])
    objects.service_ingress(ns, "before", [{"ip": "192.0.2.3"}])
    eventually(lambda: addresses(source, ns, "after") == ["192.0.2.2"], timeout=60)
    eventually(lambda: addresses(source, ns, "before") == ["192.0.2.3"], timeout=30)
    eventually(lambda: source.last_error is None, timeout=30)
    assert source.synced and source.snapshot().complete
    adds = [c for c in recorder.changes if c.action == "add"]
    assert sorted(c.key[2] for c in adds) == ["after", "before"]  # nothing twice


def test_stop_is_prompt_while_watching(api: KubeApi, ns: str) -> None:
    settings = WatchSettings(watch_timeout=300)
    source = ClusterSource(api, settings=settings, object_filter=ObjectFilter(namespaces=(ns,)))
    source.start()
    assert source.wait_synced(30)
    time.sleep(0.5)  # the watches are now blocked reading
    started = time.monotonic()
    source.stop()
    assert time.monotonic() - started < 3
    assert all(not r._thread.is_alive() for r in source._reflectors)  # type: ignore[union-attr]
    assert not source.wait_synced(0.1)


def test_bookmarks_advance_a_quiet_watch(objects: Objects, ns: str, source_factory) -> None:
    source, recorder = source_factory(
        object_filter=ObjectFilter(namespaces=(ns,)), sources=("service",)
    )
    (reflector,) = source._reflectors
    listed = int(reflector.resource_version)
    other = objects.namespace()
    for index in range(3):  # Service writes elsewhere move the Services' watch cache on
        objects.service(other, f"elsewhere-{index}", type_="ClusterIP")
    # the watch cache sends a BOOKMARK before the server's timeout (5 s here)
    eventually(lambda: int(reflector.resource_version) > listed, timeout=20)
    assert recorder.changes == []
    assert reflector.lists == 1
