"""Interop through one ExternalDNS webhook server: ExternalDNS and dnssync share a zone.

``external-dns --webhook-server --provider=rfc2136`` serves a real BIND's zone; on one
real apiserver, ExternalDNS (controller mode, service source, ``--provider=webhook``) and
dnssync (``--provider webhook``) both reach the zone only through that server.

1. A zone written by ExternalDNS (owner id X) is taken over by dnssync (owner id X):
   ``dnssync plan`` shows only the SRV records (and their ownership TXTs) ExternalDNS
   cannot make for LoadBalancer Services: no update, no delete. After ``apply`` every
   record ExternalDNS wrote is as it was, and ExternalDNS, run again, sends nothing.
2. The reverse: on a zone dnssync wrote through the webhook, ExternalDNS sends nothing,
   then follows a Service's new address by updating the record dnssync wrote.

What goes through the webhook is limited by ExternalDNS's RFC 2136 provider behind it: it
does not list SRV records, so dnssync plans the SRV records again on every run (an RR
added twice is one RR: the zone does not change). That is asserted, not hidden.
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
from testinfra.bind import BindServer
from testinfra.external_dns import ExternalDns, binary_available, ensure_binary
from testinfra.external_dns_webhook import ExternalDnsWebhook
from testinfra.gates import require_k8s
from testinfra.k8s import KubeCluster, binaries_available
from tests.e2e.interop_helpers import owner_txt, serial, service, set_ingress, transfer, write

pytestmark = [pytest.mark.k8s, pytest.mark.bind, pytest.mark.slow]

ZONE = "hookinterop.test"
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
def bind() -> Iterator[BindServer]:
    with BindServer((ZONE,)) as server:
        yield server


@pytest.fixture
def hook(bind: BindServer) -> Iterator[ExternalDnsWebhook]:
    with ExternalDnsWebhook.rfc2136(bind) as server:
        yield server


@pytest.fixture
def ns(cluster: KubeCluster) -> str:
    name = f"hook-{uuid.uuid4().hex[:8]}"
    cluster.ensure_namespace(name)
    return name


def edns(cluster: KubeCluster, hook: ExternalDnsWebhook, ns: str) -> ExternalDns:
    return ExternalDns.webhook(
        cluster.kubeconfig_path,
        hook.url,
        (ZONE,),
        owner_id=OWNER,
        extra_args=[f"--namespace={ns}"],
    )


def dnssync(
    command: str, cluster: KubeCluster, hook: ExternalDnsWebhook, ns: str, *extra: str
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
        "webhook",
        "--webhook-provider-url",
        hook.url,
        "--zone",  # ExternalDNS's RFC 2136 provider announces an empty domain filter
        ZONE,
        "--owner-id",
        OWNER,
        "--output",
        "json",
        *extra,
    ]
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=REPO,
        timeout=300,
        check=False,
    )


def plan(
    cluster: KubeCluster, hook: ExternalDnsWebhook, ns: str
) -> tuple[int, set[tuple[str, str, str]], dict[str, Any]]:
    proc = dnssync("plan", cluster, hook, ns)
    assert proc.returncode in (0, 2), proc.stderr
    doc = json.loads(proc.stdout)
    return proc.returncode, {(c["action"], c["name"], c["type"]) for c in doc["changes"]}, doc


def test_dnssync_takes_over_a_zone_externaldns_wrote_through_the_webhook(
    cluster: KubeCluster, bind: BindServer, hook: ExternalDnsWebhook, ns: str
) -> None:
    for proto, ip in (("tcp", "203.0.113.10"), ("udp", "203.0.113.11")):
        service(
            cluster,
            ns,
            f"kdc-{proto}",
            hostname=f"kdc-{proto}.{ZONE}",
            ingress=[{"ip": ip}],
            srv_domain=ZONE,
            ports=[{"name": "kerberos", "port": 88, "protocol": proto.upper()}],
        )
    service(
        cluster, ns, "web", hostname=f"web.{ZONE}", ingress=[{"hostname": "lb-1.elb.example.net"}]
    )
    service(
        cluster,
        ns,
        "dual",
        hostname=f"dual.{ZONE}",
        ingress=[{"ip": "203.0.113.20"}, {"ip": "2001:db8::20"}],
    )
    service(cluster, ns, "squatter", hostname=f"foreign.{ZONE}", ingress=[{"ip": "203.0.113.50"}])
    write(
        bind,
        ZONE,
        [
            (f"foreign.{ZONE}.", 600, "A", "198.51.100.1"),
            (f"a-foreign.{ZONE}.", 600, "TXT", owner_txt("other", "service/elsewhere/foreign")),
            (f"manual.{ZONE}.", 600, "A", "198.51.100.3"),
        ],
    )
    baseline = transfer(bind, ZONE)

    log = edns(cluster, hook, ns).run_once()
    written = transfer(bind, ZONE)
    r = f"service/{ns}"
    by_edns = {
        (f"kdc-tcp.{ZONE}.", "A"): frozenset({"203.0.113.10"}),
        (f"a-kdc-tcp.{ZONE}.", "TXT"): frozenset({owner_txt(OWNER, f"{r}/kdc-tcp")}),
        (f"kdc-udp.{ZONE}.", "A"): frozenset({"203.0.113.11"}),
        (f"a-kdc-udp.{ZONE}.", "TXT"): frozenset({owner_txt(OWNER, f"{r}/kdc-udp")}),
        (f"web.{ZONE}.", "CNAME"): frozenset({"lb-1.elb.example.net."}),
        (f"cname-web.{ZONE}.", "TXT"): frozenset({owner_txt(OWNER, f"{r}/web")}),
        (f"dual.{ZONE}.", "A"): frozenset({"203.0.113.20"}),
        (f"a-dual.{ZONE}.", "TXT"): frozenset({owner_txt(OWNER, f"{r}/dual")}),
        (f"dual.{ZONE}.", "AAAA"): frozenset({"2001:db8::20"}),
        (f"aaaa-dual.{ZONE}.", "TXT"): frozenset({owner_txt(OWNER, f"{r}/dual")}),
    }
    assert {k: v for k, (_ttl, v) in written.items() if k not in baseline} == by_edns, log
    assert {k: v for k, v in written.items() if k in baseline} == baseline

    # dnssync, same owner id, through the same webhook: only the SRV records.
    code, changes, doc = plan(cluster, hook, ns)
    srv = {(f"_kerberos._{p}.{ZONE}.", "SRV") for p in ("tcp", "udp")}
    srv_txt = {(f"srv-_kerberos._{p}.{ZONE}.", "TXT") for p in ("tcp", "udp")}
    assert code == 2
    assert changes == {("create", n, t) for n, t in srv | srv_txt}, json.dumps(doc, indent=1)
    assert doc["summary"] == {"create": 4, "update": 0, "delete": 0}

    proc = dnssync("apply", cluster, hook, ns, "--yes")
    assert proc.returncode == 0, proc.stderr
    after = transfer(bind, ZONE)
    assert {k: v for k, v in after.items() if k in written} == written  # untouched
    assert set(after) - set(written) == srv | srv_txt
    assert after[(f"_kerberos._udp.{ZONE}.", "SRV")][1] == {f"0 100 88 kdc-udp.{ZONE}."}
    assert after[(f"srv-_kerberos._tcp.{ZONE}.", "TXT")][1] == {owner_txt(OWNER, f"{r}/kdc-tcp")}

    # The webhook cannot list SRV: the next plan re-creates them, and that changes nothing.
    code, changes, _ = plan(cluster, hook, ns)
    assert (code, changes) == (2, {("create", n, t) for n, t in srv})
    before = serial(bind, ZONE)
    assert dnssync("apply", cluster, hook, ns, "--yes").returncode == 0
    assert transfer(bind, ZONE) == after and serial(bind, ZONE) == before

    # And back: ExternalDNS on the zone dnssync completed changes nothing.
    log = edns(cluster, hook, ns).run_once()
    assert serial(bind, ZONE) == before, log
    assert transfer(bind, ZONE) == after


def test_externaldns_keeps_working_on_a_zone_dnssync_wrote_through_the_webhook(
    cluster: KubeCluster, bind: BindServer, hook: ExternalDnsWebhook, ns: str
) -> None:
    service(cluster, ns, "api", hostname=f"api.{ZONE}", ingress=[{"ip": "203.0.113.60"}])
    service(
        cluster, ns, "web", hostname=f"www.{ZONE}", ingress=[{"hostname": "lb-2.elb.example.net"}]
    )
    write(
        bind,
        ZONE,
        [
            (f"other.{ZONE}.", 600, "A", "198.51.100.2"),
            (f"a-other.{ZONE}.", 600, "TXT", owner_txt("other", "service/elsewhere/other")),
        ],
    )
    proc = dnssync("apply", cluster, hook, ns, "--yes")
    assert proc.returncode == 0, proc.stderr
    zone = transfer(bind, ZONE)
    assert zone[(f"api.{ZONE}.", "A")] == (300, frozenset({"203.0.113.60"}))
    assert zone[(f"a-api.{ZONE}.", "TXT")][1] == {owner_txt(OWNER, f"service/{ns}/api")}
    assert zone[(f"www.{ZONE}.", "CNAME")][1] == {"lb-2.elb.example.net."}

    # Same owner id, same webhook: nothing to do for ExternalDNS.
    before = serial(bind, ZONE)
    log = edns(cluster, hook, ns).run_once()
    assert serial(bind, ZONE) == before, log

    # It recognises dnssync's records as its own and follows a new address.
    set_ingress(cluster, ns, "api", [{"ip": "203.0.113.61"}])
    edns(cluster, hook, ns).run_once()
    zone = transfer(bind, ZONE)
    assert zone[(f"api.{ZONE}.", "A")][1] == {"203.0.113.61"}
    assert zone[(f"a-api.{ZONE}.", "TXT")][1] == {owner_txt(OWNER, f"service/{ns}/api")}
    assert zone[(f"other.{ZONE}.", "A")] == (600, frozenset({"198.51.100.2"}))

    # dnssync agrees with the zone ExternalDNS left.
    code, changes, _ = plan(cluster, hook, ns)
    assert (code, changes) == (0, set())
