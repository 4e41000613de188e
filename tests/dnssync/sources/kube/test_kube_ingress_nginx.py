"""ingress-nginx's TCP/UDP services on a real apiserver: ConfigMap edits and controller
Service status changes move the records; only the named ConfigMaps are read."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dnssync.model.refs import ObjectRef
from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.sources.ingress_nginx import IngressNginxSettings
from dnssync.sources.kube import ClusterSource, ObjectChange, WatchSettings
from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.backoff import Backoff
from dnssync.sources.objects import StreamServicesObject
from dnssync.testing.scenarios import desired_lines
from tests.dnssync.sources.kube.kube_testkit import (
    Objects,
    eventually,
    plan_json,
    records,
    unique,
)

pytestmark = pytest.mark.k8s

FAST = WatchSettings(watch_timeout=5, watch_read_margin=5, backoff=Backoff(base=0.2, cap=1.0))
CONTROLLER = "ingress-nginx-controller"
BOTH_53 = (
    {"name": "53-tcp", "port": 53, "protocol": "TCP"},
    {"name": "53-udp", "port": 53, "protocol": "UDP"},
)


@pytest.fixture
def nginx_ns(objects: Objects) -> str:
    return objects.namespace()


@pytest.fixture
def settings(nginx_ns: str) -> IngressNginxSettings:
    return IngressNginxSettings.parse(
        f"{nginx_ns}/{CONTROLLER}", f"{nginx_ns}/tcp-services", f"{nginx_ns}/udp-services"
    )


@pytest.fixture
def running(
    api: KubeApi, settings: IngressNginxSettings
) -> Iterator[tuple[ClusterSource, list[ObjectChange]]]:
    changes: list[ObjectChange] = []
    lock = threading.Lock()

    def record(change: ObjectChange) -> None:
        with lock:
            changes.append(change)

    source = ClusterSource(api, settings=FAST, ingress_nginx=settings)
    source.add_listener(record)
    source.start()
    try:
        assert source.wait_synced(30), source.last_error
        yield source, changes
    finally:
        source.stop()


def configmap(objects: Objects, namespace: str, name: str, data: dict[str, str]) -> str:
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}
    objects.cluster.request("POST", path, body)
    return f"{path}/{name}"


def replace_data(objects: Objects, path: str, data: dict[str, str]) -> None:
    current: dict[str, Any] = objects.cluster.request("GET", path)
    current["data"] = data
    objects.cluster.request("PUT", path, current)


def test_configmap_edits_and_controller_status_move_the_records(
    objects: Objects,
    ns: str,
    nginx_ns: str,
    settings: IngressNginxSettings,
    running: tuple[ClusterSource, list[ObjectChange]],
) -> None:
    source, changes = running
    domain = f"{ns}.example.com"
    rules = RuleSettings(ingress_nginx=settings)

    def records() -> list[str]:
        return [
            line
            for line in desired_lines(desired_records(source.snapshot().objects, rules))
            if domain in line
        ]

    def warnings() -> list[str]:
        found = desired_records(source.snapshot().objects, rules).diagnostics
        return [d.reason for d in found if d.ref == ObjectRef("service", ns, "coredns")]

    objects.service(nginx_ns, CONTROLLER, ports=BOTH_53, ingress=[{"ip": "192.0.2.60"}])
    tcp = configmap(objects, nginx_ns, "tcp-services", {"53": f"{ns}/coredns:53"})
    udp = configmap(objects, nginx_ns, "udp-services", {"53": f"{ns}/coredns:dns"})
    configmap(objects, nginx_ns, "unrelated", {"53": f"{ns}/coredns:53"})
    objects.service(
        ns,
        "coredns",
        type_="ClusterIP",
        ports=(
            {"name": "dns", "port": 53, "protocol": "UDP"},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
        ),
        annotations={
            "dnssync.io/hostname": f"ns1.{domain}",
            "dnssync.io/srv-domain": domain,
            "dnssync.io/srv-service": "dns=domain,dns-tcp=domain",
        },
    )
    both = [
        f"_domain._tcp.{domain}. 300 SRV 0 100 53 ns1.{domain}.",
        f"_domain._udp.{domain}. 300 SRV 0 100 53 ns1.{domain}.",
    ]
    eventually(lambda: records() == [*both, f"ns1.{domain}. 300 A 192.0.2.60"])

    # The UDP entry goes: its SRV record goes.
    replace_data(objects, udp, {})
    eventually(lambda: records() == [both[0], f"ns1.{domain}. 300 A 192.0.2.60"])

    # The controller's LB address changes: the address record follows.
    objects.service_ingress(nginx_ns, CONTROLLER, [{"ip": "192.0.2.61"}])
    eventually(lambda: records() == [both[0], f"ns1.{domain}. 300 A 192.0.2.61"])

    # An exposed port the controller Service does not open: nothing, and a Warning.
    replace_data(objects, tcp, {"5353": f"{ns}/coredns:53"})
    eventually(lambda: records() == [] and warnings() == ["PortNotOnController"])

    # ... until the controller Service opens it (with an AWS-style hostname now).
    objects.patch(
        f"/api/v1/namespaces/{nginx_ns}/services/{CONTROLLER}",
        {"spec": {"ports": [{"name": "5353-tcp", "port": 5353, "protocol": "TCP"}]}},
    )
    objects.service_ingress(nginx_ns, CONTROLLER, [{"hostname": "lb-1.elb.example.net"}])
    eventually(
        lambda: (
            records()
            == [
                f"_domain._tcp.{domain}. 300 SRV 0 100 5353 lb-1.elb.example.net.",
                f"ns1.{domain}. 300 CNAME lb-1.elb.example.net.",
            ]
        )
    )

    # The ConfigMap is deleted: the records go.
    objects.delete(tcp)
    eventually(lambda: records() == [])

    # Only the two named ConfigMaps were read: changes name them, never "unrelated".
    keys = {c.key for c in changes if c.kind == "configmap"}
    assert keys == {
        ("configmap", nginx_ns, "tcp-services"),
        ("configmap", nginx_ns, "udp-services"),
    }
    assert not any(
        isinstance(o, StreamServicesObject) and o.ref.name == "unrelated"
        for o in source.snapshot().objects
    )
    assert source.resources["configmap"].plural == "configmaps"


def test_a_configmap_that_does_not_exist_yet_is_picked_up(
    objects: Objects,
    ns: str,
    nginx_ns: str,
    settings: IngressNginxSettings,
    running: tuple[ClusterSource, list[ObjectChange]],
) -> None:
    source, _ = running
    # Named but missing (a typo in the flag, or not created yet): never "no entries", so
    # the run is incomplete and nothing is deleted until it exists.
    before = source.snapshot()
    assert not before.complete
    assert {d.reason for d in before.diagnostics} == {"ConfigMapNotFound"}
    missing = {d.subject for d in before.diagnostics}
    assert f"configmap/{nginx_ns}/tcp-services" in missing
    configmap(objects, nginx_ns, "tcp-services", {"x": "bad", "5432": f"{ns}/db:5432"})
    eventually(
        lambda: (
            f"configmap/{nginx_ns}/tcp-services"
            not in {d.subject for d in source.status().diagnostics}
        )
    )

    def parsed() -> StreamServicesObject | None:
        for obj in source.snapshot().objects:
            if isinstance(obj, StreamServicesObject) and obj.ref.namespace == nginx_ns:
                return obj
        return None

    eventually(lambda: parsed() is not None)
    found = parsed()
    assert found is not None
    assert [e.key for e in found.entries] == ["5432"]
    assert [p.key for p in found.problems] == ["x"]
    diagnostics = desired_records(
        source.snapshot().objects, RuleSettings(ingress_nginx=settings)
    ).diagnostics
    assert [(d.subject, d.field) for d in diagnostics if d.ref == found.ref] == [
        (f"configmap/{nginx_ns}/tcp-services", "data[x]")
    ]


def test_plan_from_the_cluster_and_a_reader_without_the_configmaps(
    objects: Objects, ns: str, nginx_ns: str, kubeconfig: Path, tmp_path: Path
) -> None:
    domain = f"{ns}.example.com"
    objects.service(
        nginx_ns,
        CONTROLLER,
        ports=({"port": 5432, "protocol": "TCP"},),
        ingress=[{"ip": "192.0.2.70"}],
    )
    configmap(objects, nginx_ns, "tcp-services", {"5432": f"{ns}/pg:postgresql"})
    objects.service(
        ns,
        "pg",
        type_="ClusterIP",
        ports=({"name": "postgresql", "port": 5432, "protocol": "TCP"},),
        annotations={"dnssync.io/hostname": f"db.{domain}", "dnssync.io/srv-domain": domain},
    )
    flags = [
        "--provider",
        "inmemory",
        "--zone",
        "example.com",
        f"--ingress-nginx-controller={nginx_ns}/{CONTROLLER}",
        f"--ingress-nginx-tcp-services={nginx_ns}/tcp-services",
    ]
    _, plan, _ = plan_json(["--kubeconfig", str(kubeconfig), *flags])
    mine = {r for r in records(plan) if domain in r[0]}
    assert mine == {
        (f"db.{domain}.", "A", ("192.0.2.70",)),
        (f"_postgresql._tcp.{domain}.", "SRV", (f"0 100 5432 db.{domain}.",)),
    }

    # Without RBAC on the ConfigMap: the error names it, the run is incomplete (no deletes).
    reader = objects.reader_kubeconfig(
        tmp_path,
        unique("no-configmaps"),
        [{"apiGroups": [""], "resources": ["services"], "verbs": ["get", "list", "watch"]}],
    )
    _, plan, err = plan_json(["--kubeconfig", str(reader), *flags], expected=(1,))
    assert "forbidden to list configmaps" in err, err
    assert "no records are deleted" in err
    assert not [c for c in plan["changes"] if c["action"] == "delete"]
