"""Wildcard names written by a real ExternalDNS are taken over by dnssync (same owner id).

ExternalDNS (rfc2136 provider, TXT registry) publishes ``*.kdc.<zone>`` (A) and
``*.web.<zone>`` (CNAME to an LB hostname) with their ownership TXT records: by default at
``a-*.kdc.<zone>`` / ``cname-*.web.<zone>``, with ``--txt-wildcard-replacement=wildcard`` at
``a-wildcard.kdc.<zone>`` / ``cname-wildcard.web.<zone>``. dnssync, given the same owner id
(and the same replacement), plans only the SRV records ExternalDNS cannot make: no delete,
no update, no re-create; after ``apply`` the records ExternalDNS wrote are unchanged, and
ExternalDNS run again on the zone sends nothing (the SOA serial stays).

Needs the binaries of tools/k8s/build.sh and tools/external-dns/build.sh and BIND9 (see
tests/e2e/test_externaldns_interop.py).
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
from tests.e2e.interop_helpers import owner_txt, serial, service, transfer

pytestmark = [pytest.mark.k8s, pytest.mark.bind, pytest.mark.slow]

ZONE = "wild.test"
OWNER = "x"
REPO = Path(__file__).resolve().parents[2]


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
    name = f"wild-{uuid.uuid4().hex[:8]}"
    cluster.ensure_namespace(name)
    return name


def edns(cluster: KubeCluster, server: DnsServer, ns: str, *extra: str) -> ExternalDns:
    return ExternalDns(
        cluster.kubeconfig_path,
        server.host,
        server.port,
        (ZONE,),
        server.tsig,
        owner_id=OWNER,
        extra_args=[f"--namespace={ns}", *extra],
    )


def dnssync(
    command: str, cluster: KubeCluster, server: DnsServer, ns: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable,
        "-m",
        "dnssync",
        command,
        "--kubeconfig",
        str(cluster.kubeconfig_path),
        "--source",
        "service",
        "--namespace",
        ns,
        "--provider",
        "rfc2136",
        "--rfc2136-host",
        server.host,
        "--rfc2136-port",
        str(server.port),
        "--rfc2136-zone",
        ZONE,
        "--rfc2136-tsig-keyname",
        server.tsig.key_name,
        "--rfc2136-tsig-secret-alg",
        server.tsig.algorithm,
        "--owner-id",
        OWNER,
        "--output",
        "json",
        *extra,
    ]
    env = dict(os.environ, DNSSYNC_RFC2136_TSIG_SECRET=server.tsig.secret)
    return subprocess.run(
        argv, capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False
    )


def plan(
    cluster: KubeCluster, server: DnsServer, ns: str, *extra: str
) -> tuple[int, dict[str, Any]]:
    proc = dnssync("plan", cluster, server, ns, *extra)
    assert proc.returncode in (0, 2), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def populate(cluster: KubeCluster, ns: str) -> None:
    service(
        cluster,
        ns,
        "kdc",
        hostname=f"kdc.{ZONE},*.kdc.{ZONE}",
        ingress=[{"ip": "203.0.113.70"}],
        srv_domain=ZONE,
        ports=[{"name": "kerberos", "port": 88, "protocol": "TCP"}],
    )
    service(cluster, ns, "web", hostname=f"*.web.{ZONE}", ingress=[{"hostname": "lb.example.net"}])


@pytest.mark.parametrize("replacement", ["", "wildcard"], ids=["default", "replacement"])
def test_dnssync_takes_over_externaldns_wildcards(
    cluster: KubeCluster, bind: DnsServer, ns: str, replacement: str
) -> None:
    flags = [f"--txt-wildcard-replacement={replacement}"] if replacement else []
    star = replacement or "*"
    populate(cluster, ns)
    baseline = transfer(bind, ZONE)

    edns(cluster, bind, ns, *flags).run_once()
    written = transfer(bind, ZONE)
    r = f"service/{ns}"
    expected = {
        (f"kdc.{ZONE}.", "A"): frozenset({"203.0.113.70"}),
        (f"a-kdc.{ZONE}.", "TXT"): frozenset({owner_txt(OWNER, f"{r}/kdc")}),
        (f"*.kdc.{ZONE}.", "A"): frozenset({"203.0.113.70"}),
        (f"a-{star}.kdc.{ZONE}.", "TXT"): frozenset({owner_txt(OWNER, f"{r}/kdc")}),
        (f"*.web.{ZONE}.", "CNAME"): frozenset({"lb.example.net."}),
        (f"cname-{star}.web.{ZONE}.", "TXT"): frozenset({owner_txt(OWNER, f"{r}/web")}),
    }
    for key, values in expected.items():
        assert key in written, f"ExternalDNS did not write {key}: {sorted(written)}"
        assert written[key][1] == values, key
    assert set(written) == set(expected) | set(baseline), "ExternalDNS wrote more"

    # dnssync with the same owner id (and replacement): only the SRV it adds.
    code, doc = plan(cluster, bind, ns, *flags)
    assert code == 2, doc
    assert doc["summary"] == {"create": 2, "update": 0, "delete": 0}, json.dumps(doc, indent=1)
    created = {(c["action"], c["name"], c["type"]): c["values"] for c in doc["changes"]}
    assert created == {
        ("create", f"_kerberos._tcp.{ZONE}.", "SRV"): [f"0 100 88 kdc.{ZONE}."],
        ("create", f"srv-_kerberos._tcp.{ZONE}.", "TXT"): [owner_txt(OWNER, f"{r}/kdc")],
    }

    proc = dnssync("apply", cluster, bind, ns, "--yes", *flags)
    assert proc.returncode == 0, proc.stderr
    after = transfer(bind, ZONE)
    assert {k: v for k, v in after.items() if k in written} == written
    assert set(after) - set(written) == {
        (f"_kerberos._tcp.{ZONE}.", "SRV"),
        (f"srv-_kerberos._tcp.{ZONE}.", "TXT"),
    }
    code, doc = plan(cluster, bind, ns, *flags)
    assert (code, doc["changes"]) == (0, []), doc

    # ExternalDNS on the zone dnssync completed: nothing to send.
    before = serial(bind, ZONE)
    log = edns(cluster, bind, ns, *flags).run_once()
    assert serial(bind, ZONE) == before, log

    # The wildcard Service goes: dnssync deletes the record and its TXT, nothing else.
    cluster.request("DELETE", f"/api/v1/namespaces/{ns}/services/web")
    code, doc = plan(cluster, bind, ns, *flags)
    assert code == 2
    assert {(c["action"], c["name"], c["type"]) for c in doc["changes"]} == {
        ("delete", f"*.web.{ZONE}.", "CNAME"),
        ("delete", f"cname-{star}.web.{ZONE}.", "TXT"),
    }
    proc = dnssync("apply", cluster, bind, ns, "--yes", *flags)
    assert proc.returncode == 0, proc.stderr
    final = transfer(bind, ZONE)
    assert (f"*.web.{ZONE}.", "CNAME") not in final
    assert (f"cname-{star}.web.{ZONE}.", "TXT") not in final
    assert final[(f"*.kdc.{ZONE}.", "A")] == written[(f"*.kdc.{ZONE}.", "A")]
