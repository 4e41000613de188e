"""Ingresses on a real apiserver: the CLI's lifecycle (create, status change, delete) and the
daemon's watch (changes, --ingress-class, Event identity)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dnssync.model.refs import ObjectRef
from dnssync.sources.filters import ObjectFilter
from dnssync.sources.kube import ClusterSource, ObjectChange, WatchSettings
from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.backoff import Backoff
from dnssync.sources.objects import IngressHost, IngressObject
from tests.dnssync.sources.kube.kube_testkit import (
    Objects,
    eventually,
    ingress_path,
    plan_json,
    records,
    run_cli,
)

pytestmark = pytest.mark.k8s

FAST = WatchSettings(watch_timeout=5, watch_read_margin=5, backoff=Backoff(base=0.2, cap=1.0))


def zonefile_args(kubeconfig: Path, ns: str, zones: Path, *extra: str) -> list[str]:
    return [
        "--kubeconfig",
        str(kubeconfig),
        "--namespace",
        ns,
        "--provider",
        "zonefile",
        "--zonefile-dir",
        str(zones),
        "--zone",
        "example.com",
        *extra,
    ]


def test_ingress_lifecycle_create_status_change_delete(
    objects: Objects, kubeconfig: Path, ns: str, tmp_path: Path
) -> None:
    shop, www = f"shop-{ns}.example.com.", f"www-{ns}.example.com."
    args = zonefile_args(kubeconfig, ns, tmp_path)
    # another Ingress stays, so the delete below is not "the source returned nothing"
    keep = f"keep-{ns}.example.com"
    objects.ingress(ns, "keep", rules=[keep], status=[{"ip": "192.0.2.99"}])
    assert run_cli(["apply", *args, "--yes"])[0] == 0

    # created, no address yet: nothing to publish
    objects.ingress(
        ns,
        "shop",
        rules=[shop.rstrip(".")],
        tls=[[shop.rstrip("."), www.rstrip(".")]],
        annotations={"external-dns.alpha.kubernetes.io/ttl": "60"},
    )
    code, plan, _ = plan_json(args)
    assert (code, plan["changes"]) == (0, [])

    # the ingress controller reports its address
    objects.ingress_status(ns, "shop", [{"ip": "192.0.2.20"}])
    code, plan, _ = plan_json(args)
    assert code == 2
    assert records(plan) == {(shop, "A", ("192.0.2.20",)), (www, "A", ("192.0.2.20",))}
    owners = {c["owner_resource"] for c in plan["changes"]}
    assert owners == {f"ingress/{ns}/shop"}
    assert {c["ttl"] for c in plan["changes"] if c["type"] == "A"} == {60}
    assert run_cli(["apply", *args, "--yes"])[0] == 0
    assert plan_json(args)[0] == 0
    zone = (tmp_path / "example.com.zone").read_text()
    assert (
        f'"heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/{ns}/shop"'
        in zone
    )

    # the controller moves to a load balancer with a name: A records give way to CNAMEs
    objects.ingress_status(ns, "shop", [{"hostname": "lb-1.elb.example.net"}])
    code, plan, _ = plan_json(args)
    assert code == 2
    changes = {(c["action"], c["name"], c["type"]) for c in plan["changes"]}
    assert {("delete", shop, "A"), ("delete", www, "A")} <= changes
    assert {("create", shop, "CNAME"), ("create", www, "CNAME")} <= changes
    assert run_cli(["apply", *args, "--yes"])[0] == 0
    assert "lb-1.elb.example.net" in (tmp_path / "example.com.zone").read_text()

    # the Ingress goes away: its records and ownership TXT are deleted, the other stays
    objects.delete(ingress_path(ns, "shop"))
    code, plan, _ = plan_json(args)
    assert code == 2
    assert {(c["action"], c["type"]) for c in plan["changes"]} == {
        ("delete", "CNAME"),
        ("delete", "TXT"),
    }
    assert run_cli(["apply", *args, "--yes"])[0] == 0
    text = (tmp_path / "example.com.zone").read_text()
    assert "lb-1.elb.example.net" not in text and "192.0.2.99" in text
    assert plan_json(args)[0] == 0


def test_ingress_class_and_source_selection(
    objects: Objects, kubeconfig: Path, ns: str, tmp_path: Path
) -> None:
    objects.ingress(
        ns,
        "pub",
        rules=[f"pub-{ns}.example.com"],
        class_name="public",
        status=[{"ip": "192.0.2.1"}],
    )
    objects.ingress(
        ns,
        "legacy",
        rules=[f"legacy-{ns}.example.com"],
        annotations={"kubernetes.io/ingress.class": "public"},
        status=[{"ip": "192.0.2.2"}],
    )
    objects.ingress(
        ns,
        "int",
        rules=[f"int-{ns}.example.com"],
        class_name="internal",
        status=[{"ip": "192.0.2.3"}],
    )
    args = zonefile_args(kubeconfig, ns, tmp_path)
    _, plan, _ = plan_json([*args, "--ingress-class", "public"])
    assert {n for n, _t, _v in records(plan)} == {
        f"pub-{ns}.example.com.",
        f"legacy-{ns}.example.com.",
    }
    _, plan, _ = plan_json([*args, "--source", "service,gateway"])
    assert records(plan) == set()
    # ExternalDNS's spelling of the same selection
    _, plan, _ = plan_json(
        [*args, "--source=service", "--source=ingress", "--ingress-class=internal"]
    )
    assert {n for n, _t, _v in records(plan)} == {f"int-{ns}.example.com."}


class Recorder:
    def __init__(self) -> None:
        self.changes: list[ObjectChange] = []

    def __call__(self, change: ObjectChange) -> None:
        self.changes.append(change)

    def of(self, key: tuple[str, str, str]) -> list[ObjectChange]:
        return [c for c in list(self.changes) if c.key == key]


@pytest.fixture
def watching(api: KubeApi, ns: str) -> Iterator[tuple[ClusterSource, Recorder]]:
    source = ClusterSource(
        api,
        sources=("ingress",),
        object_filter=ObjectFilter(namespaces=(ns,)),
        settings=FAST,
    )
    recorder = Recorder()
    source.add_listener(recorder)
    source.start()
    try:
        assert source.wait_synced(30), source.last_error
        yield source, recorder
    finally:
        source.stop()


def test_the_daemon_source_watches_ingresses(
    objects: Objects, ns: str, watching: tuple[ClusterSource, Recorder]
) -> None:
    source, recorder = watching
    key = ("ingress", ns, "web")
    objects.ingress(
        ns,
        "web",
        rules=["web.example.com"],
        tls=[["web.example.com", "www.example.com"]],
        class_name="public",
    )
    eventually(lambda: len(recorder.of(key)) == 1)
    added = recorder.of(key)[0]
    assert added.action == "add" and isinstance(added.after, IngressObject)
    assert added.after.hosts == (
        IngressHost("web.example.com", "spec.rules[0].host"),
        IngressHost("web.example.com", "spec.tls[0].hosts[0]", from_tls=True),
        IngressHost("www.example.com", "spec.tls[0].hosts[1]", from_tls=True),
    )
    assert added.after.ingress_class == "public"

    objects.ingress_status(ns, "web", [{"ip": "192.0.2.7"}, {"ip": "2001:db8::7"}])
    eventually(lambda: len(recorder.of(key)) == 2)
    update = recorder.of(key)[1]
    assert update.action == "update" and isinstance(update.after, IngressObject)
    assert [str(a.ip) for a in update.after.addresses] == ["192.0.2.7", "2001:db8::7"]

    # Events on an Ingress name its served version and uid
    identity = source.identity(ObjectRef("ingress", ns, "web"))
    assert identity is not None
    assert (identity.api_version, identity.kind) == ("networking.k8s.io/v1", "Ingress")
    assert identity.uid

    objects.delete(ingress_path(ns, "web"))
    eventually(lambda: len(recorder.of(key)) == 3)
    assert recorder.of(key)[2].action == "delete"
    snapshot = source.snapshot()
    assert snapshot.complete and snapshot.objects == ()
