"""End to end, third variant: the KDC exposed through ingress-nginx's TCP/UDP ConfigMaps.

As tests/e2e/test_kerberos.py (a private network namespace with BIND9 as its resolver, a
real MIT KDC, the real kube-apiserver, a real ``dnssync run`` with the rfc2136 provider,
``kinit`` with no ``kdc =`` line), but the objects are examples/ingress-nginx: the
controller's LoadBalancer Service (its status set as a cloud controller would), the
``tcp-services``/``udp-services`` ConfigMaps, and the KDC's own ClusterIP Service, which
carries the annotations. The KDC listens where the controller's load balancer would be.

Then the ConfigMaps and the controller change: the UDP entry goes (kinit falls back to
TCP), the controller's address moves (the A record and kinit follow), the TCP entry goes
(no KDC to be found).
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import yaml

from testinfra.k8s import KubeApiError, KubeCluster
from testinfra.kerberos import Endpoint, KerberosKdc
from testinfra.netns import BindInNamespace, NetNamespace
from tests.e2e.test_kerberos import (
    MERGE,
    OWNER,
    REALM,
    REPO,
    ZONE,
    Daemon,
    Expected,
    assert_found_via_srv,
    assert_no_kdc,
    die_with_parent,
    unrelated_service,
    wait_for,
)

pytestmark = [pytest.mark.k8s, pytest.mark.bind, pytest.mark.slow, pytest.mark.timeout(180)]

NGINX_NS = "ingress-nginx"  # as in the example; the daemon's flags name it
CONTROLLER = "ingress-nginx-controller"
PORT = 8888  # the port the controller exposes (a ConfigMap key); only SRV tells it
LB_IP, NEW_LB_IP = "127.0.0.30", "127.0.0.31"
TARGET = f"kdc.{ZONE}."


@pytest.fixture(scope="module")
def zone_server(private_netns: NetNamespace) -> Iterator[BindInNamespace]:
    with BindInNamespace(private_netns, (ZONE,)) as server:
        yield server


@pytest.fixture(scope="module")
def daemon(
    kube_cluster: KubeCluster,
    private_netns: NetNamespace,
    zone_server: BindInNamespace,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Daemon]:
    private_netns.forward_tcp(kube_cluster.apiserver_port)
    unrelated_service(kube_cluster)
    kube_cluster.ensure_namespace(NGINX_NS)
    log_path = tmp_path_factory.mktemp("dnssync-run") / "dnssync-run.log"
    argv = [
        sys.executable,
        "-m",
        "dnssync",
        "run",
        "--kubeconfig",
        str(kube_cluster.kubeconfig_path),
    ]
    argv += zone_server.cli_flags(ZONE)
    argv += ["--owner-id", OWNER, "--metrics-address", "127.0.0.1:7979", "--log-level", "info"]
    argv += [
        f"--ingress-nginx-controller={NGINX_NS}/{CONTROLLER}",
        f"--ingress-nginx-tcp-services={NGINX_NS}/tcp-services",
        f"--ingress-nginx-udp-services={NGINX_NS}/udp-services",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNSSYNC_")}
    env["DNSSYNC_RFC2136_TSIG_SECRET"] = zone_server.tsig.secret
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            private_netns.command(argv),
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    running = Daemon(proc, log_path)
    try:
        wait_for(running, zone_server, {("www.example.com.", "A"): ["127.0.0.80"]})
        yield running
    finally:
        running.stop()
    assert proc.returncode == 0, f"dnssync run stopped badly:\n{running.log_tail()}"


def example(namespace: str) -> list[dict[str, Any]]:
    """examples/ingress-nginx's controller, ConfigMaps and KDC: the KDC in ``namespace``,
    exposed on PORT, the controller's load balancer at LB_IP."""
    docs: list[dict[str, Any]] = []
    for name in ("ingress-nginx.yaml", "kdc.yaml"):
        text = (REPO / "examples" / "ingress-nginx" / name).read_text()
        docs += [copy.deepcopy(d) for d in yaml.safe_load_all(text) if d]
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            # Only the KDC's entries, moved to PORT and to the test's namespace.
            doc["data"] = {
                str(PORT): value.replace("krb/", f"{namespace}/")
                for value in doc["data"].values()
                if value.startswith("krb/kdc:")
            }
        elif doc["metadata"]["name"] == CONTROLLER:
            doc["spec"]["ports"] = [
                {"name": f"{PORT}-{p}", "port": PORT, "protocol": p.upper()} for p in ("tcp", "udp")
            ]
            doc["status"]["loadBalancer"]["ingress"] = [{"ip": LB_IP}]
        else:
            doc["metadata"]["namespace"] = namespace
    return docs


def path_of(doc: Mapping[str, Any], with_name: bool = True) -> str:
    plural = {"Service": "services", "ConfigMap": "configmaps"}[doc["kind"]]
    base = f"/api/v1/namespaces/{doc['metadata']['namespace']}/{plural}"
    return f"{base}/{doc['metadata']['name']}" if with_name else base


def create(cluster: KubeCluster, doc: Mapping[str, Any]) -> None:
    cluster.request(
        "POST", path_of(doc, with_name=False), {k: v for k, v in doc.items() if k != "status"}
    )
    if "status" in doc:
        cluster.request(
            "PATCH", path_of(doc) + "/status", {"status": doc["status"]}, content_type=MERGE
        )


def delete(cluster: KubeCluster, doc: Mapping[str, Any]) -> None:
    try:
        cluster.request("DELETE", path_of(doc))
    except KubeApiError as exc:
        if exc.status != 404:
            raise


def records(udp: bool, tcp: bool, address: str | None) -> Expected:
    return {
        (f"_kerberos._udp.{ZONE}.", "SRV"): [f"0 100 {PORT} {TARGET}"] if udp else [],
        (f"_kerberos._tcp.{ZONE}.", "SRV"): [f"0 100 {PORT} {TARGET}"] if tcp else [],
        (TARGET, "A"): [address] if address else [],
    }


def test_kinit_finds_the_kdc_behind_ingress_nginx_only_through_srv(
    kube_cluster: KubeCluster,
    private_netns: NetNamespace,
    zone_server: BindInNamespace,
    daemon: Daemon,
) -> None:
    namespace = f"krb-nginx-{uuid.uuid4().hex[:6]}"
    kube_cluster.ensure_namespace(namespace)
    docs = example(namespace)
    by_name = {d["metadata"]["name"]: d for d in docs}

    def endpoints(ip: str) -> dict[str, list[Endpoint]]:
        return {"udp": [Endpoint(ip, PORT)], "tcp": [Endpoint(ip, PORT)]}

    def set_data(name: str, data: dict[str, str]) -> None:
        path = path_of(by_name[name])
        current = kube_cluster.request("GET", path)
        current["data"] = data
        kube_cluster.request("PUT", path, current)

    with KerberosKdc(REALM, wrap=private_netns.command, **endpoints(LB_IP)) as kdc:
        assert_no_kdc(kdc.kinit())
        try:
            for doc in docs:
                create(kube_cluster, doc)
            wait_for(daemon, zone_server, records(True, True, LB_IP))
            owner = f"service/{namespace}/kdc"
            for proto in ("udp", "tcp"):
                assert zone_server.query(f"srv-_kerberos._{proto}.{ZONE}.", "TXT") == [
                    f'"heritage=external-dns,external-dns/owner={OWNER},external-dns/resource={owner}"'
                ]
            assert_found_via_srv(kdc.kinit(), "udp", PORT, LB_IP, TARGET)
            assert_found_via_srv(kdc.kinit(udp_preference_limit=1), "tcp", PORT, LB_IP, TARGET)

            # The UDP entry leaves udp-services: its SRV goes, kinit falls back to TCP.
            set_data("udp-services", {})
            took = wait_for(daemon, zone_server, records(False, True, LB_IP))
            print(f"udp-services edit -> zone: {took:.2f}s")
            assert_found_via_srv(kdc.kinit(), "tcp", PORT, LB_IP, TARGET)

            # The controller's load balancer moves: the A record follows, and kinit.
            kube_cluster.request(
                "PATCH",
                path_of(by_name[CONTROLLER]) + "/status",
                {"status": {"loadBalancer": {"ingress": [{"ip": NEW_LB_IP}]}}},
                content_type=MERGE,
            )
            took = wait_for(daemon, zone_server, records(False, True, NEW_LB_IP))
            print(f"controller status change -> zone: {took:.2f}s")
            kdc.restart(**endpoints(NEW_LB_IP))
            assert_found_via_srv(kdc.kinit(), "tcp", PORT, NEW_LB_IP, TARGET)

            # The TCP entry goes too: no KDC to be found; the unrelated record stays.
            set_data("tcp-services", {})
            wait_for(daemon, zone_server, records(False, False, None))
            assert_no_kdc(kdc.kinit())
            assert zone_server.query(f"www.{ZONE}.", "A") == ["127.0.0.80"]
        finally:
            for doc in docs:
                delete(kube_cluster, doc)
            wait_for(daemon, zone_server, records(False, False, None))
