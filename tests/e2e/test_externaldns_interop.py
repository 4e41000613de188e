"""Interop with a real ExternalDNS on one real apiserver and one real BIND.

1. A zone populated by ExternalDNS (owner id X) is taken over by dnssync (owner id X):
   ``dnssync plan`` shows only what genuinely differs (the SRV records ExternalDNS cannot
   make for LoadBalancer Services, and the TTL of a record ExternalDNS wrote with TTL 0
   as an in-place update), never a delete or a re-create; ``dnssync apply`` leaves every
   record ExternalDNS wrote as it was; records of another owner and unowned records are
   untouched, and a name claimed by another owner is refused by both.
2. The reverse: ExternalDNS (owner id X) run on a zone dnssync wrote sends nothing (the
   SOA serial stays), then follows a Service's new address by updating the record dnssync
   wrote (same TXT format, so it is recognised as its own).

Needs the binaries of tools/k8s/build.sh and tools/external-dns/build.sh (built on first
use when Go is available) and BIND9. Without them the tests skip, unless
DNSSYNC_REQUIRE_K8S=1 (CI), which makes it a failure. ``tools/external-dns/run-interop.sh``
runs this file (and optionally the benchmark) on its own.
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
    owner_txt,
    serial,
    service,
    set_ingress,
    transfer,
    wait_for,
    write,
)

pytestmark = [pytest.mark.k8s, pytest.mark.bind, pytest.mark.slow]

ZONE = "interop.test"
OWNER = "x"
REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def cluster() -> Iterator[KubeCluster]:
    require_k8s(
        binaries_available(), "kube-apiserver/etcd not built and no Go (tools/k8s/build.sh)"
    )
    require_k8s(
        binary_available(), "external-dns not built and no Go (tools/external-dns/build.sh)"
    )
    require_k8s(bind_mod.available(), "BIND9 (/usr/sbin/named) is not installed")
    ensure_binary()  # build (once, cached) before the cluster starts its clock
    with KubeCluster(crds=()) as kube:
        yield kube


@pytest.fixture
def bind() -> Iterator[DnsServer]:
    with BindServer((ZONE,)) as server:
        yield server


@pytest.fixture
def ns(cluster: KubeCluster) -> str:
    name = f"interop-{uuid.uuid4().hex[:8]}"
    cluster.ensure_namespace(name)
    return name


# --------------------------------------------------------------------------- helpers


def edns(cluster: KubeCluster, server: DnsServer, ns: str) -> ExternalDns:
    """ExternalDNS with owner id X, reading only this test's namespace."""
    return ExternalDns(
        cluster.kubeconfig_path,
        server.host,
        server.port,
        (ZONE,),
        server.tsig,
        owner_id=OWNER,
        extra_args=[f"--namespace={ns}"],
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


def plan(cluster: KubeCluster, server: DnsServer, ns: str) -> tuple[int, dict[str, Any]]:
    proc = dnssync("plan", cluster, server, ns)
    assert proc.returncode in (0, 2), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


# --------------------------------------------------------------------------- tests


def populate(cluster: KubeCluster, ns: str, server: DnsServer) -> None:
    """The Services of both tests, and records that belong to others."""
    service(
        cluster,
        ns,
        "kdc-tcp",
        hostname=f"kdc-tcp.{ZONE}",
        ingress=[{"ip": "203.0.113.10"}],
        srv_domain=ZONE,
        ports=[{"name": "kerberos", "port": 88, "protocol": "TCP"}],
    )
    service(
        cluster,
        ns,
        "kdc-udp",
        hostname=f"kdc-udp.{ZONE}",
        ingress=[{"ip": "203.0.113.11"}],
        srv_domain=ZONE,
        ports=[{"name": "kerberos", "port": 88, "protocol": "UDP"}],
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
    service(
        cluster, ns, "multi", hostname=f"app1.{ZONE},app2.{ZONE}", ingress=[{"ip": "203.0.113.30"}]
    )
    # No ttl annotation: ExternalDNS writes TTL 0 (rfc2136, no --rfc2136-min-ttl), dnssync 300.
    service(
        cluster, ns, "nottl", hostname=f"nottl.{ZONE}", ttl=None, ingress=[{"ip": "203.0.113.40"}]
    )
    # A Service claiming a name another owner holds: both tools must refuse it.
    service(cluster, ns, "squatter", hostname=f"foreign.{ZONE}", ingress=[{"ip": "203.0.113.50"}])
    write(
        server,
        ZONE,
        [
            (f"foreign.{ZONE}.", 600, "A", "198.51.100.1"),
            (f"a-foreign.{ZONE}.", 600, "TXT", owner_txt("other", "service/elsewhere/foreign")),
            (f"other.{ZONE}.", 600, "A", "198.51.100.2"),
            (f"a-other.{ZONE}.", 600, "TXT", owner_txt("other", "service/elsewhere/other")),
            (f"manual.{ZONE}.", 600, "A", "198.51.100.3"),
        ],
    )


OTHERS = {
    (f"foreign.{ZONE}.", "A"),
    (f"a-foreign.{ZONE}.", "TXT"),
    (f"other.{ZONE}.", "A"),
    (f"a-other.{ZONE}.", "TXT"),
    (f"manual.{ZONE}.", "A"),
}


def test_dnssync_takes_over_an_externaldns_zone(
    cluster: KubeCluster, bind: DnsServer, ns: str
) -> None:
    populate(cluster, ns, bind)
    baseline = transfer(bind, ZONE)  # the zone's NS, its A, and the records of others
    others = {k: v for k, v in baseline.items() if k in OTHERS}
    assert set(others) == OTHERS

    edns(cluster, bind, ns).run_once()
    written = transfer(bind, ZONE)
    r = f"service/{ns}"
    expected_by_edns = {
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
        (f"app1.{ZONE}.", "A"): frozenset({"203.0.113.30"}),
        (f"a-app1.{ZONE}.", "TXT"): frozenset({owner_txt(OWNER, f"{r}/multi")}),
        (f"app2.{ZONE}.", "A"): frozenset({"203.0.113.30"}),
        (f"a-app2.{ZONE}.", "TXT"): frozenset({owner_txt(OWNER, f"{r}/multi")}),
        (f"nottl.{ZONE}.", "A"): frozenset({"203.0.113.40"}),
        (f"a-nottl.{ZONE}.", "TXT"): frozenset({owner_txt(OWNER, f"{r}/nottl")}),
    }
    for key, values in expected_by_edns.items():
        assert key in written, f"ExternalDNS did not write {key}: {sorted(written)}"
        assert written[key][1] == values, key
    assert written[(f"nottl.{ZONE}.", "A")][0] == 0  # ExternalDNS's rfc2136 default TTL
    assert written[(f"kdc-tcp.{ZONE}.", "A")][0] == 300
    assert {k: v for k, v in written.items() if k in OTHERS} == others
    assert set(written) == set(expected_by_edns) | set(baseline), "ExternalDNS wrote more"

    # dnssync with the same owner id: only what genuinely differs.
    code, doc = plan(cluster, bind, ns)
    assert code == 2
    changes = {(c["action"], c["name"], c["type"]): c for c in doc["changes"]}
    assert doc["summary"]["delete"] == 0, doc
    srv = {
        ("create", f"_kerberos._tcp.{ZONE}.", "SRV"),
        ("create", f"srv-_kerberos._tcp.{ZONE}.", "TXT"),
        ("create", f"_kerberos._udp.{ZONE}.", "SRV"),
        ("create", f"srv-_kerberos._udp.{ZONE}.", "TXT"),
    }
    ttl_only = ("update", f"nottl.{ZONE}.", "A")
    assert set(changes) == srv | {ttl_only}, json.dumps(doc, indent=1)
    assert changes[("create", f"_kerberos._tcp.{ZONE}.", "SRV")]["values"] == [
        f"0 100 88 kdc-tcp.{ZONE}."
    ]
    assert changes[("create", f"_kerberos._udp.{ZONE}.", "SRV")]["values"] == [
        f"0 100 88 kdc-udp.{ZONE}."
    ]
    update = changes[ttl_only]
    assert (update["old_ttl"], update["ttl"]) == (0, 300)
    assert update["old_values"] == update["values"] == ["203.0.113.40"]

    proc = dnssync("apply", cluster, bind, ns, "--yes")
    assert proc.returncode == 0, proc.stderr
    after = transfer(bind, ZONE)
    for key, (ttl, values) in written.items():
        if key == (f"nottl.{ZONE}.", "A"):
            assert after[key] == (300, values)
        else:
            assert after[key][1] == values, key  # same data, never deleted nor re-created
            assert after[key][0] == ttl, key
    new = set(after) - set(written)
    assert new == {(name, rtype) for _action, name, rtype in srv}
    assert after[(f"_kerberos._tcp.{ZONE}.", "SRV")][1] == {f"0 100 88 kdc-tcp.{ZONE}."}
    assert after[(f"srv-_kerberos._udp.{ZONE}.", "TXT")][1] == {owner_txt(OWNER, f"{r}/kdc-udp")}
    code, doc = plan(cluster, bind, ns)
    assert (code, doc["changes"]) == (0, []), doc

    # And back: ExternalDNS on the zone dnssync has completed changes nothing.
    before = serial(bind, ZONE)
    log = edns(cluster, bind, ns).run_once()
    assert serial(bind, ZONE) == before, log
    assert transfer(bind, ZONE) == after


def test_externaldns_keeps_working_on_a_zone_dnssync_wrote(
    cluster: KubeCluster, bind: DnsServer, ns: str
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
    proc = dnssync("apply", cluster, bind, ns, "--yes")
    assert proc.returncode == 0, proc.stderr
    zone = transfer(bind, ZONE)
    assert zone[(f"api.{ZONE}.", "A")] == (300, frozenset({"203.0.113.60"}))
    assert zone[(f"a-api.{ZONE}.", "TXT")][1] == {owner_txt(OWNER, f"service/{ns}/api")}

    # Same owner id: nothing to do for ExternalDNS.
    before = serial(bind, ZONE)
    log = edns(cluster, bind, ns).run_once()
    assert serial(bind, ZONE) == before, log

    # It recognises dnssync's records as its own: it follows a new address...
    set_ingress(cluster, ns, "api", [{"ip": "203.0.113.61"}])
    edns(cluster, bind, ns).run_once()
    zone = transfer(bind, ZONE)
    assert zone[(f"api.{ZONE}.", "A")][1] == {"203.0.113.61"}
    assert zone[(f"a-api.{ZONE}.", "TXT")][1] == {owner_txt(OWNER, f"service/{ns}/api")}
    assert zone[(f"www.{ZONE}.", "CNAME")][1] == {"lb-2.elb.example.net."}

    # ...and deletes a record (with its TXT) whose Service is gone, as the event-driven
    # daemon; the other owner's records stay.
    with edns(cluster, bind, ns):
        cluster.request("DELETE", f"/api/v1/namespaces/{ns}/services/web")
        wait_for(
            "ExternalDNS to delete www",
            lambda: (f"www.{ZONE}.", "CNAME") not in transfer(bind, ZONE),
            timeout=90,
        )
    zone = transfer(bind, ZONE)
    assert (f"cname-www.{ZONE}.", "TXT") not in zone
    assert zone[(f"other.{ZONE}.", "A")] == (600, frozenset({"198.51.100.2"}))
    assert zone[(f"a-other.{ZONE}.", "TXT")][1] == {owner_txt("other", "service/elsewhere/other")}

    # dnssync agrees with the zone ExternalDNS left.
    code, doc = plan(cluster, bind, ns)
    assert (code, doc["changes"]) == (0, []), doc


def test_encrypted_ownership_from_externaldns_is_refused_clearly(
    cluster: KubeCluster, bind: DnsServer, ns: str
) -> None:
    """ExternalDNS --txt-encrypt-enabled: dnssync does not read encrypted ownership
    records (docs/ownership.md). With the same owner id it must leave ExternalDNS's
    records alone and say why, never take them for ordinary data or for its own."""
    service(cluster, ns, "enc", hostname=f"enc.{ZONE}", ingress=[{"ip": "203.0.113.60"}])
    key = "A" * 43 + "="  # 44 characters of base64: 32 octets, as ExternalDNS requires
    encrypting = ExternalDns(
        cluster.kubeconfig_path,
        bind.host,
        bind.port,
        (ZONE,),
        bind.tsig,
        owner_id=OWNER,
        extra_args=[f"--namespace={ns}", "--txt-encrypt-enabled", f"--txt-encrypt-aes-key={key}"],
    )
    encrypting.run_once()
    written = transfer(bind, ZONE)
    assert written[(f"enc.{ZONE}.", "A")][1] == frozenset({"203.0.113.60"})
    [stored] = written[(f"a-enc.{ZONE}.", "TXT")][1]
    assert "heritage" not in stored  # really encrypted

    set_ingress(cluster, ns, "enc", [{"ip": "203.0.113.61"}])  # dnssync would update it
    proc = dnssync("plan", cluster, bind, ns)
    assert proc.returncode == 0, proc.stderr  # nothing to do: the record is not ours
    assert json.loads(proc.stdout)["changes"] == []
    message = " ".join(proc.stderr.split())
    assert f"enc.{ZONE}. A exists and is not owned by dnssync" in message
    assert "looks like an ExternalDNS encrypted ownership record" in message
    assert transfer(bind, ZONE) == written
