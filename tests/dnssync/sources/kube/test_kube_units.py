"""Unit tests of the cluster-source pieces that need no apiserver."""

from __future__ import annotations

import random
from typing import Any

import pytest

from dnssync.model.refs import ObjectRef
from dnssync.sources.filters import parse_selector
from dnssync.sources.kube.api import WatchStream
from dnssync.sources.kube.backoff import Backoff, retries
from dnssync.sources.kube.entries import to_entry
from dnssync.sources.kube.errors import KubeApiError, KubeTransportError
from dnssync.sources.kube.failures import failure_diagnostic, failure_message
from dnssync.sources.kube.lister import ListTarget
from dnssync.sources.kube.ratelimit import TokenBucket
from dnssync.sources.kube.resources import GATEWAY_GROUP, SERVICES, Resource
from dnssync.sources.kube.selectors import format_selector
from dnssync.sources.kube.store import Scope, Store
from dnssync.sources.objects import ServiceObject

TCPROUTES = Resource("TCPRoute", "tcproutes", GATEWAY_GROUP, "v1alpha2")


def service(name: str, ip: str | None = "192.0.2.1", type_: str = "LoadBalancer", **meta: Any):
    item: dict[str, Any] = {
        "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", **meta},
        "spec": {"type": type_, "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]},
        "status": {"loadBalancer": {"ingress": [{"ip": ip}] if ip else []}},
    }
    return item


# ---------------------------------------------------------------- selectors


@pytest.mark.parametrize(
    "text",
    ["app=web", "a=b,c!=d", "tier in (x,y),!legacy", "env notin (dev),team", "a==b"],
)
def test_selector_round_trip(text: str) -> None:
    selector = parse_selector(text)
    assert parse_selector(format_selector(selector)) == selector


def test_selector_format() -> None:
    assert format_selector(parse_selector("a=b,c!=d,e in (x,y),f,!g")) == (
        "a=b,c notin (d),e in (x,y),f,!g"
    )


# ---------------------------------------------------------------- entries and store


def test_entry_keeps_only_the_projection() -> None:
    key, entry = to_entry(SERVICES, service("web", annotations={"dnssync.io/hostname": "w.x"}))
    assert key == ("service", "ns", "web")
    assert entry is not None and entry.uid == "uid-web"
    assert isinstance(entry.obj, ServiceObject)
    assert entry.obj.annotations == (("dnssync.io/hostname", "w.x"),)


def test_entry_skips_non_loadbalancer_and_filtered() -> None:
    assert to_entry(SERVICES, service("c", type_="ClusterIP")) == (("service", "ns", "c"), None)
    selector = parse_selector("team=dns")
    found = to_entry(SERVICES, service("a", annotations={"team": "web"}), selector)
    assert found == (("service", "ns", "a"), None)
    found = to_entry(SERVICES, service("b", annotations={"team": "dns"}), selector)
    assert found is not None and found[1] is not None


def test_entry_of_unprojectable_object_carries_its_problem() -> None:
    found = to_entry(SERVICES, service("bad", ip="not-an-ip"))
    assert found is not None
    _key, entry = found
    assert entry is not None and entry.obj is None and entry.problem is not None
    assert entry.problem.ref == ObjectRef("service", "ns", "bad")
    assert "not-an-ip" in entry.problem.message


def test_store_replace_reports_only_differences() -> None:
    store = Store()
    scope = Scope("services", None)
    entries = {k: e for k, e in (to_entry(SERVICES, service(n)) for n in "abc")}  # type: ignore[misc]
    changes = store.replace(scope, entries)
    assert [(c.action, c.key[2]) for c in changes] == [("add", "a"), ("add", "b"), ("add", "c")]

    # same content, new uids (recreated objects): nothing for the rules to see
    again = {k: e for k, e in (to_entry(SERVICES, service(n, uid="other")) for n in "abc")}  # type: ignore[misc]
    assert store.replace(scope, again) == []

    # relist: a deleted (ghost), b changed, d new (lost add), c the same
    new = {k: e for k, e in (to_entry(SERVICES, service(n)) for n in "cd")}  # type: ignore[misc]
    key_b, entry_b = to_entry(SERVICES, service("b", ip="192.0.2.9"))  # type: ignore[misc]
    new[key_b] = entry_b
    changes = store.replace(scope, new)
    assert [(c.action, c.key[2]) for c in changes] == [
        ("delete", "a"),
        ("update", "b"),
        ("add", "d"),
    ]
    assert [k[2] for k, _ in store.items()] == ["b", "c", "d"]


def test_store_apply_ignores_unchanged_projection() -> None:
    store = Store()
    scope = Scope("services", "ns")
    key, entry = to_entry(SERVICES, service("a"))  # type: ignore[misc]
    assert store.apply(scope, key, entry) is not None
    key, same = to_entry(SERVICES, service("a", labels=None))  # type: ignore[misc]
    assert store.apply(scope, key, same) is None
    change = store.apply(scope, key, None)
    assert change is not None and change.action == "delete" and change.before == entry.obj
    assert store.apply(scope, key, None) is None


# ---------------------------------------------------------------- watch stream


class FakeResponse:
    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error
        self.closed = False

    def stream(self, amt: Any = None, decode_content: bool = True):
        yield from self.chunks
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.closed = True

    def release_conn(self) -> None:
        pass

    def shutdown(self) -> None:
        pass


def test_watch_stream_splits_lines_across_chunks() -> None:
    response = FakeResponse(
        [b'{"type":"ADDED","object":{"a":1}}\n{"type":"BOOK', b'MARK","object":{}}\n', b"\n"]
    )
    events = list(WatchStream(response, "/x"))  # type: ignore[arg-type]
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
    assert response.closed


def test_watch_stream_transport_error() -> None:
    import urllib3

    response = FakeResponse(
        [b'{"type":"ADDED","object":{}}\n'], urllib3.exceptions.ProtocolError("reset")
    )
    stream = WatchStream(response, "/x")  # type: ignore[arg-type]
    with pytest.raises(KubeTransportError, match="reset"):
        list(stream)


def test_watch_stream_abort_ends_quietly() -> None:
    import urllib3

    response = FakeResponse([], urllib3.exceptions.ProtocolError("shut down"))
    stream = WatchStream(response, "/x")  # type: ignore[arg-type]
    stream.abort()
    assert list(stream) == []


# ---------------------------------------------------------------- backoff, bucket


def test_backoff_grows_with_jitter_and_resets() -> None:
    backoff = retries(Backoff(base=1.0, cap=8.0), random.Random(1))
    delays = [backoff.next() for _ in range(6)]
    for delay, ceiling in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert ceiling / 2 <= delay <= ceiling
    backoff.reset()
    assert backoff.next() <= 1.0


def test_token_bucket() -> None:
    now = [0.0]
    bucket = TokenBucket(2, 0.5, lambda: now[0])
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    now[0] += 2.0
    assert bucket.take() is True
    assert bucket.take() is False


# ---------------------------------------------------------------- failure words


def test_forbidden_names_resource_and_permission() -> None:
    error = KubeApiError(403, "Forbidden", "tcproutes.gateway.networking.k8s.io is forbidden: ...")
    message = failure_message(ListTarget(TCPROUTES), error)
    assert "forbidden to list tcproutes.gateway.networking.k8s.io/v1alpha2" in message
    assert "grant get, list and watch on resource tcproutes" in message
    assert "apiGroup gateway.networking.k8s.io" in message
    assert "ClusterRole" in message
    namespaced = failure_message(ListTarget(SERVICES, "krb"), error)
    assert 'a Role in namespace "krb"' in namespaced
    diagnostic = failure_diagnostic(ListTarget(TCPROUTES), error)
    assert diagnostic.reason == "SourceForbidden"
    assert diagnostic.severity.value == "Error"
    assert "no records are deleted" in diagnostic.message


# ---------------------------------------------------------------- reflector event handling


def make_reflector() -> tuple[Any, list[Any]]:
    from dnssync.sources.kube.reflector import Reflector
    from dnssync.sources.kube.settings import WatchSettings

    changes: list[Any] = []
    reflector = Reflector(
        None,  # type: ignore[arg-type]  # never called by _handle
        ListTarget(SERVICES),
        Store(),
        WatchSettings(),
        changes.extend,
        lambda: None,
    )
    return reflector, changes


def test_bookmark_moves_the_resource_version_only() -> None:
    reflector, changes = make_reflector()
    bookmark = {
        "type": "BOOKMARK",
        "object": {"kind": "Service", "metadata": {"resourceVersion": "99"}},
    }
    assert reflector._handle(bookmark, "5") == "99"
    assert changes == [] and len(reflector.store) == 0


def test_object_events_change_the_store() -> None:
    reflector, changes = make_reflector()
    obj = service("a")
    obj["metadata"]["resourceVersion"] = "7"
    assert reflector._handle({"type": "ADDED", "object": obj}, "5") == "7"
    obj = service("a", ip="192.0.2.2")
    obj["metadata"]["resourceVersion"] = "8"
    assert reflector._handle({"type": "MODIFIED", "object": obj}, "7") == "8"
    obj["metadata"]["resourceVersion"] = "9"
    assert reflector._handle({"type": "MODIFIED", "object": obj}, "8") == "9"  # same projection
    obj["metadata"]["resourceVersion"] = "10"
    assert reflector._handle({"type": "DELETED", "object": obj}, "9") == "10"
    assert [c.action for c in changes] == ["add", "update", "delete"]


def test_error_events_raise() -> None:
    reflector, _ = make_reflector()
    gone = {"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired"}}
    with pytest.raises(KubeApiError) as err:
        reflector._handle(gone, "5")
    assert err.value.gone
    other = {"type": "ERROR", "object": {"kind": "Status", "code": 500, "message": "boom"}}
    with pytest.raises(KubeApiError) as err:
        reflector._handle(other, "5")
    assert not err.value.gone and "boom" in str(err.value)
