"""``dnssync run`` started with the arguments of a typical ExternalDNS Deployment, unchanged.

A real kube-apiserver (Gateway API CRDs), a real BIND9 with TSIG, and the daemon as a
subprocess whose command line uses only ExternalDNS's flag names (service, ingress and
gateway-tcproute sources, rfc2136 with the TSIG secret on the command line, txt registry,
owner id, domain filter, policy, interval, debug logging): it gets ready, writes the records
of each source with ExternalDNS's ownership TXT, follows an Ingress event, and never logs
the secret even at debug level.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from testinfra.bind import BindServer
from testinfra.k8s import KubeCluster
from tests.dnssync.daemon.daemon_testkit import DNSSYNC, Daemon, query, wait_for
from tests.dnssync.sources.kube.kube_testkit import Objects, unique

pytestmark = [pytest.mark.k8s, pytest.mark.bind, pytest.mark.slow]

ZONE = "example.com"
OWNER = "edns-cluster-1"
PREFIX = "external-dns.alpha.kubernetes.io/"


def ownership(resource: str) -> str:
    return f'"heritage=external-dns,external-dns/owner={OWNER},external-dns/resource={resource}"'


def external_dns_args(kube: KubeCluster, bind: BindServer, ns: str, port: int) -> list[str]:
    """What an ExternalDNS Deployment's container args look like (flag=value form)."""
    return [
        str(DNSSYNC),
        "run",
        f"--kubeconfig={kube.kubeconfig_path}",
        "--source=service",
        "--source=ingress",
        "--source=gateway-tcproute",
        "--provider=rfc2136",
        f"--rfc2136-host={bind.host}",
        f"--rfc2136-port={bind.port}",
        f"--rfc2136-zone={ZONE}",
        f"--rfc2136-tsig-secret={bind.tsig.secret}",
        f"--rfc2136-tsig-keyname={bind.tsig.key_name}",
        f"--rfc2136-tsig-secret-alg={bind.tsig.algorithm}",
        "--rfc2136-tsig-axfr",
        "--registry=txt",
        f"--txt-owner-id={OWNER}",
        f"--domain-filter={ZONE}",
        "--policy=sync",
        "--interval=1m",
        "--log-level=debug",
        f"--namespace={ns}",
        f"--metrics-address=127.0.0.1:{port}",
    ]


@pytest.fixture
def daemon(
    request: pytest.FixtureRequest, kube: KubeCluster, bind_server: BindServer, tmp_path: Path
) -> Iterator[tuple[Daemon, str]]:
    objects = Objects(kube)
    ns = objects.namespace(unique("edns-args"))
    populate(objects, ns)
    process = Daemon(kube, bind_server, ZONE, tmp_path, name="edns-args")
    process.argv = external_dns_args(kube, bind_server, ns, process.port)
    process.start()
    try:
        yield process, ns
    finally:
        process.stop()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            sys.stderr.write(f"----- daemon log -----\n{process.log()[-30000:]}\n")


def populate(objects: Objects, ns: str) -> None:
    objects.service(
        ns,
        "api",
        annotations={PREFIX + "hostname": f"api.{ZONE}"},
        ingress=[{"ip": "192.0.2.10"}],
    )
    objects.ingress(
        ns,
        "shop",
        rules=[f"shop.{ZONE}"],
        tls=[[f"shop.{ZONE}", f"www.{ZONE}"]],
        status=[{"ip": "192.0.2.20"}],
    )
    objects.gateway(
        ns,
        "edge",
        [{"name": "pg", "port": 5432, "protocol": "TCP"}],
        [{"type": "IPAddress", "value": "192.0.2.30"}],
    )
    objects.route(
        ns,
        "TCPRoute",
        "db",
        [{"name": "edge", "sectionName": "pg"}],
        annotations={PREFIX + "hostname": f"db.{ZONE}"},
    )


def test_externaldns_deployment_args_work_unchanged(
    daemon: tuple[Daemon, str], kube: KubeCluster, bind_server: BindServer
) -> None:
    process, ns = daemon
    bind = bind_server
    wait_for("/readyz", process.ready, 60)
    expected = {
        f"api.{ZONE}": ("192.0.2.10", f"service/{ns}/api"),
        f"shop.{ZONE}": ("192.0.2.20", f"ingress/{ns}/shop"),
        f"www.{ZONE}": ("192.0.2.20", f"ingress/{ns}/shop"),
        f"db.{ZONE}": ("192.0.2.30", f"tcproute/{ns}/db"),
    }
    for name, (ip, resource) in expected.items():
        wait_for(name, lambda n=name, i=ip: query(bind, n) == [i], 30)
        assert query(bind, f"a-{name}", "TXT") == [ownership(resource)]

    # An Ingress event is followed (the daemon watches Ingresses).
    Objects(kube).ingress_status(ns, "shop", [{"ip": "192.0.2.21"}])
    wait_for("the new Ingress address", lambda: query(bind, f"shop.{ZONE}") == ["192.0.2.21"], 10)
    assert query(bind, f"www.{ZONE}") == ["192.0.2.21"]

    log = process.log()
    assert " DEBUG " in log  # --log-level=debug took effect
    assert bind.tsig.secret not in log
    assert process.value("dnssync_changes_failed_total") == 0
    assert process.stop() == 0
