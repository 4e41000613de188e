"""410 Gone on a real apiserver (watch cache off, etcd compacted): relist, no lost or ghost
objects, nothing reported twice."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from dnssync.sources.filters import ObjectFilter
from dnssync.sources.kube import ClusterSource, ObjectChange, WatchSettings
from dnssync.sources.kube.api import KubeApi, Query, WatchStream
from dnssync.sources.kube.backoff import Backoff
from dnssync.sources.kube.client import ClientSettings, connect
from dnssync.sources.objects import ServiceObject
from testinfra.k8s import KubeCluster
from tests.dnssync.sources.kube.kube_testkit import Objects, eventually, require_binaries

pytestmark = pytest.mark.k8s


class GatedApi(KubeApi):
    """Holds new watches while the gate is closed, so the test can change (and compact)
    the cluster between two watches of a reflector."""

    def __init__(self, inner: KubeApi) -> None:
        super().__init__(
            inner._client,
            connect_timeout=inner.connect_timeout,
            request_timeout=inner.request_timeout,
        )
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()

    def watch(self, path: str, query: Query, read_timeout: float) -> WatchStream:
        if not self.gate.is_set():
            self.waiting.set()
            self.gate.wait(60)
        return super().watch(path, query, read_timeout)


@pytest.fixture(scope="module")
def compacting_cluster() -> Iterator[KubeCluster]:
    require_binaries()
    with KubeCluster(watch_cache=False, etcd_compaction_interval=3600, crds=()) as cluster:
        yield cluster


def snapshot_ips(source: ClusterSource) -> dict[str, list[str]]:
    return {
        o.ref.name: [str(a.ip) for a in o.addresses]
        for o in source.snapshot().objects
        if isinstance(o, ServiceObject)
    }


def test_watch_410_relists_without_lost_or_ghost_objects(
    compacting_cluster: KubeCluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dnssync.sources.kube")
    objects = Objects(compacting_cluster)
    ns = objects.namespace()
    svc = f"/api/v1/namespaces/{ns}/services"
    objects.service(ns, "a", ingress=[{"ip": "192.0.2.1"}])
    objects.service(ns, "b", ingress=[{"ip": "192.0.2.2"}])
    objects.service(ns, "same", ingress=[{"ip": "192.0.2.5"}])

    api = GatedApi(connect(ClientSettings(str(compacting_cluster.kubeconfig_path))))
    settings = WatchSettings(
        watch_timeout=2, watch_read_margin=5, backoff=Backoff(base=0.2, cap=1.0)
    )
    source = ClusterSource(
        api, sources=("service",), object_filter=ObjectFilter(namespaces=(ns,)), settings=settings
    )
    changes: list[ObjectChange] = []
    source.add_listener(changes.append)
    source.start()
    try:
        assert source.wait_synced(30)
        assert snapshot_ips(source) == {
            "a": ["192.0.2.1"],
            "b": ["192.0.2.2"],
            "same": ["192.0.2.5"],
        }
        (reflector,) = source._reflectors
        assert reflector.lists == 1
        seen = len(changes)
        assert seen == 3

        # hold the reflector between two watches (the server ends each after ~2 s) ...
        api.gate.clear()
        assert api.waiting.wait(30)
        # ... change everything it would have to see: a delete (a ghost if missed), an
        # update, an add (lost if missed), an object that comes and goes unseen ...
        objects.delete(f"{svc}/a")
        objects.service_ingress(ns, "b", [{"ip": "192.0.2.3"}])
        objects.service(ns, "c", ingress=[{"ip": "192.0.2.4"}])
        objects.service(ns, "flash", ingress=[{"ip": "192.0.2.9"}])
        objects.delete(f"{svc}/flash")
        # ... and compact etcd past the reflector's resourceVersion: its watch gets 410
        compacting_cluster.compact_etcd()
        api.gate.set()

        eventually(lambda: reflector.lists == 2, timeout=30)
        eventually(
            lambda: (
                snapshot_ips(source)
                == {"b": ["192.0.2.3"], "c": ["192.0.2.4"], "same": ["192.0.2.5"]}
            )
        )
        relist = [(c.action, c.key[2]) for c in changes[seen:]]
        assert relist == [("delete", "a"), ("update", "b"), ("add", "c")]
        assert any("relisting" in r.getMessage() for r in caplog.records)
        assert source.synced and source.snapshot().complete

        # and the watch goes on from the relist's resourceVersion
        objects.service(ns, "d", ingress=[{"ip": "192.0.2.6"}])
        eventually(lambda: snapshot_ips(source).get("d") == ["192.0.2.6"])
        # created, then its status set: two events, each once
        after = [(c.action, c.key[2]) for c in changes[seen + 3 :]]
        assert after == [("add", "d"), ("update", "d")]
        assert reflector.lists == 2
    finally:
        api.gate.set()
        source.stop()
        api.close()


def test_watch_from_compacted_version_is_gone(compacting_cluster: KubeCluster) -> None:
    """The raw behaviour the reflector relies on: a watch from a compacted resourceVersion
    fails with 410, as an HTTP status or as an ERROR event."""
    from dnssync.sources.kube.api import status_error
    from dnssync.sources.kube.errors import KubeApiError

    objects = Objects(compacting_cluster)
    ns = objects.namespace()
    api = connect(ClientSettings(str(compacting_cluster.kubeconfig_path)))
    try:
        listed: Any = api.request("GET", f"/api/v1/namespaces/{ns}/services")
        old = listed["metadata"]["resourceVersion"]
        objects.service(ns, "x")
        compacting_cluster.compact_etcd()
        query = [("watch", "1"), ("resourceVersion", old), ("timeoutSeconds", "5")]
        with pytest.raises(KubeApiError) as err:
            for event in api.watch(f"/api/v1/namespaces/{ns}/services", query, 10):
                if event["type"] == "ERROR":
                    raise status_error(event["object"])
        assert err.value.gone
    finally:
        api.close()
