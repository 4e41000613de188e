"""Gateway API on a real apiserver: accepted routes publish, others do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnssync.model.refs import ObjectRef
from dnssync.sources.filters import ObjectFilter
from dnssync.sources.kube import ClusterSource, ObjectChange, WatchSettings
from dnssync.sources.kube.api import KubeApi
from dnssync.sources.objects import RouteObject
from tests.dnssync.sources.kube.kube_testkit import Objects, eventually, plan_json, records

pytestmark = pytest.mark.k8s

GW_IP = "203.0.113.20"


def make_gateway(objects: Objects, ns: str) -> None:
    objects.gateway(
        ns,
        "gw",
        [
            {"name": "kerberos-tcp", "port": 88, "protocol": "TCP"},
            {"name": "kerberos-udp", "port": 88, "protocol": "UDP"},
            {"name": "web", "port": 80, "protocol": "HTTP", "hostname": f"*.{ns}.example.com"},
        ],
        [{"type": "IPAddress", "value": GW_IP}],
    )


def kdc_annotations(ns: str, proto: str) -> dict[str, str]:
    return {
        "dnssync.io/hostname": f"kdc-{proto}-{ns}.example.com",
        "dnssync.io/srv-domain": f"{ns}.example.com",
        "dnssync.io/srv-service": f"kerberos-{proto}=kerberos",
    }


def plan_args(kubeconfig: Path, *extra: str) -> list[str]:
    return [
        "--kubeconfig",
        str(kubeconfig),
        "--provider",
        "inmemory",
        "--zone",
        "example.com",
        *extra,
    ]


def test_accepted_routes_publish_others_do_not(objects: Objects, kubeconfig: Path, ns: str) -> None:
    make_gateway(objects, ns)
    objects.route(
        ns,
        "TCPRoute",
        "kdc-tcp",
        [{"name": "gw", "sectionName": "kerberos-tcp"}],
        annotations=kdc_annotations(ns, "tcp"),
    )
    objects.route(
        ns,
        "UDPRoute",
        "kdc-udp",
        [{"name": "gw", "sectionName": "kerberos-udp"}],
        annotations=kdc_annotations(ns, "udp"),
    )
    objects.route(
        ns,
        "HTTPRoute",
        "web",
        [{"name": "gw", "sectionName": "web"}],
        hostnames=[f"www.{ns}.example.com"],
    )
    # not accepted by the Gateway, or no status at all: nothing
    objects.route(
        ns,
        "HTTPRoute",
        "refused",
        [{"name": "gw", "sectionName": "web"}],
        hostnames=[f"refused.{ns}.example.com"],
        accepted=False,
    )
    objects.route(
        ns,
        "TCPRoute",
        "pending",
        [{"name": "gw", "sectionName": "kerberos-tcp"}],
        annotations={"dnssync.io/hostname": f"pending-{ns}.example.com"},
        accepted=None,
    )

    code, plan, _ = plan_json(plan_args(kubeconfig, "--namespace", ns))
    assert code == 2
    assert records(plan) == {
        (f"kdc-tcp-{ns}.example.com.", "A", (GW_IP,)),
        (f"kdc-udp-{ns}.example.com.", "A", (GW_IP,)),
        (f"_kerberos._tcp.{ns}.example.com.", "SRV", (f"0 100 88 kdc-tcp-{ns}.example.com.",)),
        (f"_kerberos._udp.{ns}.example.com.", "SRV", (f"0 100 88 kdc-udp-{ns}.example.com.",)),
        (f"www.{ns}.example.com.", "A", (GW_IP,)),
    }
    owners = {c["owner_resource"] for c in plan["changes"]}
    assert owners == {f"tcproute/{ns}/kdc-tcp", f"udproute/{ns}/kdc-udp", f"httproute/{ns}/web"}


def test_route_acceptance_change_arrives_by_watch(objects: Objects, api: KubeApi, ns: str) -> None:
    make_gateway(objects, ns)
    parents = [{"name": "gw", "sectionName": "web"}]
    path = f"/apis/gateway.networking.k8s.io/v1/namespaces/{ns}/httproutes/late"
    objects.route(
        ns, "HTTPRoute", "late", parents, hostnames=[f"late.{ns}.example.com"], accepted=False
    )
    source = ClusterSource(
        api, object_filter=ObjectFilter(namespaces=(ns,)), settings=WatchSettings(watch_timeout=5)
    )
    changes: list[ObjectChange] = []
    source.add_listener(changes.append)
    source.start()
    try:
        assert source.wait_synced(30), source.last_error
        key = ("httproute", ns, "late")
        (added,) = [c for c in changes if c.key == key]
        assert isinstance(added.after, RouteObject) and added.after.accepted_parents == ()
        objects.route_accepted(path, parents, True)
        eventually(lambda: len([c for c in changes if c.key == key]) == 2)
        update = [c for c in changes if c.key == key][1]
        assert isinstance(update.after, RouteObject)
        assert [p.name for p in update.after.accepted_parents] == ["gw"]
        kinds = {o.ref.kind for o in source.snapshot().objects}  # type: ignore[union-attr]
        assert kinds == {"gateway", "httproute"}
    finally:
        source.stop()


def test_namespace_selector_listener_reads_namespaces(
    objects: Objects, kubeconfig: Path, api: KubeApi
) -> None:
    gw_ns = objects.namespace()
    allowed = objects.namespace(labels={"dns-routes": "yes"})
    other = objects.namespace()
    objects.gateway(
        gw_ns,
        "shared",
        [
            {
                "name": "web",
                "port": 80,
                "protocol": "HTTP",
                "allowedRoutes": {
                    "namespaces": {
                        "from": "Selector",
                        "selector": {"matchLabels": {"dns-routes": "yes"}},
                    }
                },
            }
        ],
        [{"type": "IPAddress", "value": "203.0.113.30"}],
    )
    parents = [{"name": "shared", "namespace": gw_ns, "sectionName": "web"}]
    for namespace in (allowed, other):
        objects.route(
            namespace, "HTTPRoute", "app", parents, hostnames=[f"app.{namespace}.example.com"]
        )

    _, plan, _ = plan_json(plan_args(kubeconfig))
    mine = {r for r in records(plan) if allowed in r[0] or other in r[0]}
    assert mine == {(f"app.{allowed}.example.com.", "A", ("203.0.113.30",))}

    source = ClusterSource(api, settings=WatchSettings(watch_timeout=5))
    source.start()
    try:
        # the Gateway's Selector listener makes the source watch namespaces too
        eventually(lambda: "namespace" in source.resources, timeout=30)
        assert source.wait_synced(30), source.last_error
        names = {getattr(o, "name", None) for o in source.snapshot().objects}
        assert {allowed, other} <= names
        # labelling the other namespace lets its route in
        objects.patch(
            f"/api/v1/namespaces/{other}", {"metadata": {"labels": {"dns-routes": "yes"}}}
        )
        eventually(
            lambda: any(
                getattr(o, "name", None) == other and ("dns-routes", "yes") in o.labels  # type: ignore[union-attr]
                for o in source.snapshot().objects
            )
        )
        assert source.identity(ObjectRef("httproute", other, "app")) is not None
    finally:
        source.stop()
