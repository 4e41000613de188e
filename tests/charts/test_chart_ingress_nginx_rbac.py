"""The chart's ingress-nginx RBAC on a real kube-apiserver, with its ServiceAccount's token.

With ``ingressNginx.*`` set, the chart grants get/list/watch on exactly the two named
ConfigMaps (a Role with ``resourceNames``, which allows a list or watch only with a
``metadata.name`` field selector). The token can read them (and dnssync's own cluster
source syncs with it and sees the entries), and gets 403 for any other ConfigMap and for
an unselected list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import kubernetes.client
import kubernetes.watch
import pytest
from kubernetes.client.exceptions import ApiException

from dnssync.model.refs import ObjectRef
from dnssync.sources.ingress_nginx import IngressNginxSettings
from dnssync.sources.kube import ClusterSource, WatchSettings
from dnssync.sources.kube.client import ClientSettings, connect
from dnssync.sources.objects import StreamServicesObject
from testinfra.k8s import KubeCluster
from tests.charts.helmchart import CHART_DIR, CI_DIR, Helm, HelmError

pytestmark = pytest.mark.k8s

client: Any = kubernetes.client
watch: Any = kubernetes.watch

RELEASE, RELEASE_NS = "nginx", "dnssync-nginx"
NGINX_NS = "ingress-nginx"  # as in ci/ingress-nginx-values.yaml
SA = f"{RELEASE}-dnssync"


@pytest.fixture(scope="module")
def sa(helm: Helm, chart_cluster: KubeCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    cluster = chart_cluster
    cluster.ensure_namespace(NGINX_NS)  # ingress-nginx is installed first
    helm.run(
        "install",
        RELEASE,
        str(CHART_DIR),
        "--namespace",
        RELEASE_NS,
        "--create-namespace",
        "--kubeconfig",
        str(cluster.kubeconfig_path),
        "--values",
        str(CI_DIR / "ingress-nginx-values.yaml"),
        timeout=180,
    )
    with cluster.api_client() as admin:
        core = client.CoreV1Api(admin)
        for name, data in (
            ("tcp-services", {"5432": "db/postgres:5432"}),
            ("udp-services", {"53": "dns/coredns:53"}),
            ("secret-looking", {"password": "x"}),
        ):
            core.create_namespaced_config_map(
                NGINX_NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data=data)
            )
    token = cluster.create_service_account_token(RELEASE_NS, SA, create=False)
    path = cluster.write_kubeconfig(tmp_path_factory.mktemp("sa") / "sa.kubeconfig", token, SA)
    with cluster.api_client(token) as api:
        yield api, path


def _status(call: Callable[[], Any]) -> int:
    try:
        call()
    except ApiException as exc:
        return int(exc.status)
    return 200


def test_sa_gets_lists_and_watches_the_named_configmaps(sa: Any) -> None:
    api, _ = sa
    core = client.CoreV1Api(api)
    for name in ("tcp-services", "udp-services"):
        assert core.read_namespaced_config_map(name, NGINX_NS).metadata.name == name
        selected = core.list_namespaced_config_map(NGINX_NS, field_selector=f"metadata.name={name}")
        assert [c.metadata.name for c in selected.items] == [name]
        w = watch.Watch()
        try:
            first = next(
                iter(
                    w.stream(
                        core.list_namespaced_config_map,
                        NGINX_NS,
                        field_selector=f"metadata.name={name}",
                        timeout_seconds=5,
                    )
                )
            )
        finally:
            w.stop()
        assert first["type"] == "ADDED" and first["object"].metadata.name == name


def test_sa_gets_403_on_other_configmaps(sa: Any) -> None:
    api, _ = sa
    core = client.CoreV1Api(api)
    assert _status(lambda: core.read_namespaced_config_map("secret-looking", NGINX_NS)) == 403
    assert _status(lambda: core.list_namespaced_config_map(NGINX_NS)) == 403
    selected = "metadata.name=secret-looking"
    assert _status(lambda: core.list_namespaced_config_map(NGINX_NS, field_selector=selected)) == 403
    assert _status(lambda: core.list_config_map_for_all_namespaces()) == 403
    assert _status(lambda: core.read_namespaced_config_map("tcp-services", "default")) == 403
    body = {"data": {"1": "a/b:1"}}
    assert _status(lambda: core.patch_namespaced_config_map("tcp-services", NGINX_NS, body)) == 403


def test_dnssync_syncs_with_the_sa_and_reads_only_the_named_configmaps(sa: Any) -> None:
    _, path = sa
    settings = IngressNginxSettings.parse(
        f"{NGINX_NS}/ingress-nginx-controller", f"{NGINX_NS}/tcp-services", f"{NGINX_NS}/udp-services"
    )
    api = connect(ClientSettings(str(path), None))
    source = ClusterSource(
        api, settings=WatchSettings(watch_timeout=5), ingress_nginx=settings, owns_api=True
    )
    with source:
        assert source.wait_synced(30), source.last_error
        snapshot = source.snapshot()
    assert snapshot.complete, [str(d) for d in snapshot.diagnostics]
    configmaps = {o.ref: o for o in snapshot.objects if isinstance(o, StreamServicesObject)}
    assert set(configmaps) == {
        ObjectRef("configmap", NGINX_NS, "tcp-services"),
        ObjectRef("configmap", NGINX_NS, "udp-services"),
    }
    assert [e.service for e in configmaps[ObjectRef("configmap", NGINX_NS, "udp-services")].entries] == [
        "coredns"
    ]


def test_rendered_role_is_exactly_the_two_configmaps(helm: Helm) -> None:
    rendered = helm.render([CI_DIR / "ingress-nginx-values.yaml"])
    (role,) = [r for r in rendered.all("Role") if r["metadata"]["name"].endswith("ingress-nginx")]
    assert role["metadata"]["namespace"] == NGINX_NS
    assert role["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "resourceNames": ["tcp-services", "udp-services"],
            "verbs": ["get", "list", "watch"],
        }
    ]
    args = rendered.one("Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert f"--ingress-nginx-tcp-services={NGINX_NS}/tcp-services" in args
    # Without the values: no Role, no flag.
    plain = helm.render()
    assert not [r for r in plain.all("Role") if r["metadata"]["name"].endswith("ingress-nginx")]


def test_configmaps_without_the_controller_are_refused(helm: Helm) -> None:
    with pytest.raises(HelmError) as info:
        helm.render(set_values={"ingressNginx.tcpServices": "ingress-nginx/tcp-services"})
    assert "need ingressNginx.controller" in info.value.output
