"""Interop with a real ExternalDNS ``--source=ingress`` on one real apiserver and one BIND.

A zone ExternalDNS (owner id X) wrote from Ingresses (rules and tls hosts, the hostname
annotation with ``ingress-hostname-source: annotation-only``, IP and hostname load balancer
status, dual stack, ``--ingress-class`` on spec.ingressClassName and on the legacy
annotation) is taken over by dnssync (owner id X, given with ExternalDNS's own flag names):
the plan is empty (an Ingress has no ports, so not even SRV records are added), ``apply``
sends nothing, and the two tools then agree on every change that follows: a new address is
followed, a deleted Ingress's records are deleted, and ExternalDNS run after dnssync sends
nothing. Records of another owner and unowned records are never touched.

Needs the binaries of tools/k8s/build.sh and tools/external-dns/build.sh and BIND9; without
them the tests skip, unless DNSSYNC_REQUIRE_K8S=1 (CI), which makes it a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testinfra import bind as bind_mod
from testinfra.bind import BindServer, DnsServer
from testinfra.external_dns import ExternalDns, binary_available, ensure_binary
from testinfra.gates import require_k8s
from testinfra.k8s import KubeCluster, binaries_available
from tests.e2e.interop_helpers import (
    PREFIX,
    ingress,
    owner_txt,
    serial,
    set_ingress_status,
    transfer,
    write,
)

pytestmark = [pytest.mark.k8s, pytest.mark.bind, pytest.mark.slow]

ZONE = "ingress.test"
OWNER = "x"
REPO = Path(__file__).resolve().parents[2]
TTL = {PREFIX + "ttl": "300"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[KubeCluster]:
    require_k8s(
        binaries_available(), "kube-apiserver/etcd not built and no Go (tools/k8s/build.sh)"
    )
    require_k8s(
        binary_available(), "external-dns not built and no Go (tools/external-dns/build.sh)"
    )
    require_k8s(bind_mod.available(), "BIND9 (/usr/sbin/named) is not installed")
    ensure_binary()
    with KubeCluster(crds=()) as kube:
        yield kube


@pytest.fixture
def bind() -> Iterator[DnsServer]:
    with BindServer((ZONE,)) as server:
        yield server


@pytest.fixture
def ns(cluster: KubeCluster) -> str:
    name = f"ing-{uuid.uuid4().hex[:8]}"
    cluster.ensure_namespace(name)
    return name


def edns(cluster: KubeCluster, server: DnsServer, ns: str) -> ExternalDns:
    return ExternalDns(
        cluster.kubeconfig_path,
        server.host,
        server.port,
        (ZONE,),
        server.tsig,
        owner_id=OWNER,
        extra_args=[f"--namespace={ns}", "--source=ingress", "--ingress-class=public"],
    )


def dnssync(
    command: str, cluster: KubeCluster, server: DnsServer, ns: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    """dnssync with ExternalDNS's flag names, as a migrated Deployment would start it."""
    argv = [
        sys.executable,
        "-m",
        "dnssync",
        command,
        f"--kubeconfig={cluster.kubeconfig_path}",
        "--source=service",
        "--source=ingress",
        "--ingress-class=public",
        f"--namespace={ns}",
        "--provider=rfc2136",
        f"--rfc2136-host={server.host}",
        f"--rfc2136-port={server.port}",
        f"--rfc2136-zone={ZONE}",
        f"--rfc2136-tsig-keyname={server.tsig.key_name}",
        f"--rfc2136-tsig-secret-alg={server.tsig.algorithm}",
        "--rfc2136-tsig-axfr",
        "--registry=txt",
        f"--txt-owner-id={OWNER}",
        f"--domain-filter={ZONE}",
        "--policy=sync",
        "--output=json",
        *extra,
    ]
    env = dict(os.environ, DNSSYNC_RFC2136_TSIG_SECRET=server.tsig.secret)
    return subprocess.run(
        argv, capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False
    )


def plan(cluster: KubeCluster, server: DnsServer, ns: str) -> tuple[int, dict[str, Any]]:
    proc = dnssync("plan", cluster, server, ns)
    assert proc.returncode in (0, 2), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def populate(cluster: KubeCluster, ns: str, server: DnsServer) -> None:
    ingress(
        cluster,
        ns,
        "shop",
        rules=[f"shop.{ZONE}"],
        tls=[[f"shop.{ZONE}", f"www-shop.{ZONE}"]],
        annotations=TTL,
        class_name="public",
        status=[{"ip": "203.0.113.70"}],
    )
    ingress(
        cluster,
        ns,
        "aws",
        rules=[f"app.{ZONE}"],
        annotations=TTL,
        class_name="public",
        status=[{"hostname": "lb-3.elb.example.net"}],
    )
    ingress(
        cluster,
        ns,
        "dual",
        rules=[f"dual.{ZONE}"],
        annotations=TTL,
        class_name="public",
        status=[{"ip": "203.0.113.71"}, {"ip": "2001:db8::71"}],
    )
    ingress(
        cluster,
        ns,
        "annotated",
        rules=[f"not-this.{ZONE}"],
        annotations={
            **TTL,
            PREFIX + "hostname": f"extra.{ZONE},extra2.{ZONE}",
            PREFIX + "ingress-hostname-source": "annotation-only",
        },
        class_name="public",
        status=[{"ip": "203.0.113.72"}],
    )
    ingress(  # the legacy class annotation
        cluster,
        ns,
        "legacy",
        rules=[f"legacy.{ZONE}"],
        annotations={**TTL, "kubernetes.io/ingress.class": "public"},
        status=[{"ip": "203.0.113.73"}],
    )
    ingress(  # another class: neither tool publishes it
        cluster,
        ns,
        "internal",
        rules=[f"internal.{ZONE}"],
        annotations=TTL,
        class_name="internal",
        status=[{"ip": "10.0.0.1"}],
    )
    ingress(  # a name another owner holds: both refuse it
        cluster,
        ns,
        "squatter",
        rules=[f"foreign.{ZONE}"],
        annotations=TTL,
        class_name="public",
        status=[{"ip": "203.0.113.74"}],
    )
    write(
        server,
        ZONE,
        [
            (f"foreign.{ZONE}.", 600, "A", "198.51.100.1"),
            (f"a-foreign.{ZONE}.", 600, "TXT", owner_txt("other", "ingress/elsewhere/foreign")),
            (f"manual.{ZONE}.", 600, "A", "198.51.100.3"),
        ],
    )


def test_dnssync_takes_over_an_externaldns_ingress_zone_without_a_change(
    cluster: KubeCluster, bind: DnsServer, ns: str
) -> None:
    populate(cluster, ns, bind)
    baseline = transfer(bind, ZONE)

    edns(cluster, bind, ns).run_once()
    written = transfer(bind, ZONE)
    r = f"ingress/{ns}"
    expected_by_edns = {
        (f"shop.{ZONE}.", "A"): {"203.0.113.70"},
        (f"a-shop.{ZONE}.", "TXT"): {owner_txt(OWNER, f"{r}/shop")},
        (f"www-shop.{ZONE}.", "A"): {"203.0.113.70"},  # from spec.tls only
        (f"a-www-shop.{ZONE}.", "TXT"): {owner_txt(OWNER, f"{r}/shop")},
        (f"app.{ZONE}.", "CNAME"): {"lb-3.elb.example.net."},
        (f"cname-app.{ZONE}.", "TXT"): {owner_txt(OWNER, f"{r}/aws")},
        (f"dual.{ZONE}.", "A"): {"203.0.113.71"},
        (f"a-dual.{ZONE}.", "TXT"): {owner_txt(OWNER, f"{r}/dual")},
        (f"dual.{ZONE}.", "AAAA"): {"2001:db8::71"},
        (f"aaaa-dual.{ZONE}.", "TXT"): {owner_txt(OWNER, f"{r}/dual")},
        (f"extra.{ZONE}.", "A"): {"203.0.113.72"},
        (f"a-extra.{ZONE}.", "TXT"): {owner_txt(OWNER, f"{r}/annotated")},
        (f"extra2.{ZONE}.", "A"): {"203.0.113.72"},
        (f"a-extra2.{ZONE}.", "TXT"): {owner_txt(OWNER, f"{r}/annotated")},
        (f"legacy.{ZONE}.", "A"): {"203.0.113.73"},
        (f"a-legacy.{ZONE}.", "TXT"): {owner_txt(OWNER, f"{r}/legacy")},
    }
    assert {k: set(written[k][1]) for k in expected_by_edns if k in written} == expected_by_edns
    assert set(written) == set(expected_by_edns) | set(baseline), "ExternalDNS wrote more"
    assert all(written[k][0] == 300 for k in expected_by_edns if k[1] != "TXT")

    # dnssync, same owner id, ExternalDNS's flags: nothing at all to do.
    code, doc = plan(cluster, bind, ns)
    assert (code, doc["changes"]) == (0, []), json.dumps(doc, indent=1)
    before = serial(bind, ZONE)
    proc = dnssync("apply", cluster, bind, ns, "--yes")
    assert proc.returncode == 0, proc.stderr
    assert serial(bind, ZONE) == before
    assert transfer(bind, ZONE) == written

    # dnssync now follows the Ingresses, and ExternalDNS agrees with every step.
    set_ingress_status(cluster, ns, "shop", [{"ip": "203.0.113.80"}])
    cluster.request("DELETE", f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses/legacy")
    code, doc = plan(cluster, bind, ns)
    assert code == 2
    changes = {(c["action"], c["name"], c["type"]) for c in doc["changes"]}
    assert changes == {
        ("update", f"shop.{ZONE}.", "A"),
        ("update", f"www-shop.{ZONE}.", "A"),
        ("delete", f"legacy.{ZONE}.", "A"),
        ("delete", f"a-legacy.{ZONE}.", "TXT"),
    }, json.dumps(doc, indent=1)
    proc = dnssync("apply", cluster, bind, ns, "--yes")
    assert proc.returncode == 0, proc.stderr
    after = transfer(bind, ZONE)
    assert after[(f"shop.{ZONE}.", "A")] == (300, frozenset({"203.0.113.80"}))
    assert (f"legacy.{ZONE}.", "A") not in after and (f"a-legacy.{ZONE}.", "TXT") not in after
    # the other owner's records, the unowned one and the refused name are as they were
    for key in [(f"foreign.{ZONE}.", "A"), (f"a-foreign.{ZONE}.", "TXT"), (f"manual.{ZONE}.", "A")]:
        assert after[key] == baseline[key]
    before = serial(bind, ZONE)
    log = edns(cluster, bind, ns).run_once()
    assert serial(bind, ZONE) == before, log
    assert transfer(bind, ZONE) == after
