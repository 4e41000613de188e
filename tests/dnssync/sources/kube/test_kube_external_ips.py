"""LoadBalancer Services with spec.externalIPs, and wildcard names, on a real apiserver.

Non-empty ``spec.externalIPs`` replace the load balancer status (as in ExternalDNS): the
records follow them, and an empty LB status no longer deletes anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dnssync.sources.kube.kube_testkit import Objects, plan_json, run_cli

pytestmark = pytest.mark.k8s


def test_external_ips_replace_the_lb_status_and_wildcards_are_published(
    objects: Objects, kubeconfig: Path, ns: str, tmp_path: Path
) -> None:
    plain, star = f"bare-{ns}.example.com.", f"*.bare-{ns}.example.com."
    args = [
        "--kubeconfig",
        str(kubeconfig),
        "--namespace",
        ns,
        "--provider",
        "zonefile",
        "--zonefile-dir",
        str(tmp_path),
        "--zone",
        "example.com",
    ]
    objects.service(
        ns,
        "bare",
        annotations={"external-dns.alpha.kubernetes.io/hostname": f"{plain},{star}"},
        ingress=[{"ip": "192.0.2.30"}],
    )
    code, plan, _ = plan_json(args)
    assert code == 2
    assert {(c["action"], c["name"], c["type"], tuple(c["values"])) for c in plan["changes"]} >= {
        ("create", plain, "A", ("192.0.2.30",)),
        ("create", star, "A", ("192.0.2.30",)),
    }
    assert (f"a-*.bare-{ns}.example.com.", "TXT") in {
        (c["name"], c["type"]) for c in plan["changes"]
    }
    assert run_cli(["apply", *args, "--yes"])[0] == 0
    assert plan_json(args)[0] == 0  # read back from the zone file: ours, in step

    # externalIPs set by hand (bare metal): they replace the status address.
    objects.patch(
        f"/api/v1/namespaces/{ns}/services/bare",
        {"spec": {"externalIPs": ["192.0.2.31", "2001:db8::31"]}},
    )
    code, plan, _ = plan_json(args)
    assert code == 2
    assert {(c["action"], c["name"], c["type"], tuple(c["values"])) for c in plan["changes"]} == {
        ("update", plain, "A", ("192.0.2.31",)),
        ("update", star, "A", ("192.0.2.31",)),
        ("create", plain, "AAAA", ("2001:db8::31",)),
        ("create", star, "AAAA", ("2001:db8::31",)),
        (
            "create",
            f"aaaa-bare-{ns}.example.com.",
            "TXT",
            (
                f'"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/{ns}/bare"',
            ),
        ),
        (
            "create",
            f"aaaa-*.bare-{ns}.example.com.",
            "TXT",
            (
                f'"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/{ns}/bare"',
            ),
        ),
    }
    assert run_cli(["apply", *args, "--yes"])[0] == 0

    # The load balancer goes away: the externalIPs still hold, nothing is deleted.
    objects.service_ingress(ns, "bare", [])
    code, plan, _ = plan_json(args)
    assert (code, plan["changes"]) == (0, [])
