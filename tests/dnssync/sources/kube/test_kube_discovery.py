"""Discovery of the served Gateway API versions; missing CRDs reported once."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from dnssync.sources.filters import ObjectFilter
from dnssync.sources.kube import ClusterSource, WatchSettings
from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.client import ClientSettings, connect
from dnssync.sources.kube.discovery import discover_gateway_api
from dnssync.sources.kube.snapshot import read_once
from dnssync.sources.objects import RouteObject, ServiceObject
from testinfra.k8s import GATEWAY_CRDS_STANDARD, GATEWAY_CRDS_V141_EXPERIMENTAL, KubeCluster
from tests.dnssync.sources.kube.kube_testkit import (
    GW,
    Objects,
    eventually,
    plan_json,
    records,
    require_binaries,
)

pytestmark = pytest.mark.k8s


@pytest.fixture(scope="module")
def old_cluster() -> Iterator[KubeCluster]:
    """Gateway API v1.4.1, experimental channel: routes only at v1alpha2/v1alpha3."""
    require_binaries()
    with KubeCluster(crds=[GATEWAY_CRDS_V141_EXPERIMENTAL]) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def bare_cluster() -> Iterator[KubeCluster]:
    """No Gateway API CRDs at all."""
    require_binaries()
    with KubeCluster(crds=()) as cluster:
        yield cluster


def client_of(cluster: KubeCluster) -> KubeApi:
    return connect(ClientSettings(str(cluster.kubeconfig_path)))


def test_current_cluster_serves_v1(api: KubeApi) -> None:
    found = discover_gateway_api(api)
    assert found.missing == () and found.absent == ()
    assert {r.kind: r.version for r in found.found} == {
        "Gateway": "v1",
        "HTTPRoute": "v1",
        "TLSRoute": "v1",
        "TCPRoute": "v1",
        "UDPRoute": "v1",
        "ListenerSet": "v1",
    }


def test_older_install_uses_alpha_versions(old_cluster: KubeCluster) -> None:
    api = client_of(old_cluster)
    try:
        found = discover_gateway_api(api)
        # ListenerSet came with Gateway API 1.5: not served, and not reported as missing
        assert found.missing == () and found.absent == ("ListenerSet",)
        assert {r.kind: r.version for r in found.found} == {
            "Gateway": "v1",
            "HTTPRoute": "v1",
            "TLSRoute": "v1alpha3",
            "TCPRoute": "v1alpha2",
            "UDPRoute": "v1alpha2",
        }

        objects = Objects(old_cluster)
        ns = objects.namespace()
        objects.gateway(
            ns,
            "gw",
            [
                {"name": "pg", "port": 5432, "protocol": "TCP"},
                {
                    "name": "tls",
                    "port": 443,
                    "protocol": "TLS",
                    "hostname": f"*.{ns}.example.com",
                    "tls": {"mode": "Passthrough"},
                },
            ],
            [{"type": "IPAddress", "value": "198.51.100.7"}],
        )
        objects.route(
            ns,
            "TCPRoute",
            "pg",
            [{"name": "gw", "sectionName": "pg"}],
            annotations={"dnssync.io/hostname": f"pg.{ns}.example.com"},
            version="v1alpha2",
        )
        objects.route(
            ns,
            "TLSRoute",
            "tls",
            [{"name": "gw", "sectionName": "tls"}],
            hostnames=[f"secure.{ns}.example.com"],
            version="v1alpha3",
        )
        _code, plan, _ = plan_json(
            [
                "--kubeconfig",
                str(old_cluster.kubeconfig_path),
                "--provider",
                "inmemory",
                "--zone",
                "example.com",
            ]
        )
        assert records(plan) == {
            (f"pg.{ns}.example.com.", "A", ("198.51.100.7",)),
            (f"secure.{ns}.example.com.", "A", ("198.51.100.7",)),
        }

        source = ClusterSource(api, object_filter=ObjectFilter(namespaces=(ns,)))
        with source:
            assert source.wait_synced(30), source.last_error
            assert source.resources["tcproute"].api_version == f"{GW}/v1alpha2"
            routes = {o.ref.kind for o in source.snapshot().objects if isinstance(o, RouteObject)}
            assert routes == {"tcproute", "tlsroute"}
    finally:
        api.close()


def test_missing_crds_reported_once_and_services_go_on(
    bare_cluster: KubeCluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dnssync.sources.kube")
    objects = Objects(bare_cluster)
    ns = objects.namespace()
    objects.service(ns, "svc", ingress=[{"ip": "192.0.2.60"}])
    api = client_of(bare_cluster)
    try:
        snapshot = read_once(api, ("service", "gateway"), ObjectFilter())
        assert snapshot.complete
        (missing,) = snapshot.diagnostics
        assert missing.reason == "MissingCRD"
        assert "Gateway, HTTPRoute, TLSRoute, TCPRoute, UDPRoute" in missing.message

        caplog.clear()
        source = ClusterSource(
            api, rediscover_interval=0.2, settings=WatchSettings(watch_timeout=5)
        )
        with source:
            assert source.wait_synced(30), source.last_error
            assert source.missing_kinds == (
                "Gateway",
                "HTTPRoute",
                "TLSRoute",
                "TCPRoute",
                "UDPRoute",
            )
            snapshot = source.snapshot()
            assert snapshot.complete and snapshot.diagnostics == ()
            assert [type(o) for o in snapshot.objects] == [ServiceObject]
            # rediscovery runs several times; the missing kinds are reported once
            eventually(
                lambda: len([r for r in caplog.records if "not served" in r.getMessage()]) >= 1
            )
            discoveries = len([r for r in caplog.records if "not served" in r.getMessage()])
            assert discoveries == 1

            # CRDs installed later are picked up without a restart
            bare_cluster.install_crds(GATEWAY_CRDS_STANDARD)
            eventually(lambda: source.missing_kinds == (), timeout=30)
            assert source.wait_synced(30)
            assert {"gateway", "httproute", "tlsroute", "tcproute", "udproute"} <= set(
                source.resources
            )
            objects.gateway(ns, "late", [{"name": "a", "port": 80, "protocol": "HTTP"}])
            eventually(lambda: any(o.ref.kind == "gateway" for o in source.snapshot().objects))  # type: ignore[union-attr]
    finally:
        api.close()
