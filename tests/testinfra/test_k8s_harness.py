"""Smoke tests of testinfra.k8s: a real kube-apiserver + etcd, driven by the official client.

Needs the binaries from tools/k8s/build.sh (built on first use if Go is available).
Without them the tests skip, unless DNSSYNC_REQUIRE_K8S=1 (CI), which turns the
skip into a failure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from testinfra.gates import require_k8s
from testinfra.k8s import KubeApiError, KubeCluster, binaries_available

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, watch  # noqa: E402
from kubernetes.client.exceptions import ApiException  # noqa: E402

pytestmark = pytest.mark.k8s

GW_GROUP = "gateway.networking.k8s.io"


def _require_binaries() -> None:
    require_k8s(binaries_available())


@pytest.fixture(scope="module")
def cluster() -> Iterator[KubeCluster]:
    _require_binaries()
    with KubeCluster() as c:
        yield c


@pytest.fixture()
def api(cluster: KubeCluster) -> Iterator[Any]:
    with cluster.api_client() as api_client:
        yield api_client


def _namespace(api: Any, name: str) -> str:
    client.CoreV1Api(api).create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name))
    )
    return name


def test_server_version_and_crds(cluster: KubeCluster, api: Any) -> None:
    info = client.VersionApi(api).get_code()
    assert (info.major, info.minor) == ("1", "34")
    crds = client.ApiextensionsV1Api(api).list_custom_resource_definition()
    names = {c.metadata.name for c in crds.items}
    for plural in (
        "gateways",
        "gatewayclasses",
        "httproutes",
        "tcproutes",
        "udproutes",
        "tlsroutes",
        "referencegrants",
    ):
        assert f"{plural}.{GW_GROUP}" in names
    # standard channel: v1 and v1beta1 served, the v1alpha2 route versions are not
    assert set(cluster.served_versions(GW_GROUP)) == {"v1", "v1beta1"}


def test_loadbalancer_service_status(api: Any) -> None:
    core = client.CoreV1Api(api)
    ns = _namespace(api, "smoke-svc")
    svc = core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(
                name="dns", annotations={"dnssync.io/hostname": "www.example.test"}
            ),
            spec=client.V1ServiceSpec(
                type="LoadBalancer",
                selector={"app": "dns"},
                ports=[client.V1ServicePort(name="dns", port=53, protocol="UDP")],
            ),
        ),
    )
    assert svc.spec.cluster_ip.startswith("10.96.")
    assert 30000 <= svc.spec.ports[0].node_port <= 32767
    assert not (svc.status.load_balancer and svc.status.load_balancer.ingress)

    # status sent to the main resource is ignored (real subresource semantics) ...
    core.patch_namespaced_service(
        "dns", ns, {"status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.1"}]}}}
    )
    assert not core.read_namespaced_service("dns", ns).status.load_balancer.ingress

    # ... and stored via /status
    core.patch_namespaced_service_status(
        "dns",
        ns,
        {
            "status": {
                "loadBalancer": {
                    "ingress": [
                        {"ip": "192.0.2.10", "ipMode": "VIP"},
                        {"hostname": "lb.example.test"},
                    ]
                }
            }
        },
    )
    got = core.read_namespaced_service("dns", ns)
    ingress = got.status.load_balancer.ingress
    assert [(i.ip, i.hostname) for i in ingress] == [
        ("192.0.2.10", None),
        (None, "lb.example.test"),
    ]
    assert ingress[0].ip_mode == "VIP"
    assert got.metadata.annotations["dnssync.io/hostname"] == "www.example.test"

    # field selectors are honoured
    listed = core.list_namespaced_service(ns, field_selector="metadata.name=dns")
    assert [s.metadata.name for s in listed.items] == ["dns"]
    assert not core.list_namespaced_service(ns, field_selector="metadata.name=nope").items


def test_gateway_and_tcproute_status(api: Any) -> None:
    co = client.CustomObjectsApi(api)
    ns = _namespace(api, "smoke-gw")
    co.create_namespaced_custom_object(
        GW_GROUP,
        "v1",
        ns,
        "gateways",
        {
            "apiVersion": f"{GW_GROUP}/v1",
            "kind": "Gateway",
            "metadata": {"name": "gw"},
            "spec": {
                "gatewayClassName": "example",
                "listeners": [{"name": "dns-tcp", "port": 53, "protocol": "TCP"}],
            },
        },
    )
    co.patch_namespaced_custom_object_status(
        GW_GROUP,
        "v1",
        ns,
        "gateways",
        "gw",
        {
            "status": {
                "addresses": [
                    {"type": "IPAddress", "value": "192.0.2.20"},
                    {"type": "Hostname", "value": "gw.example.test"},
                ]
            }
        },
    )
    gw = co.get_namespaced_custom_object(GW_GROUP, "v1", ns, "gateways", "gw")
    assert gw["status"]["addresses"] == [
        {"type": "IPAddress", "value": "192.0.2.20"},
        {"type": "Hostname", "value": "gw.example.test"},
    ]

    # the CRD's schema (format: ipv4/ipv6) and CEL rules are enforced by this server
    for bad in (
        {"type": "IPAddress", "value": "not-an-ip"},
        {"type": "Hostname", "value": "Not_A_Hostname"},
    ):
        with pytest.raises(ApiException) as err:
            co.patch_namespaced_custom_object_status(
                GW_GROUP, "v1", ns, "gateways", "gw", {"status": {"addresses": [bad]}}
            )
        assert err.value.status == 422

    co.create_namespaced_custom_object(
        GW_GROUP,
        "v1",
        ns,
        "tcproutes",
        {
            "apiVersion": f"{GW_GROUP}/v1",
            "kind": "TCPRoute",
            "metadata": {"name": "dns", "annotations": {"dnssync.io/hostname": "tcp.example.test"}},
            "spec": {
                "parentRefs": [{"name": "gw", "sectionName": "dns-tcp"}],
                "rules": [{"backendRefs": [{"name": "dns", "port": 53}]}],
            },
        },
    )
    route = co.get_namespaced_custom_object(GW_GROUP, "v1", ns, "tcproutes", "dns")
    parent = route["spec"]["parentRefs"][0]
    assert (parent["group"], parent["kind"]) == (GW_GROUP, "Gateway")  # CRD defaults

    co.patch_namespaced_custom_object_status(
        GW_GROUP,
        "v1",
        ns,
        "tcproutes",
        "dns",
        {
            "status": {
                "parents": [
                    {
                        "parentRef": {"name": "gw", "sectionName": "dns-tcp"},
                        "controllerName": "example.test/gateway-controller",
                        "conditions": [
                            {
                                "type": "Accepted",
                                "status": "True",
                                "reason": "Accepted",
                                "message": "",
                                "observedGeneration": route["metadata"]["generation"],
                                "lastTransitionTime": "2026-01-01T00:00:00Z",
                            }
                        ],
                    }
                ]
            }
        },
    )
    route = co.get_namespaced_custom_object(GW_GROUP, "v1", ns, "tcproutes", "dns")
    (status_parent,) = route["status"]["parents"]
    assert status_parent["parentRef"]["name"] == "gw"
    assert status_parent["conditions"][0]["type"] == "Accepted"
    assert status_parent["conditions"][0]["status"] == "True"

    # v1alpha2 is not served by the standard channel
    with pytest.raises(ApiException) as err:
        co.list_namespaced_custom_object(GW_GROUP, "v1alpha2", ns, "tcproutes")
    assert err.value.status == 404


def test_rbac_with_service_account_token(cluster: KubeCluster, api: Any) -> None:
    rbac = client.RbacAuthorizationV1Api(api)
    rbac.create_cluster_role(
        client.V1ClusterRole(
            metadata=client.V1ObjectMeta(name="smoke-reader"),
            rules=[
                client.V1PolicyRule(
                    api_groups=[""], resources=["services"], verbs=["get", "list", "watch"]
                )
            ],
        )
    )
    rbac.create_cluster_role_binding(
        client.V1ClusterRoleBinding(
            metadata=client.V1ObjectMeta(name="smoke-reader"),
            role_ref=client.V1RoleRef(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="smoke-reader"
            ),
            subjects=[
                client.RbacV1Subject(kind="ServiceAccount", name="reader", namespace="smoke-rbac")
            ],
        )
    )
    token = cluster.create_service_account_token("smoke-rbac", "reader")
    with cluster.api_client(token=token) as sa_api:
        core = client.CoreV1Api(sa_api)
        core.list_service_for_all_namespaces()
        with pytest.raises(ApiException) as err:
            core.list_secret_for_all_namespaces()
        assert err.value.status == 403
    with pytest.raises(KubeApiError) as raw_err:
        cluster.request("GET", "/api/v1/secrets", token=token)
    assert raw_err.value.status == 403


def test_restart_apiserver_keeps_data(cluster: KubeCluster, api: Any) -> None:
    core = client.CoreV1Api(api)
    ns = _namespace(api, "smoke-restart")
    core.create_namespaced_config_map(
        ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="cm"), data={"k": "v"})
    )
    cluster.stop_apiserver()
    assert not cluster.apiserver_running()
    with pytest.raises(Exception):  # noqa: B017 - connection refused, any flavour
        core.read_namespaced_config_map("cm", ns, _request_timeout=5)
    cluster.start_apiserver()
    assert core.read_namespaced_config_map("cm", ns).data == {"k": "v"}


def test_watch_bookmark_is_raw_dict(cluster: KubeCluster, api: Any) -> None:
    core = client.CoreV1Api(api)
    ns = _namespace(api, "smoke-bookmark")
    other = _namespace(api, "smoke-bookmark-other")
    start_rv = core.list_namespaced_config_map(ns).metadata.resource_version
    written: list[int] = []

    def bump() -> None:  # writes elsewhere advance the watch cache's resourceVersion
        for i in range(5):
            time.sleep(0.5)
            cm = core.create_namespaced_config_map(
                other, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"bump{i}"))
            )
            written.append(int(cm.metadata.resource_version))

    writer = threading.Thread(target=bump)
    writer.start()
    try:
        # The watch cache sends a bookmark ~2 s before the server-side timeout.
        events = list(
            watch.Watch().stream(
                core.list_namespaced_config_map,
                ns,
                resource_version=start_rv,
                allow_watch_bookmarks=True,
                timeout_seconds=4,
                _request_timeout=15,
            )
        )
    finally:
        writer.join(timeout=30)
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert bookmarks, events
    assert len(bookmarks) == len(events)  # nothing happened in ns itself
    # the client hands BOOKMARK objects over as plain dicts, not models
    assert isinstance(bookmarks[0]["object"], dict)
    bookmark_rv = int(bookmarks[0]["object"]["metadata"]["resourceVersion"])
    assert bookmark_rv > int(start_rv)
    assert written


def test_watch_410_gone_after_compaction() -> None:
    _require_binaries()
    with (
        KubeCluster(watch_cache=False, etcd_compaction_interval=5.0, crds=()) as c,
        c.api_client() as api,
    ):
        core = client.CoreV1Api(api)
        ns = _namespace(api, "smoke-watch")
        core.create_namespaced_config_map(
            ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="cm"), data={"n": "0"})
        )
        start_rv = core.list_namespaced_config_map(ns).metadata.resource_version
        for i in range(1, 4):
            core.patch_namespaced_config_map("cm", ns, {"data": {"n": str(i)}})

        events = list(
            watch.Watch().stream(
                core.list_namespaced_config_map,
                ns,
                resource_version=start_rv,
                timeout_seconds=2,
                _request_timeout=10,
            )
        )
        typed = [e for e in events if isinstance(e["object"], client.V1ConfigMap)]
        assert [e["object"].data["n"] for e in typed] == ["1", "2", "3"]
        assert all(e["type"] == "MODIFIED" for e in typed)

        c.compact_etcd()
        t0 = time.monotonic()
        with pytest.raises(ApiException) as err:
            list(
                watch.Watch().stream(
                    core.list_namespaced_config_map,
                    ns,
                    resource_version=start_rv,
                    timeout_seconds=5,
                    _request_timeout=10,
                )
            )
        assert err.value.status == 410
        assert time.monotonic() - t0 < 5
