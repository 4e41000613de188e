"""LoadBalancer Services on a real apiserver: plan --kubeconfig, apply, update, delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dnssync.sources.kube.kube_testkit import Objects, plan_json, records, run_cli

pytestmark = pytest.mark.k8s


def zonefile_args(kubeconfig: Path, ns: str, zones: Path) -> list[str]:
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
    ]


def test_plan_kubeconfig_inmemory(objects: Objects, kubeconfig: Path, ns: str) -> None:
    objects.service(
        ns,
        "web",
        annotations={"dnssync.io/hostname": f"web-{ns}.example.com"},
        ingress=[{"ip": "192.0.2.10"}],
    )
    # a Service that is not of type LoadBalancer publishes nothing
    objects.service(
        ns,
        "internal",
        annotations={"dnssync.io/hostname": f"int-{ns}.example.com"},
        type_="ClusterIP",
    )
    code, plan, _ = plan_json(
        [
            "--kubeconfig",
            str(kubeconfig),
            "--provider",
            "inmemory",
            "--zone",
            "example.com",
        ]
    )
    assert code == 2
    assert (f"web-{ns}.example.com.", "A", ("192.0.2.10",)) in records(plan)
    assert not any(f"int-{ns}" in c["name"] for c in plan["changes"])
    owners = {c["owner_resource"] for c in plan["changes"] if f"web-{ns}" in c["name"]}
    assert owners == {f"service/{ns}/web"}


def test_service_lifecycle_create_update_delete(
    objects: Objects, kubeconfig: Path, ns: str, tmp_path: Path
) -> None:
    name = f"app-{ns}.example.com."
    args = zonefile_args(kubeconfig, ns, tmp_path)
    # another Service stays, so the delete below is not "the source returned nothing"
    keep = f"keep-{ns}.example.com."
    objects.service(
        ns, "keep", annotations={"dnssync.io/hostname": keep}, ingress=[{"ip": "192.0.2.99"}]
    )
    assert run_cli(["apply", *args, "--yes"])[0] == 0
    # created, but no address yet: nothing to publish
    objects.service(ns, "app", annotations={"dnssync.io/hostname": name})
    code, plan, _ = plan_json(args)
    assert code == 0 and plan["changes"] == []

    # the load balancer reports its address through the status subresource
    objects.service_ingress(ns, "app", [{"ip": "192.0.2.20"}])
    code, plan, _ = plan_json(args)
    assert code == 2
    assert records(plan) == {(name, "A", ("192.0.2.20",))}
    assert {c["type"] for c in plan["changes"]} == {"A", "TXT"}
    assert run_cli(["apply", *args, "--yes"])[0] == 0
    assert plan_json(args)[0] == 0

    # the address changes: update
    objects.service_ingress(ns, "app", [{"ip": "192.0.2.21"}])
    code, plan, _ = plan_json(args)
    assert code == 2
    (change,) = [c for c in plan["changes"] if c["type"] == "A"]
    assert change["action"] == "update"
    assert change["values"] == ["192.0.2.21"]
    assert change["old_values"] == ["192.0.2.20"]
    assert run_cli(["apply", *args, "--yes"])[0] == 0
    assert "192.0.2.21" in (tmp_path / "example.com.zone").read_text()

    # the Service goes away: its records (and ownership TXT) are deleted
    objects.delete(f"/api/v1/namespaces/{ns}/services/app")
    code, plan, _ = plan_json(args)
    assert code == 2
    assert {(c["action"], c["type"]) for c in plan["changes"]} == {
        ("delete", "A"),
        ("delete", "TXT"),
    }
    assert run_cli(["apply", *args, "--yes"])[0] == 0
    assert "192.0.2.21" not in (tmp_path / "example.com.zone").read_text()
    assert plan_json(args)[0] == 0


def test_unreachable_cluster_is_an_error(tmp_path: Path) -> None:
    from testinfra.k8s import _free_ports

    config = tmp_path / "kubeconfig"
    (port,) = _free_ports(1)
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{port}', "
        "insecure-skip-tls-verify: true}}]\n"
        "users: [{name: u, user: {token: abc}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )
    code, _out, err = run_cli(
        ["plan", "--kubeconfig", str(config), "--provider", "inmemory", "--zone", "example.com"]
    )
    assert code == 1
    assert "cannot read the cluster" in err and f"127.0.0.1:{port}" in err


def test_missing_kubeconfig_and_context(kubeconfig: Path, tmp_path: Path) -> None:
    code, _, err = run_cli(
        ["plan", "--kubeconfig", str(tmp_path / "nope"), "--provider", "inmemory"]
    )
    assert code == 1 and "not found" in err
    code, _, err = run_cli(
        ["plan", "--kubeconfig", str(kubeconfig), "--context", "other", "--provider", "inmemory"]
    )
    assert code == 1 and "other" in err
