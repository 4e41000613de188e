"""Warnings as Events on the offending objects, and Normal Events on objects whose records
were published: deduplicated and rate-limited."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

import pytest

from dnssync.model.diagnostics import Diagnostic, for_object
from dnssync.model.names import DomainName
from dnssync.model.publications import Publication
from dnssync.model.records import IPv4, RecordType, RRset
from dnssync.model.refs import ObjectRef
from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.sources.filters import ObjectFilter
from dnssync.sources.kube import ClusterSource, EventRecorder, WatchSettings
from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.events import EventPolicy
from tests.dnssync.sources.kube.kube_testkit import Objects

pytestmark = pytest.mark.k8s


def events(api: KubeApi, ns: str, **selector: str) -> list[dict[str, Any]]:
    query = [("fieldSelector", ",".join(f"involvedObject.{k}={v}" for k, v in selector.items()))]
    listed = api.request("GET", f"/api/v1/namespaces/{ns}/events", query=query if selector else ())
    return list(listed["items"])


def test_bad_annotation_becomes_one_warning_event(objects: Objects, api: KubeApi, ns: str) -> None:
    created = objects.service(
        ns,
        "kdc",
        annotations={"dnssync.io/hostname": "kdc.example.com", "dnssync.io/ttl": "forever"},
        ingress=[{"ip": "192.0.2.50"}],
    )
    uid = created["metadata"]["uid"]
    source = ClusterSource(
        api,
        sources=("service",),
        object_filter=ObjectFilter(namespaces=(ns,)),
        settings=WatchSettings(watch_timeout=5),
    )
    source.start()
    try:
        assert source.wait_synced(30)
        diagnostics = desired_records(source.snapshot().objects, RuleSettings()).diagnostics
        (problem,) = [d for d in diagnostics if d.ref == ObjectRef("service", ns, "kdc")]

        recorder = EventRecorder(api, lookup=source.identity)
        assert recorder.record(diagnostics) == 1
        # what `kubectl describe service kdc` looks for: the object's uid, name and kind
        (event,) = events(api, ns, uid=uid, name="kdc", kind="Service")
        assert event["type"] == "Warning"
        assert event["reason"] == problem.reason
        assert "forever" in event["message"] and "dnssync.io/ttl" in event["message"]
        assert event["count"] == 1
        assert event["source"]["component"] == "dnssync"
        assert event["involvedObject"]["apiVersion"] == "v1"

        # the next plan finds the same problem: no new write
        assert recorder.record(diagnostics) == 0
        assert recorder.record([*diagnostics, problem]) == 0
        assert [e["count"] for e in events(api, ns, uid=uid)] == [1]

        # a restarted daemon finds its Event and counts on (deduplicated by name)
        restarted = EventRecorder(api, lookup=source.identity)
        assert restarted.record(diagnostics) == 1
        assert [e["count"] for e in events(api, ns, uid=uid)] == [2]
        # after repeat_after, an unchanged problem bumps the count again
        repeating = EventRecorder(api, lookup=source.identity, policy=EventPolicy(repeat_after=0))
        repeating.record(diagnostics)
        repeating.record(diagnostics)
        (event,) = events(api, ns, uid=uid)
        assert event["count"] == 4
    finally:
        source.stop()


def test_events_are_rate_limited_and_need_a_ref(objects: Objects, api: KubeApi, ns: str) -> None:
    for index in range(5):
        objects.service(ns, f"s{index}")
    problems: list[Diagnostic] = [
        for_object(ObjectRef("service", ns, f"s{i}"), "f", f"problem {i}", reason="Test")
        for i in range(5)
    ]
    problems.append(Diagnostic("some file.yaml", "", "no object to put it on"))
    now = [0.0]
    recorder = EventRecorder(api, policy=EventPolicy(burst=2, per_second=0.1), clock=lambda: now[0])
    # without a lookup the recorder reads the object once for its uid
    assert recorder.record(problems) == 2
    assert recorder.held_back == 3
    now[0] += 10.0  # one more token
    assert recorder.record(problems) == 1
    now[0] += 100.0
    assert recorder.record(problems) == 2
    assert recorder.record(problems) == 0
    listed = events(api, ns)
    assert sorted(e["involvedObject"]["name"] for e in listed) == [f"s{i}" for i in range(5)]
    assert all(e["involvedObject"].get("uid") for e in listed)


def test_published_records_become_normal_events(objects: Objects, api: KubeApi, ns: str) -> None:
    created = objects.service(ns, "kdc-tcp", ingress=[{"ip": "203.0.113.10"}])
    for index in range(3):
        objects.service(ns, f"r{index}")
    zone = DomainName.parse("example.com")

    def published(name: str, ip: str, ref: str = "kdc-tcp") -> Publication:
        rrset = RRset.of(DomainName.parse(name), RecordType.A, 300, [IPv4(IPv4Address(ip))])
        return Publication(ObjectRef("service", ns, ref), zone, rrset)

    now = [0.0]
    recorder = EventRecorder(api, policy=EventPolicy(burst=2, per_second=0.1), clock=lambda: now[0])
    first = published("kdc-tcp.example.com", "203.0.113.10")
    assert recorder.record_published([first]) == 1
    (event,) = events(api, ns, uid=created["metadata"]["uid"])
    assert event["type"] == "Normal" and event["reason"] == "Published"
    assert event["message"] == "Published kdc-tcp.example.com A 203.0.113.10 in example.com"
    assert event["involvedObject"]["kind"] == "Service"
    # the same publication again is deduplicated; a change is a new Event
    assert recorder.record_published([first]) == 0
    assert recorder.record_published([published("kdc-tcp.example.com", "203.0.113.99")]) == 1
    messages = sorted(e["message"] for e in events(api, ns, name="kdc-tcp"))
    assert messages == [
        "Published kdc-tcp.example.com A 203.0.113.10 in example.com",
        "Published kdc-tcp.example.com A 203.0.113.99 in example.com",
    ]
    # the bucket is empty: three more wait in the backlog, and are sent as tokens come
    burst = [published(f"r{i}.example.com", "192.0.2.1", f"r{i}") for i in range(3)]
    assert recorder.record_published(burst) == 0
    # warnings have a bucket of their own: a burst of publications never holds them back
    problem = for_object(ObjectRef("service", ns, "r0"), "f", "problem", reason="Test")
    assert recorder.record([problem]) == 1
    now[0] += 10.0
    assert recorder.record([]) == 1
    now[0] += 20.0
    assert recorder.record_published([]) == 2
    normal = [e for e in events(api, ns) if e["type"] == "Normal"]
    assert sorted(e["involvedObject"]["name"] for e in normal) == [
        "kdc-tcp",
        "kdc-tcp",
        "r0",
        "r1",
        "r2",
    ]
