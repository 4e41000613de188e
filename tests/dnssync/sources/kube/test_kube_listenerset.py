"""Gateway API ListenerSets on a real apiserver (v1.6.1 standard CRDs): which routes attach,
and attach/detach as the Gateway, the ListenerSet or the route change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.sources.kube import ClusterSource, ObjectChange, WatchSettings
from dnssync.sources.kube.api import KubeApi
from dnssync.sources.objects import ListenerSetObject
from dnssync.testing.scenarios import desired_lines
from testinfra.k8s_apply import apply_manifests
from tests.dnssync.sources.kube.kube_testkit import (
    GW,
    Objects,
    eventually,
    listener_set_status,
    plan_json,
    records,
    run_cli,
)

pytestmark = pytest.mark.k8s

REPO = Path(__file__).resolve().parents[4]

GW_IP = "203.0.113.40"
KDC_LISTENERS = [
    {"name": "kdc-tcp", "port": 88, "protocol": "TCP"},
    {"name": "kdc-udp", "port": 88, "protocol": "UDP"},
]


def kdc(ns: str) -> dict[str, str]:
    return {
        "dnssync.io/hostname": f"kdc-{ns}.example.com",
        "dnssync.io/srv-domain": f"{ns}.example.com",
    }


def plan_args(kubeconfig: Path) -> list[str]:
    return ["--kubeconfig", str(kubeconfig), "--provider", "inmemory", "--zone", "example.com"]


def expected(ns: str) -> set[tuple[str, str, tuple[str, ...]]]:
    return {
        (f"kdc-{ns}.example.com.", "A", (GW_IP,)),
        (f"_kdc-tcp._tcp.{ns}.example.com.", "SRV", (f"0 100 88 kdc-{ns}.example.com.",)),
    }


def mine(plan: dict[str, Any], *namespaces: str) -> set[tuple[str, str, tuple[str, ...]]]:
    return {r for r in records(plan) if any(ns in r[0] for ns in namespaces)}


def gateway(objects: Objects, ns: str, allowed: dict[str, Any] | None) -> None:
    objects.gateway(
        ns,
        "gw",
        [{"name": "web", "port": 80, "protocol": "HTTP"}],
        [{"type": "IPAddress", "value": GW_IP}],
        allowed_listeners=allowed,
    )


def tcp_route(objects: Objects, ns: str, ls_ns: str, **parent: str) -> None:
    ref = {"kind": "ListenerSet", "name": "ls", "namespace": ls_ns, "sectionName": "kdc-tcp"}
    ref.update(parent)
    objects.route(ns, "TCPRoute", "kdc", [ref], annotations=kdc(ns))


@pytest.mark.parametrize(
    ("mode", "same_namespace", "labelled", "attached"),
    [
        ("default", False, False, False),
        ("None", False, False, False),
        ("Same", True, False, True),
        ("Same", False, False, False),
        ("All", False, False, True),
        ("Selector", False, True, True),
        ("Selector", False, False, False),
    ],
    ids=[
        "default-none",
        "none",
        "same-in-gateway-namespace",
        "same-other-namespace",
        "all",
        "selector-match",
        "selector-no-match",
    ],
)
def test_allowed_listeners(
    objects: Objects,
    kubeconfig: Path,
    mode: str,
    same_namespace: bool,
    labelled: bool,
    attached: bool,
) -> None:
    gw_ns = objects.namespace()
    ls_ns = (
        gw_ns
        if same_namespace
        else objects.namespace(labels={"tenant": "yes"} if labelled else None)
    )
    allowed: dict[str, Any] | None = None
    if mode == "Selector":
        allowed = {
            "namespaces": {"from": "Selector", "selector": {"matchLabels": {"tenant": "yes"}}}
        }
    elif mode != "default":
        allowed = {"namespaces": {"from": mode}}
    gateway(objects, gw_ns, allowed)
    objects.listener_set(ls_ns, "ls", {"name": "gw", "namespace": gw_ns}, KDC_LISTENERS)
    tcp_route(objects, ls_ns, ls_ns)

    _, plan, err = plan_json(plan_args(kubeconfig))
    if attached:
        assert mine(plan, ls_ns) == expected(ls_ns)
        owners = {c["owner_resource"] for c in plan["changes"] if ls_ns in c["name"]}
        assert owners == {f"tcproute/{ls_ns}/kdc"}
    else:
        assert mine(plan, ls_ns) == set()
        assert f"tcproute/{ls_ns}/kdc: spec.parentRefs: Gateway {gw_ns}/gw does not allow" in err


def test_conflicted_listener_and_gateway_parent(objects: Objects, kubeconfig: Path) -> None:
    gw_ns = objects.namespace()
    ls_ns = objects.namespace()
    gateway(objects, gw_ns, {"namespaces": {"from": "All"}})
    objects.listener_set(
        ls_ns, "ls", {"name": "gw", "namespace": gw_ns}, KDC_LISTENERS, conflicted=["kdc-tcp"]
    )
    # conflicted listener: nothing
    tcp_route(objects, ls_ns, ls_ns)
    # the UDP listener is fine
    objects.route(
        ls_ns,
        "UDPRoute",
        "kdc-udp",
        [{"kind": "ListenerSet", "name": "ls", "sectionName": "kdc-udp"}],
        annotations={"dnssync.io/hostname": f"udp-{ls_ns}.example.com"},
    )
    # a route whose parent is the Gateway never gets the ListenerSet's listeners
    objects.route(
        ls_ns,
        "UDPRoute",
        "via-gateway",
        [{"name": "gw", "namespace": gw_ns}],
        annotations={"dnssync.io/hostname": f"gw-{ls_ns}.example.com"},
    )
    _, plan, err = plan_json(plan_args(kubeconfig))
    assert mine(plan, ls_ns) == {(f"udp-{ls_ns}.example.com.", "A", (GW_IP,))}
    assert f"tcproute/{ls_ns}/kdc: spec.parentRefs: listener kdc-tcp of ListenerSet" in err
    assert "is Conflicted" in err
    assert (
        f"udproute/{ls_ns}/via-gateway: spec.parentRefs: Gateway {gw_ns}/gw has no listener" in err
    )


def test_attach_and_detach_arrive_by_watch(objects: Objects, api: KubeApi) -> None:
    """Changes to the Gateway and to the ListenerSet alone move the route's records."""
    gw_ns = objects.namespace()
    ls_ns = objects.namespace()
    gateway(objects, gw_ns, None)  # allowedListeners defaults to None
    objects.listener_set(ls_ns, "ls", {"name": "gw", "namespace": gw_ns}, KDC_LISTENERS)
    tcp_route(objects, ls_ns, ls_ns)
    source = ClusterSource(api, settings=WatchSettings(watch_timeout=5))
    changes: list[ObjectChange] = []
    source.add_listener(changes.append)

    def published() -> set[str]:
        result = desired_records(source.snapshot().objects, RuleSettings())
        return {line for line in desired_lines(result) if ls_ns in line}

    source.start()
    try:
        assert source.wait_synced(30), source.last_error
        assert "listenerset" in source.resources
        assert published() == set()
        # the Gateway admits ListenerSets: attach
        objects.patch(
            f"/apis/{GW}/v1/namespaces/{gw_ns}/gateways/gw",
            {"spec": {"allowedListeners": {"namespaces": {"from": "All"}}}},
        )
        eventually(lambda: len(published()) == 2)
        assert published() == {
            f"kdc-{ls_ns}.example.com. 300 A {GW_IP}",
            f"_kdc-tcp._tcp.{ls_ns}.example.com. 300 SRV 0 100 88 kdc-{ls_ns}.example.com.",
        }
        # the ListenerSet's listener becomes Conflicted: detach
        objects.patch_status(
            f"/apis/{GW}/v1/namespaces/{ls_ns}/listenersets/ls",
            listener_set_status(KDC_LISTENERS, True, ["kdc-tcp"]),
        )
        eventually(lambda: published() == set())
        key = ("listenerset", ls_ns, "ls")
        updates = [c for c in changes if c.key == key]
        assert len(updates) >= 2 and isinstance(updates[-1].after, ListenerSetObject)
        assert updates[-1].after.status_of("kdc-tcp") is not None
        # and back: Accepted again, then the ListenerSet is deleted
        objects.patch_status(
            f"/apis/{GW}/v1/namespaces/{ls_ns}/listenersets/ls",
            listener_set_status(KDC_LISTENERS, True),
        )
        eventually(lambda: len(published()) == 2)
        objects.delete(f"/apis/{GW}/v1/namespaces/{ls_ns}/listenersets/ls")
        eventually(lambda: published() == set())
    finally:
        source.stop()


def test_the_example_is_valid_and_explained_on_a_cluster(
    objects: Objects, kubeconfig: Path, tmp_path: Path
) -> None:
    """examples/kerberos-listenerset against the v1.6.1 CRDs, in namespaces of its own,
    then ``dnssync explain --kubeconfig`` on its routes."""
    prefix = objects.namespace()
    text = (REPO / "examples" / "kerberos-listenerset" / "kdc.yaml").read_text()
    for old in ("krb-admin", "krb", "infra"):  # longest first: krb-admin contains krb
        text = text.replace(f"namespace: {old}\n", f"namespace: {prefix}-{old}\n")
        text = text.replace(f"namespace: {old}}}", f"namespace: {prefix}-{old}}}")
        text = text.replace(f"namespace: {old},", f"namespace: {prefix}-{old},")
        text = text.replace(f"  name: {old}\n  labels", f"  name: {prefix}-{old}\n  labels")
    (tmp_path / "kdc.yaml").write_text(text)
    applied = apply_manifests(kubeconfig, [tmp_path])
    assert f"listenerset/{prefix}-krb/kerberos (status set)" in applied

    code, out, _ = run_cli(
        ["explain", f"tcproute/{prefix}-krb-admin/kdc-admin", "--kubeconfig", str(kubeconfig)]
    )
    assert code == 2, out
    assert "[NamespaceNotAllowed]" in out and f"ListenerSet {prefix}-krb/kerberos" in out

    code, out, _ = run_cli(
        [
            "explain",
            f"udproute/{prefix}-krb/kdc",
            "--kubeconfig",
            str(kubeconfig),
            "--provider",
            "inmemory",
            "--zone",
            "example.com",
            "--output",
            "json",
        ]
    )
    assert code == 0, out
    document = json.loads(out)
    assert [(r["name"], r["type"], r["values"]) for r in document["records"]] == [
        ("_kerberos._udp.example.com.", "SRV", ["0 100 88 kdc.example.com."]),
        ("kdc.example.com.", "A", ["203.0.113.50"]),
    ]
