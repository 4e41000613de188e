"""The chart on a real kube-apiserver: `helm install`, then the ServiceAccount's own token.

The token (TokenRequest) must be able to do everything the daemon needs (list/watch
Services, Gateways and routes, list/watch Namespaces, create/patch Events, get/update its
Lease) and must get 403 for anything else (Secrets, Leases elsewhere, writes to the
sources, their status). There is no kubelet, so the Deployment's pods never run: that is
fine, RBAC is what is being tested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import kubernetes.client
import kubernetes.watch
import pytest
from kubernetes.client.exceptions import ApiException

from testinfra.k8s import KubeCluster
from tests.charts.helmchart import CHART_DIR, CI_DIR, Helm

pytestmark = pytest.mark.k8s

# The generated client's Optional-everywhere models only add noise to assertions here.
client: Any = kubernetes.client
watch: Any = kubernetes.watch

GW = "gateway.networking.k8s.io"
ROUTE_PLURALS = ("gateways", "listenersets", "httproutes", "tlsroutes", "tcproutes", "udproutes")
HA_NS, HA_RELEASE, HA_LEASE = "dnssync-system", "dnssync", "dnssync-leader"
SOLO_NS, SOLO_RELEASE = "dnssync-solo", "solo"  # default values: one replica, no Lease
APPS_NS = "apps"


@dataclass(frozen=True)
class Installed:
    cluster: KubeCluster
    admin: Any  # kubernetes.client.ApiClient
    sa: Any  # the chart's ServiceAccount token
    solo_sa: Any
    helm_output: str


def _helm_install(
    helm: Helm, cluster: KubeCluster, release: str, namespace: str, *values: Path
) -> str:
    args = [
        "install",
        release,
        str(CHART_DIR),
        "--namespace",
        namespace,
        "--create-namespace",
        "--kubeconfig",
        str(cluster.kubeconfig_path),
    ]
    for path in values:
        args += ["--values", str(path)]
    return helm.run(*args, timeout=180)


def _create_sources(cluster: KubeCluster) -> None:
    """A UDP LoadBalancer Service and a Gateway in APPS_NS, created by the admin."""
    with cluster.api_client() as admin:
        client.CoreV1Api(admin).create_namespaced_service(
            APPS_NS,
            client.V1Service(
                metadata=client.V1ObjectMeta(name="kdc-udp"),
                spec=client.V1ServiceSpec(
                    type="LoadBalancer",
                    ports=[client.V1ServicePort(name="kerberos", port=88, protocol="UDP")],
                ),
            ),
        )
        client.CustomObjectsApi(admin).create_namespaced_custom_object(
            GW,
            "v1",
            APPS_NS,
            "gateways",
            {
                "apiVersion": f"{GW}/v1",
                "kind": "Gateway",
                "metadata": {"name": "edge"},
                "spec": {
                    "gatewayClassName": "lb",
                    "listeners": [{"name": "krb", "port": 88, "protocol": "TCP"}],
                },
            },
        )


@pytest.fixture(scope="module")
def installed(helm: Helm, chart_cluster: KubeCluster) -> Iterator[Installed]:
    cluster = chart_cluster
    out = _helm_install(helm, cluster, HA_RELEASE, HA_NS, CI_DIR / "leader-election-values.yaml")
    _helm_install(helm, cluster, SOLO_RELEASE, SOLO_NS)
    cluster.ensure_namespace(APPS_NS)
    _create_sources(cluster)
    token = cluster.create_service_account_token(HA_NS, HA_RELEASE, create=False)
    solo_token = cluster.create_service_account_token(SOLO_NS, "solo-dnssync", create=False)
    with (
        cluster.api_client() as admin,
        cluster.api_client(token) as sa,
        cluster.api_client(solo_token) as solo_sa,
    ):
        yield Installed(cluster, admin, sa, solo_sa, out)


def _status(call: Callable[[], Any]) -> int:
    """HTTP status of a call: 200 when it went through."""
    try:
        call()
    except ApiException as exc:
        return int(exc.status)
    return 200


def _forbidden(call: Callable[[], Any]) -> None:
    assert _status(call) == 403


def _watch_first(list_call: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Open a watch with the given list function; return the first event."""
    w = watch.Watch()
    try:
        for event in w.stream(list_call, *args, timeout_seconds=5, **kwargs):
            return dict(event)
    finally:
        w.stop()
    raise AssertionError("the watch ended without an event")


def _lease(name: str, holder: str) -> Any:
    return client.V1Lease(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1LeaseSpec(
            holder_identity=holder,
            lease_duration_seconds=15,
            acquire_time=datetime.now(UTC),
            renew_time=datetime.now(UTC),
        ),
    )


# --------------------------------------------------------------------------- the install


def test_helm_install_creates_the_chart(installed: Installed) -> None:
    assert "STATUS: deployed" in installed.helm_output
    assert "leader election on Lease dnssync-system/dnssync-leader" in installed.helm_output
    rbac = client.RbacAuthorizationV1Api(installed.admin)
    role = rbac.read_cluster_role(HA_RELEASE)
    assert [(r.api_groups, r.resources, r.verbs) for r in role.rules] == [
        ([""], ["services"], ["get", "list", "watch"]),
        (["networking.k8s.io"], ["ingresses"], ["get", "list", "watch"]),
        ([GW], list(ROUTE_PLURALS), ["get", "list", "watch"]),
        ([""], ["namespaces"], ["list", "watch"]),
        (["", "events.k8s.io"], ["events"], ["create", "patch"]),
    ]
    lease_role = rbac.read_namespaced_role(f"{HA_RELEASE}-leader-election", HA_NS)
    assert [r.resource_names for r in lease_role.rules] == [None, [HA_LEASE]]
    apps = client.AppsV1Api(installed.admin)
    assert apps.read_namespaced_deployment(HA_RELEASE, HA_NS).spec.replicas == 3
    assert apps.read_namespaced_deployment("solo-dnssync", SOLO_NS).spec.replicas == 1
    with pytest.raises(ApiException) as info:  # one replica: no Lease permissions at all
        rbac.read_namespaced_role("solo-dnssync-leader-election", SOLO_NS)
    assert info.value.status == 404


def test_server_side_dry_run_of_the_deployment(installed: Installed, helm: Helm) -> None:
    """The apiserver itself accepts every rendered object (admission + schema)."""
    rendered = helm.render([CI_DIR / "rfc2136-values.yaml"], namespace=APPS_NS)
    deployment = rendered.one("Deployment")
    apps = client.AppsV1Api(installed.admin)
    created = apps.create_namespaced_deployment(APPS_NS, deployment, dry_run="All")
    container = created.spec.template.spec.containers[0]
    assert container.security_context.read_only_root_filesystem is True
    assert container.env[-1].value_from.secret_key_ref.name == "dnssync-tsig"


# --------------------------------------------------------------------------- allowed


def test_sa_lists_gets_and_watches_services(installed: Installed) -> None:
    core = client.CoreV1Api(installed.sa)
    names = [s.metadata.name for s in core.list_service_for_all_namespaces().items]
    assert "kdc-udp" in names
    assert core.list_namespaced_service(APPS_NS).items
    assert core.read_namespaced_service("kdc-udp", APPS_NS).spec.ports[0].port == 88
    event = _watch_first(core.list_namespaced_service, APPS_NS)
    assert event["type"] == "ADDED" and event["object"].metadata.name == "kdc-udp"


def test_sa_lists_and_watches_gateways_and_routes(installed: Installed) -> None:
    custom = client.CustomObjectsApi(installed.sa)
    for plural in ROUTE_PLURALS:
        listed = custom.list_cluster_custom_object(GW, "v1", plural)
        assert listed["kind"].endswith("List")
        custom.list_namespaced_custom_object(GW, "v1", APPS_NS, plural)
    gateway = custom.get_namespaced_custom_object(GW, "v1", APPS_NS, "gateways", "edge")
    assert gateway["spec"]["listeners"][0]["port"] == 88
    event = _watch_first(custom.list_cluster_custom_object, GW, "v1", "gateways")
    assert event["type"] == "ADDED" and event["object"]["metadata"]["name"] == "edge"
    for plural in ROUTE_PLURALS[1:]:  # a watch on an empty kind opens and times out cleanly
        w = watch.Watch()
        assert (
            list(w.stream(custom.list_cluster_custom_object, GW, "v1", plural, timeout_seconds=1))
            == []
        )


def test_sa_lists_and_watches_ingresses_but_cannot_write_them(installed: Installed) -> None:
    networking = client.NetworkingV1Api(installed.sa)
    assert networking.list_ingress_for_all_namespaces().items == []
    assert networking.list_namespaced_ingress(APPS_NS).items == []
    w = watch.Watch()  # a watch on an empty kind opens and times out cleanly
    assert list(w.stream(networking.list_ingress_for_all_namespaces, timeout_seconds=1)) == []
    body = {"metadata": {"name": "x"}, "spec": {"rules": [{"host": "x.example.com"}]}}
    _forbidden(lambda: networking.create_namespaced_ingress(APPS_NS, body))
    _forbidden(lambda: networking.list_ingress_class())


def test_sa_lists_and_watches_namespaces(installed: Installed) -> None:
    core = client.CoreV1Api(installed.sa)
    names = {n.metadata.name for n in core.list_namespace().items}
    assert {APPS_NS, HA_NS, "default"} <= names
    assert _watch_first(core.list_namespace)["type"] == "ADDED"


def test_sa_creates_and_patches_events_in_both_groups(installed: Installed) -> None:
    now = datetime.now(UTC)
    core = client.CoreV1Api(installed.sa)
    involved = client.V1ObjectReference(
        api_version="v1", kind="Service", name="kdc-udp", namespace=APPS_NS
    )
    created = core.create_namespaced_event(
        APPS_NS,
        client.CoreV1Event(
            metadata=client.V1ObjectMeta(name="kdc-udp.core"),
            involved_object=involved,
            reason="InvalidHostname",
            message="skipped: bad name",
            type="Warning",
            count=1,
            first_timestamp=now,
            last_timestamp=now,
            source=client.V1EventSource(component="dnssync"),
        ),
    )
    patched = core.patch_namespaced_event(
        created.metadata.name, APPS_NS, {"count": 2, "lastTimestamp": now.isoformat()}
    )
    assert patched.count == 2

    events = client.EventsV1Api(installed.sa)
    new = events.create_namespaced_event(
        APPS_NS,
        client.EventsV1Event(
            metadata=client.V1ObjectMeta(name="kdc-udp.events"),
            event_time=now,
            reporting_controller="dnssync.io/dnssync",
            reporting_instance="dnssync-0",
            action="Reconcile",
            reason="InvalidHostname",
            note="skipped: bad name",
            type="Warning",
            regarding=involved,
        ),
    )
    patched_new = events.patch_namespaced_event(
        new.metadata.name, APPS_NS, {"series": {"count": 2, "lastObservedTime": now.isoformat()}}
    )
    assert patched_new.series.count == 2
    # create/patch only
    _forbidden(lambda: core.list_namespaced_event(APPS_NS))
    _forbidden(lambda: core.read_namespaced_event(created.metadata.name, APPS_NS))
    _forbidden(lambda: core.delete_namespaced_event(created.metadata.name, APPS_NS))
    _forbidden(lambda: events.delete_namespaced_event(new.metadata.name, APPS_NS))


def test_sa_gets_creates_and_updates_its_lease(installed: Installed) -> None:
    leases = client.CoordinationV1Api(installed.sa)
    assert _status(lambda: leases.read_namespaced_lease(HA_LEASE, HA_NS)) == 404  # allowed
    created = leases.create_namespaced_lease(HA_NS, _lease(HA_LEASE, "dnssync-0"))
    got = leases.read_namespaced_lease(HA_LEASE, HA_NS)
    assert got.spec.holder_identity == "dnssync-0"
    got.spec.holder_identity = "dnssync-1"
    got.spec.renew_time = datetime.now(UTC)
    updated = leases.replace_namespaced_lease(HA_LEASE, HA_NS, got)
    assert updated.spec.holder_identity == "dnssync-1"
    # a stale resourceVersion still gets 409 (not 403): the lock works
    stale = created
    assert _status(lambda: leases.replace_namespaced_lease(HA_LEASE, HA_NS, stale)) == 409


# --------------------------------------------------------------------------- forbidden


def test_sa_cannot_touch_leases_elsewhere(installed: Installed) -> None:
    leases = client.CoordinationV1Api(installed.sa)
    installed.cluster.ensure_namespace("kube-system")
    admin = client.CoordinationV1Api(installed.admin)
    admin.create_namespaced_lease(APPS_NS, _lease("other", "someone"))
    admin.create_namespaced_lease(HA_NS, _lease("someone-elses", "someone"))
    for namespace in (APPS_NS, "kube-system", "default"):
        assert (
            _status(partial(leases.create_namespaced_lease, namespace, _lease(HA_LEASE, "x")))
            == 403
        )
        assert _status(partial(leases.read_namespaced_lease, HA_LEASE, namespace)) == 403
        assert _status(partial(leases.list_namespaced_lease, namespace)) == 403
    _forbidden(lambda: leases.read_namespaced_lease("other", APPS_NS))
    _forbidden(lambda: leases.list_lease_for_all_namespaces())
    # in its own namespace: only its own Lease can be read or written, none deleted
    _forbidden(lambda: leases.read_namespaced_lease("someone-elses", HA_NS))
    other = admin.read_namespaced_lease("someone-elses", HA_NS)
    _forbidden(lambda: leases.replace_namespaced_lease("someone-elses", HA_NS, other))
    _forbidden(lambda: leases.list_namespaced_lease(HA_NS))
    _forbidden(lambda: leases.patch_namespaced_lease(HA_LEASE, HA_NS, {"spec": {}}))
    _forbidden(lambda: leases.delete_namespaced_lease(HA_LEASE, HA_NS))
    # the single-replica release has no Lease permissions at all
    solo = client.CoordinationV1Api(installed.solo_sa)
    _forbidden(lambda: solo.create_namespaced_lease(SOLO_NS, _lease("solo-dnssync", "x")))
    _forbidden(lambda: solo.read_namespaced_lease("solo-dnssync", SOLO_NS))


def test_sa_cannot_read_secrets(installed: Installed) -> None:
    admin = client.CoreV1Api(installed.admin)
    admin.create_namespaced_secret(
        HA_NS,
        client.V1Secret(
            metadata=client.V1ObjectMeta(name="dnssync-tsig"), string_data={"secret": "c2VjcmV0"}
        ),
    )
    core = client.CoreV1Api(installed.sa)
    _forbidden(lambda: core.list_secret_for_all_namespaces())
    _forbidden(lambda: core.list_namespaced_secret(HA_NS))
    _forbidden(lambda: core.read_namespaced_secret("dnssync-tsig", HA_NS))
    _forbidden(lambda: core.list_namespaced_config_map(HA_NS))
    _forbidden(lambda: core.list_pod_for_all_namespaces())


def test_sa_cannot_write_sources_or_their_status(installed: Installed) -> None:
    core = client.CoreV1Api(installed.sa)
    status = {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}}
    _forbidden(lambda: core.patch_namespaced_service_status("kdc-udp", APPS_NS, status))
    _forbidden(lambda: core.read_namespaced_service_status("kdc-udp", APPS_NS))
    _forbidden(lambda: core.patch_namespaced_service("kdc-udp", APPS_NS, {"metadata": {}}))
    _forbidden(lambda: core.delete_namespaced_service("kdc-udp", APPS_NS))
    _forbidden(
        lambda: core.create_namespaced_service(
            APPS_NS, client.V1Service(metadata=client.V1ObjectMeta(name="x"))
        )
    )
    _forbidden(lambda: core.read_namespace(APPS_NS))  # namespaces: list/watch only
    _forbidden(lambda: core.patch_namespace(APPS_NS, {"metadata": {"labels": {"a": "b"}}}))
    custom = client.CustomObjectsApi(installed.sa)
    _forbidden(
        lambda: custom.patch_namespaced_custom_object_status(
            GW, "v1", APPS_NS, "gateways", "edge", {"status": {}}
        )
    )
    _forbidden(
        lambda: custom.patch_namespaced_custom_object(
            GW, "v1", APPS_NS, "gateways", "edge", {"metadata": {"labels": {"a": "b"}}}
        )
    )
    _forbidden(lambda: custom.list_cluster_custom_object(GW, "v1", "gatewayclasses"))
    _forbidden(lambda: custom.list_cluster_custom_object(GW, "v1beta1", "referencegrants"))


def test_sa_cannot_escalate(installed: Installed) -> None:
    rbac = client.RbacAuthorizationV1Api(installed.sa)
    _forbidden(lambda: rbac.list_cluster_role())
    _forbidden(lambda: rbac.patch_cluster_role(HA_RELEASE, {"rules": []}))
    core = client.CoreV1Api(installed.sa)
    _forbidden(
        lambda: core.create_namespaced_service_account_token(
            HA_RELEASE,
            HA_NS,
            client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[])),
        )
    )
