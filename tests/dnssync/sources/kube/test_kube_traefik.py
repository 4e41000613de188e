"""Traefik IngressRouteTCP/UDP on a real apiserver with Traefik's CRDs (chart 41.3.0).

The Traefik Services are what Traefik's chart creates (``traefik`` for TCP entry points and
``traefik-udp`` for UDP ones, ports named after the entry points), with the status a cloud
load balancer controller would write. Creating and editing routes and changing a Traefik
Service's status move the records, both through ``plan --kubeconfig`` and the watching
cluster source.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.rules.traefik import TraefikSettings
from dnssync.sources.filters import ObjectFilter
from dnssync.sources.kube import ClusterSource, WatchSettings
from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.resources import Resource
from dnssync.sources.kube.traefik_discovery import discover_traefik
from dnssync.testing.scenarios import desired_lines
from testinfra.k8s import TRAEFIK_CRDS, KubeCluster
from tests.dnssync.sources.kube.kube_testkit import Objects, eventually, plan_json, records

pytestmark = pytest.mark.k8s

TRAEFIK = "traefik.io"
TCP_IP, UDP_IP, NEW_IP = "203.0.113.30", "203.0.113.31", "203.0.113.32"


@pytest.fixture(scope="module", autouse=True)
def traefik_crds(kube_cluster: KubeCluster) -> Iterator[None]:
    kube_cluster.install_crds(TRAEFIK_CRDS)
    yield


def traefik_services(objects: Objects, ns: str) -> None:
    """Traefik's two LoadBalancer Services as its chart renders them."""
    objects.service(
        ns,
        "traefik",
        ports=[
            {"name": "web", "port": 80, "protocol": "TCP"},
            {"name": "websecure", "port": 443, "protocol": "TCP"},
            {"name": "kerberos", "port": 88, "protocol": "TCP"},
        ],
        ingress=[{"ip": TCP_IP}],
    )
    objects.service(
        ns,
        "traefik-udp",
        ports=[{"name": "kerberos-udp", "port": 88, "protocol": "UDP"}],
        ingress=[{"ip": UDP_IP}],
    )


def route_path(ns: str, kind: str, name: str | None = None) -> str:
    path = f"/apis/{TRAEFIK}/v1alpha1/namespaces/{ns}/{kind.lower()}s"
    return f"{path}/{name}" if name else path


def traefik_route(
    cluster: KubeCluster,
    ns: str,
    kind: str,
    name: str,
    entry_points: Sequence[str],
    *,
    match: str | None = None,
    annotations: Mapping[str, str] | None = None,
) -> None:
    route: dict[str, Any] = {"services": [{"name": "backend", "port": 88}]}
    if kind == "IngressRouteTCP":
        route["match"] = match or "HostSNI(`*`)"
    spec: dict[str, Any] = {"entryPoints": list(entry_points), "routes": [route]}
    if kind == "IngressRouteTCP":
        spec["tls"] = {"passthrough": True}
    body = {
        "apiVersion": f"{TRAEFIK}/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, "annotations": dict(annotations or {})},
        "spec": spec,
    }
    cluster.request("POST", route_path(ns, kind), body)


def kdc_routes(cluster: KubeCluster, ns: str) -> None:
    for proto, kind, entry_point in (
        ("tcp", "IngressRouteTCP", "kerberos"),
        ("udp", "IngressRouteUDP", "kerberos-udp"),
    ):
        traefik_route(
            cluster,
            ns,
            kind,
            f"kdc-{proto}",
            [entry_point],
            annotations={
                "dnssync.io/hostname": f"kdc-{proto}-{ns}.example.com",
                "dnssync.io/srv-domain": f"{ns}.example.com",
                "dnssync.io/srv-service": "kerberos-udp=kerberos",
            },
        )


def plan_args(kubeconfig: Path, ns: str, *extra: str) -> list[str]:
    return [
        "--kubeconfig",
        str(kubeconfig),
        "--provider",
        "inmemory",
        "--zone",
        "example.com",
        "--namespace",
        ns,
        "--traefik-service",
        f"{ns}/traefik",
        "--traefik-service",
        f"{ns}/traefik-udp",
        *extra,
    ]


def test_plan_reads_routes_and_traefik_services(
    objects: Objects, kube_cluster: KubeCluster, kubeconfig: Path, ns: str
) -> None:
    traefik_services(objects, ns)
    kdc_routes(kube_cluster, ns)
    traefik_route(
        kube_cluster,
        ns,
        "IngressRouteTCP",
        "db",
        ["websecure"],
        match=f"HostSNI(`db-{ns}.example.com`, `pg-{ns}.example.com`) || HostSNI(`*`)",
    )
    traefik_route(
        kube_cluster,
        ns,
        "IngressRouteTCP",
        "lost",
        ["nope"],
        annotations={"dnssync.io/hostname": f"lost-{ns}.example.com"},
    )
    _, plan, err = plan_json(plan_args(kubeconfig, ns, "--source", "gateway"))
    assert records(plan) == {
        (f"kdc-tcp-{ns}.example.com.", "A", (TCP_IP,)),
        (f"kdc-udp-{ns}.example.com.", "A", (UDP_IP,)),
        (f"_kerberos._tcp.{ns}.example.com.", "SRV", (f"0 100 88 kdc-tcp-{ns}.example.com.",)),
        (f"_kerberos._udp.{ns}.example.com.", "SRV", (f"0 100 88 kdc-udp-{ns}.example.com.",)),
        (f"db-{ns}.example.com.", "A", (TCP_IP,)),
        (f"pg-{ns}.example.com.", "A", (TCP_IP,)),
    }
    owners = {c["owner_resource"] for c in plan["changes"]}
    assert owners == {
        f"ingressroutetcp/{ns}/kdc-tcp",
        f"ingressrouteudp/{ns}/kdc-udp",
        f"ingressroutetcp/{ns}/db",
    }
    (warning,) = [line for line in err.splitlines() if f"ingressroutetcp/{ns}/lost" in line]
    assert "spec.entryPoints[0]" in warning
    assert "entry point 'nope' is not a TCP port named 'nope'" in warning


@pytest.mark.parametrize("sources", [(), ("--source", "traefik")], ids=["default", "traefik"])
def test_traefik_services_outside_the_watched_namespaces_are_read_alone(
    objects: Objects, kube_cluster: KubeCluster, kubeconfig: Path, ns: str, sources: tuple[str, ...]
) -> None:
    """``--namespace`` names the routes' namespace only; Traefik's Services are read by name,
    and nothing else of Traefik's namespace is (an annotated Service there stays unpublished)."""
    traefik_ns = objects.namespace()
    traefik_services(objects, traefik_ns)
    objects.service(
        traefik_ns,
        "other",
        annotations={"dnssync.io/hostname": f"other-{ns}.example.com"},
        ingress=[{"ip": NEW_IP}],
    )
    kdc_routes(kube_cluster, ns)
    args = ["--kubeconfig", str(kubeconfig), "--provider", "inmemory", "--zone", "example.com"]
    args += ["--namespace", ns, *sources]
    for name in ("traefik", "traefik-udp"):
        args += ["--traefik-service", f"{traefik_ns}/{name}"]
    _, plan, _ = plan_json(args)
    assert {name for name, _, _ in records(plan)} == {
        f"kdc-tcp-{ns}.example.com.",
        f"kdc-udp-{ns}.example.com.",
        f"_kerberos._tcp.{ns}.example.com.",
        f"_kerberos._udp.{ns}.example.com.",
    }


def test_without_the_traefik_flags_routes_are_not_read(
    objects: Objects, kube_cluster: KubeCluster, kubeconfig: Path, ns: str
) -> None:
    traefik_services(objects, ns)
    kdc_routes(kube_cluster, ns)
    args = ["--kubeconfig", str(kubeconfig), "--provider", "inmemory", "--zone", "example.com"]
    _, plan, _ = plan_json([*args, "--namespace", ns])
    assert records(plan) == set()


def test_legacy_group_not_installed_is_reported_not_fatal(
    objects: Objects, kube_cluster: KubeCluster, kubeconfig: Path, ns: str
) -> None:
    traefik_services(objects, ns)
    kdc_routes(kube_cluster, ns)
    _, plan, err = plan_json(plan_args(kubeconfig, ns, "--traefik-legacy"))
    assert (f"kdc-tcp-{ns}.example.com.", "A", (TCP_IP,)) in records(plan)
    missing = [line for line in err.splitlines() if "not served by this cluster" in line]
    assert missing, err
    for line in missing:  # logged, and reported with the plan
        assert "IngressRouteTCP.traefik.containo.us, IngressRouteUDP.traefik.containo.us" in line


def test_route_edits_and_service_status_move_the_records(
    objects: Objects, kube_cluster: KubeCluster, api: KubeApi, ns: str
) -> None:
    traefik_services(objects, ns)
    kdc_routes(kube_cluster, ns)
    settings = RuleSettings(
        object_filter=ObjectFilter(namespaces=(ns,)),
        traefik=TraefikSettings(((ns, "traefik"), (ns, "traefik-udp"))),
    )
    source = ClusterSource(
        api,
        sources=("traefik",),
        object_filter=settings.object_filter,
        traefik_services=settings.traefik.services,
        settings=WatchSettings(watch_timeout=5),
    )
    source.start()

    def lines() -> list[str]:
        snapshot = source.snapshot()
        return desired_lines(desired_records(snapshot.objects, settings))

    def expect(*wanted: str) -> None:
        eventually(lambda: lines() == sorted(wanted))

    kdc = (
        f"_kerberos._tcp.{ns}.example.com. 300 SRV 0 100 88 kdc-tcp-{ns}.example.com.",
        f"_kerberos._udp.{ns}.example.com. 300 SRV 0 100 88 kdc-udp-{ns}.example.com.",
        f"kdc-udp-{ns}.example.com. 300 A {UDP_IP}",
    )
    try:
        assert source.wait_synced(30), source.last_error
        assert {r.qualified for r in source.resources.values()} >= {
            "services",
            "ingressroutetcps.traefik.io",
            "ingressrouteudps.traefik.io",
        }
        expect(*kdc, f"kdc-tcp-{ns}.example.com. 300 A {TCP_IP}")

        # The TCP load balancer gets a new address: the route's record follows.
        objects.service_ingress(ns, "traefik", [{"ip": NEW_IP}])
        expect(*kdc, f"kdc-tcp-{ns}.example.com. 300 A {NEW_IP}")

        # ... then an AWS-style hostname: a CNAME, and the SRV targets the LB itself.
        objects.service_ingress(ns, "traefik", [{"hostname": "lb-1.elb.example.net"}])
        expect(
            kdc[1],
            kdc[2],
            f"_kerberos._tcp.{ns}.example.com. 300 SRV 0 100 88 lb-1.elb.example.net.",
            f"kdc-tcp-{ns}.example.com. 300 CNAME lb-1.elb.example.net.",
        )
        objects.service_ingress(ns, "traefik", [{"ip": TCP_IP}])
        expect(*kdc, f"kdc-tcp-{ns}.example.com. 300 A {TCP_IP}")

        # The TCP route moves to an entry point Traefik's Service does not expose: gone.
        tcp_path = route_path(ns, "IngressRouteTCP", "kdc-tcp")
        objects.patch(tcp_path, {"spec": {"entryPoints": ["nope"]}})
        expect(*kdc[1:])

        # The entry point gets exposed (the chart adds the port): back, on its port.
        service = kube_cluster.request("GET", f"/api/v1/namespaces/{ns}/services/traefik")
        ports = [*service["spec"]["ports"], {"name": "nope", "port": 8888, "protocol": "TCP"}]
        objects.patch(f"/api/v1/namespaces/{ns}/services/traefik", {"spec": {"ports": ports}})
        expect(
            kdc[1],
            kdc[2],
            f"_nope._tcp.{ns}.example.com. 300 SRV 0 100 8888 kdc-tcp-{ns}.example.com.",
            f"kdc-tcp-{ns}.example.com. 300 A {TCP_IP}",
        )

        # A HostSNI edit adds a name; deleting the UDP route removes its records.
        objects.patch(
            route_path(ns, "IngressRouteTCP", "kdc-tcp"),
            {"spec": {"routes": [{"match": f"HostSNI(`sni-{ns}.example.com`)", "services": []}]}},
        )
        objects.delete(route_path(ns, "IngressRouteUDP", "kdc-udp"))
        expect(
            f"_nope._tcp.{ns}.example.com. 300 SRV 0 100 8888 kdc-tcp-{ns}.example.com.",
            f"kdc-tcp-{ns}.example.com. 300 A {TCP_IP}",
            f"sni-{ns}.example.com. 300 A {TCP_IP}",
        )
    finally:
        source.stop()


def test_discovery_finds_the_traefik_kinds(api: KubeApi) -> None:
    found = discover_traefik(api)
    assert found.found == (
        Resource("IngressRouteTCP", "ingressroutetcps", TRAEFIK, "v1alpha1"),
        Resource("IngressRouteUDP", "ingressrouteudps", TRAEFIK, "v1alpha1"),
    )
    assert found.missing == ()
    legacy = discover_traefik(api, legacy=True)
    assert legacy.missing == (
        "IngressRouteTCP.traefik.containo.us",
        "IngressRouteUDP.traefik.containo.us",
    )


def test_rbac_reader_of_the_chart_rules_reads_routes(
    objects: Objects, kube_cluster: KubeCluster, tmp_path: Path, ns: str
) -> None:
    """With exactly the rules the chart grants for the traefik source, plan reads all."""
    traefik_services(objects, ns)
    kdc_routes(kube_cluster, ns)
    kubeconfig = objects.reader_kubeconfig(
        tmp_path,
        f"traefik-reader-{ns}",
        [
            {"apiGroups": [""], "resources": ["services"], "verbs": ["get", "list", "watch"]},
            {
                "apiGroups": [TRAEFIK],
                "resources": ["ingressroutetcps", "ingressrouteudps"],
                "verbs": ["get", "list", "watch"],
            },
        ],
    )
    code, plan, _ = plan_json(plan_args(kubeconfig, ns, "--source", "traefik"))
    assert code == 2, plan["diagnostics"]
    assert (f"kdc-udp-{ns}.example.com.", "A", (UDP_IP,)) in records(plan)
