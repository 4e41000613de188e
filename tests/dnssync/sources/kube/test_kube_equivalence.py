"""The same objects through --manifests and through the cluster give identical plans."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from testinfra.k8s import KubeCluster
from tests.dnssync.sources.kube.kube_testkit import GW, Objects, plan_json

pytestmark = pytest.mark.k8s


def service(
    ns: str,
    name: str,
    annotations: dict[str, str],
    ports: list[dict[str, Any]],
    ingress: list[dict[str, str]],
    type_: str = "LoadBalancer",
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "annotations": annotations},
        "spec": {"type": type_, "selector": {"app": name}, "ports": ports},
        "status": {"loadBalancer": {"ingress": ingress}},
    }


def accepted(parents: list[dict[str, Any]], ok: bool = True) -> dict[str, Any]:
    condition = {
        "type": "Accepted",
        "status": "True" if ok else "False",
        "reason": "Accepted",
        "message": "",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
        "observedGeneration": 1,
    }
    return {
        "parents": [
            {"parentRef": p, "controllerName": "example.test/gw", "conditions": [condition]}
            for p in parents
        ]
    }


def route(
    ns: str,
    kind: str,
    name: str,
    parents: list[dict[str, Any]],
    annotations: dict[str, str],
    hostnames: list[str] | None = None,
    ok: bool = True,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "parentRefs": parents,
        "rules": [{"backendRefs": [{"name": "b", "port": 1}]}],
    }
    if hostnames:
        spec["hostnames"] = hostnames
    return {
        "apiVersion": f"{GW}/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": ns, "annotations": annotations},
        "spec": spec,
        "status": accepted(parents, ok),
    }


def object_set(ns: str) -> list[dict[str, Any]]:
    kerberos = [{"name": "kerberos", "port": 88, "protocol": "TCP"}]
    return [
        # the protocol split of docs/rules.md
        service(
            ns,
            "kdc-tcp",
            {
                "dnssync.io/hostname": f"kdc-tcp.{ns}.example.com",
                "dnssync.io/srv-domain": f"{ns}.example.com",
            },
            kerberos,
            [{"ip": "203.0.113.10"}],
        ),
        service(
            ns,
            "kdc-udp",
            {
                "dnssync.io/hostname": f"kdc-udp.{ns}.example.com",
                "dnssync.io/srv-domain": f"{ns}.example.com",
            },
            [{"name": "kerberos", "port": 88, "protocol": "UDP"}],
            [{"ip": "203.0.113.11"}],
        ),
        # an AWS-style load balancer: CNAME, SRV straight at the LB
        service(
            ns,
            "aws",
            {
                "external-dns.alpha.kubernetes.io/hostname": f"aws.{ns}.example.com",
                "dnssync.io/srv-domain": f"{ns}.example.com",
                "dnssync.io/ttl": "5m",
            },
            [{"name": "ldap", "port": 389, "protocol": "TCP"}],
            [{"hostname": "a1b2-123.elb.us-east-1.amazonaws.com"}],
        ),
        # dual stack, two replicas of one name (merged)
        service(
            ns,
            "dual",
            {"dnssync.io/hostname": f"dual.{ns}.example.com"},
            [{"name": "http", "port": 80, "protocol": "TCP"}],
            [{"ip": "192.0.2.7"}, {"ip": "2001:db8::7"}],
        ),
        service(
            ns,
            "dual-2",
            {"dnssync.io/hostname": f"dual.{ns}.example.com"},
            [{"name": "http", "port": 80, "protocol": "TCP"}],
            [{"ip": "192.0.2.8"}],
        ),
        # a bad TTL: skipped with a warning, the rest goes on
        service(
            ns,
            "bad-ttl",
            {"dnssync.io/hostname": f"bad.{ns}.example.com", "dnssync.io/ttl": "forever"},
            [{"name": "http", "port": 80, "protocol": "TCP"}],
            [{"ip": "192.0.2.9"}],
        ),
        # not a LoadBalancer, and another controller's: nothing
        service(
            ns,
            "internal",
            {"dnssync.io/hostname": f"internal.{ns}.example.com"},
            [{"name": "http", "port": 80, "protocol": "TCP"}],
            [],
            type_="ClusterIP",
        ),
        service(
            ns,
            "theirs",
            {
                "dnssync.io/hostname": f"theirs.{ns}.example.com",
                "dnssync.io/controller": "someone-else",
            },
            [{"name": "http", "port": 80, "protocol": "TCP"}],
            [{"ip": "192.0.2.10"}],
        ),
        # Gateway API
        {
            "apiVersion": f"{GW}/v1",
            "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": ns, "annotations": {}},
            "spec": {
                "gatewayClassName": "example",
                "listeners": [
                    {"name": "pg", "port": 5432, "protocol": "TCP"},
                    {"name": "dns", "port": 53, "protocol": "UDP"},
                    {
                        "name": "https",
                        "port": 443,
                        "protocol": "HTTPS",
                        "hostname": f"*.{ns}.example.com",
                        "tls": {"certificateRefs": [{"name": "cert"}]},
                    },
                ],
            },
            "status": {
                "addresses": [
                    {"type": "IPAddress", "value": "198.51.100.5"},
                    {"type": "IPAddress", "value": "2001:db8::5"},
                ]
            },
        },
        route(
            ns,
            "TCPRoute",
            "pg",
            [{"name": "gw", "sectionName": "pg"}],
            {
                "dnssync.io/hostname": f"pg.{ns}.example.com",
                "dnssync.io/srv-domain": f"{ns}.example.com",
            },
        ),
        route(
            ns,
            "UDPRoute",
            "dns",
            [{"name": "gw", "sectionName": "dns"}],
            {
                "dnssync.io/hostname": f"ns1.{ns}.example.com",
                "dnssync.io/srv-domain": f"{ns}.example.com",
                "dnssync.io/srv-priority": "10",
                "dnssync.io/srv-weight": "5",
            },
        ),
        route(
            ns,
            "HTTPRoute",
            "site",
            [{"name": "gw", "sectionName": "https"}],
            {},
            hostnames=[f"www.{ns}.example.com", f"api.{ns}.example.com", "elsewhere.example.org"],
        ),
        route(
            ns,
            "HTTPRoute",
            "refused",
            [{"name": "gw", "sectionName": "https"}],
            {},
            hostnames=[f"refused.{ns}.example.com"],
            ok=False,
        ),
    ]


TEAM_DNS = {"kdc-tcp", "kdc-udp", "aws", "pg", "dns"}
ENV_PROD = {"kdc-tcp", "aws", "dual", "dual-2", "pg", "site", "gw"}


def tagged(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Labels and annotations for the filter cases (the Gateway gets a label too: Gateways
    are never filtered out, routes need them)."""
    for manifest in manifests:
        meta = manifest["metadata"]
        if meta["name"] in TEAM_DNS:
            meta["annotations"]["team"] = "dns"
        if meta["name"] in ENV_PROD:
            meta["labels"] = {"env": "prod"}
    return manifests


@pytest.fixture(scope="module")
def same_objects(kube_cluster: KubeCluster, tmp_path_factory: pytest.TempPathFactory):
    """One object set, in a manifests folder and in the cluster."""
    objects = Objects(kube_cluster)
    ns = objects.namespace()
    manifests = tagged(object_set(ns))
    folder = tmp_path_factory.mktemp("manifests")
    (folder / "services.yaml").write_text(
        yaml.safe_dump_all([m for m in manifests if m["kind"] == "Service"])
    )
    (folder / "gateway.yaml").write_text(
        yaml.safe_dump_all([m for m in manifests if m["kind"] != "Service"])
    )
    for manifest in manifests:
        objects.create(manifest)
    return ns, folder


def test_manifests_and_cluster_give_identical_plans(same_objects, kubeconfig: Path) -> None:
    ns, folder = same_objects
    common = ["--namespace", ns, "--provider", "inmemory", "--zone", "example.com"]
    code_m, from_manifests, err_m = plan_json(["--manifests", str(folder), *common])
    code_k, from_cluster, err_k = plan_json(["--kubeconfig", str(kubeconfig), *common])
    assert code_m == code_k == 2
    assert from_cluster == from_manifests
    # the plan is not trivially empty: every kind contributed
    owners = {c["owner_resource"].split("/")[0] for c in from_cluster["changes"]}
    assert owners == {"service", "tcproute", "udproute", "httproute"}
    assert {c["type"] for c in from_cluster["changes"]} == {"A", "AAAA", "CNAME", "SRV", "TXT"}
    # the same problem is reported both ways
    assert "forever" in err_m and "forever" in err_k


@pytest.mark.parametrize(
    ("flags", "owners"),
    [
        (["--annotation-filter", "team=dns"], {"kdc-tcp", "kdc-udp", "aws", "pg", "dns"}),
        (["--label-selector", "env=prod"], {"kdc-tcp", "aws", "dual", "pg", "site"}),
        (
            ["--label-selector", "env in (prod)", "--annotation-filter", "team"],
            {"kdc-tcp", "aws", "pg"},
        ),
    ],
)
def test_filters_give_identical_plans(
    same_objects, kubeconfig: Path, flags: list[str], owners: set[str]
) -> None:
    ns, folder = same_objects
    common = ["--namespace", ns, "--provider", "inmemory", "--zone", "example.com", *flags]
    _, from_manifests, _ = plan_json(["--manifests", str(folder), *common])
    _, from_cluster, _ = plan_json(["--kubeconfig", str(kubeconfig), *common])
    assert from_cluster == from_manifests
    assert {c["owner_resource"].split("/")[2] for c in from_cluster["changes"]} == owners
