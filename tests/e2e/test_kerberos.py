"""End to end: a real MIT Kerberos client finds its KDC only through records dnssync wrote.

The worked example of docs/rules.md, with real software on both ends:

* a private network + mount namespace whose ``/etc/resolv.conf`` names 127.0.0.1, where
  BIND9 serves the TSIG-protected zone ``example.com`` on port 53;
* a real MIT ``krb5kdc`` for the realm ``EXAMPLE.COM`` in that namespace, UDP on one
  loopback address and TCP on another (the two "load balancers"), on a non-standard port;
* the real kube-apiserver, holding the Services (or Gateways and routes) of the example
  manifests with their ports and addresses rewritten to those of the KDC;
* a real ``dnssync run`` process in the namespace, writing through the rfc2136 provider;
* ``kinit`` with ``dns_lookup_kdc = true`` and no ``kdc =`` line, whose ``KRB5_TRACE``
  shows the ``_kerberos._udp`` / ``_kerberos._tcp`` lookups and the address it used.

The scenarios (Services, Gateway routes, Traefik entry points with the IngressRouteTCP/UDP
of examples/traefik and Traefik's two LoadBalancer Services) then change the port, delete
the UDP half and then the TCP half. An unrelated annotated Service stays the whole time,
so deleting both KDC halves is an ordinary delete (the daemon refuses, as a safety rule,
to delete the last records it owns when its source turns empty; we keep that rule on
instead of ``--force``).
"""

from __future__ import annotations

import copy
import ctypes
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from testinfra.k8s import KubeApiError, KubeCluster
from testinfra.kerberos import Endpoint, KerberosKdc, KinitResult
from testinfra.lifecycle import log_tail
from testinfra.netns import BindInNamespace, NetNamespace

pytestmark = [pytest.mark.k8s, pytest.mark.bind, pytest.mark.slow, pytest.mark.timeout(180)]

REPO = Path(__file__).resolve().parents[2]
ZONE = "example.com"
REALM = "EXAMPLE.COM"
OWNER = "e2e-kerberos"
GW = "gateway.networking.k8s.io"
TRAEFIK = "traefik.io"
# Traefik's Services live in their own namespace, named to the daemon by --traefik-service.
TRAEFIK_NAMESPACE = "traefik"
TRAEFIK_SERVICES = (f"{TRAEFIK_NAMESPACE}/traefik", f"{TRAEFIK_NAMESPACE}/traefik-udp")
MERGE = "application/merge-patch+json"
# Non-standard ports: the client can only learn them from the SRV records.
PORT, NEW_PORT = 8888, 9888
WAIT = 30.0  # seconds for the daemon to bring DNS in line after a change


# --------------------------------------------------------------------------- the daemon


@dataclass
class Daemon:
    """``dnssync run`` inside the namespace, logging to a file."""

    proc: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self) -> str:
        return log_tail(self.log_path)

    def check_alive(self) -> None:
        code = self.proc.poll()
        if code is not None:
            pytest.fail(f"dnssync run exited with {code}:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def die_with_parent() -> None:  # pragma: no cover - runs in the child after fork
    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


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
    # The apiserver listens on the host's loopback; the same address works inside.
    private_netns.forward_tcp(kube_cluster.apiserver_port)
    unrelated_service(kube_cluster)
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
    for service in TRAEFIK_SERVICES:
        argv += ["--traefik-service", service]
    # Only our flags: no DNSSYNC_* setting of the caller's leaks into the daemon.
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
            preexec_fn=die_with_parent,  # a killed test run leaves no daemon behind
        )
    running = Daemon(proc, log_path)
    try:
        # Synced and writing: the unrelated Service's record is there.
        wait_for(running, zone_server, {("www.example.com.", "A"): ["127.0.0.80"]})
        yield running
    finally:
        running.stop()
    assert proc.returncode == 0, f"dnssync run stopped badly:\n{running.log_tail()}"


def unrelated_service(cluster: KubeCluster) -> None:
    """An annotated Service that stays: its records keep the daemon's source non-empty."""
    cluster.ensure_namespace("web")
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "web",
            "namespace": "web",
            "annotations": {"dnssync.io/hostname": "www.example.com"},
        },
        "spec": {
            "type": "LoadBalancer",
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.80"}]}},
    }
    try:
        create(cluster, service)
    except KubeApiError as exc:
        if exc.status != 409:
            raise


# --------------------------------------------------------------------------- DNS


Expected = Mapping[tuple[str, str], Sequence[str]]


def wait_for(daemon: Daemon, server: BindInNamespace, expected: Expected) -> float:
    """Poll the zone until every (name, type) answers exactly as expected ([] = absent)."""
    t0 = time.monotonic()
    deadline = t0 + WAIT
    while True:
        daemon.check_alive()
        seen = {key: server.query(*key) for key in expected}
        if all(seen[key] == sorted(want) for key, want in expected.items()):
            return time.monotonic() - t0
        if time.monotonic() > deadline:
            pytest.fail(
                f"zone not as expected after {WAIT:g}s:\n  want {dict(expected)}\n  have {seen}\n"
                f"dnssync run log:\n{daemon.log_tail()}"
            )
        time.sleep(0.05)


def kdc_records(port: int | None, udp: str | None, tcp: str | None) -> Expected:
    """The worked example's records for the given port and LB addresses (None = absent)."""
    return {
        (f"_kerberos._udp.{ZONE}.", "SRV"): [f"0 100 {port} kdc-udp.{ZONE}."] if udp else [],
        (f"_kerberos._tcp.{ZONE}.", "SRV"): [f"0 100 {port} kdc-tcp.{ZONE}."] if tcp else [],
        (f"kdc-udp.{ZONE}.", "A"): [udp] if udp else [],
        (f"kdc-tcp.{ZONE}.", "A"): [tcp] if tcp else [],
    }


# --------------------------------------------------------------------------- kinit evidence


def assert_found_via_srv(
    result: KinitResult, proto: str, port: int, address: str, target: str | None = None
) -> None:
    """kinit got a TGT from ``address:port`` over ``proto``, which it found via SRV
    (targeting ``target``, by default the worked example's ``kdc-<proto>``)."""
    assert result.ok, result.describe()
    assert f"krbtgt/{REALM}@{REALM}" in result.klist, result.klist
    trace = result.trace_lines("")
    target = target or f"kdc-{proto}.{ZONE}."
    transport = "dgram" if proto == "udp" else "stream"
    expected_in_order = [
        f"Sending DNS SRV query for _kerberos._{proto}.{REALM}.",
        f'SRV answer: 0 100 {port} "{target}"',
        f"Resolving hostname {target}",
        "Received answer",
    ]
    position = 0
    for wanted in expected_in_order:
        hits = [i for i, line in enumerate(trace) if i >= position and wanted in line]
        assert hits, f"{wanted!r} not in the trace (after line {position}):\n{result.trace}"
        position = hits[0]
    assert f"from {transport} {address}:{port}" in trace[position], result.describe()
    # Nothing else was contacted.
    received = result.trace_lines("Received answer")
    assert received == [line for line in received if f"{transport} {address}:{port}" in line]
    if proto == "tcp":
        assert "dgram" not in result.trace, result.describe()  # not even a UDP attempt
    print(
        f"kinit over {proto}:",
        *result.trace_lines("SRV", "hostname", "request to", "Received"),
        sep="\n  ",
    )


def assert_no_kdc(result: KinitResult) -> None:
    assert not result.ok, result.describe()
    assert f'Cannot find KDC for realm "{REALM}"' in result.stderr, result.describe()
    assert f"Sending DNS SRV query for _kerberos._udp.{REALM}." in result.trace
    assert f"Sending DNS SRV query for _kerberos._tcp.{REALM}." in result.trace


# --------------------------------------------------------------------------- the scenarios


def load_example(directory: str) -> list[dict[str, Any]]:
    path = REPO / "examples" / directory / "kdc.yaml"
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def api_path(manifest: Mapping[str, Any], namespace: str, name: str | None = None) -> str:
    kind = str(manifest["kind"])
    if kind == "Service":
        base = f"/api/v1/namespaces/{namespace}/services"
    elif kind in ("IngressRouteTCP", "IngressRouteUDP"):
        base = f"/apis/{manifest['apiVersion']}/namespaces/{namespace}/{kind.lower()}s"
    else:
        plural = {"Gateway": "gateways", "TCPRoute": "tcproutes", "UDPRoute": "udproutes"}[kind]
        version = str(manifest["apiVersion"]).split("/")[1]
        base = f"/apis/{GW}/{version}/namespaces/{namespace}/{plural}"
    return f"{base}/{name}" if name else base


def create(cluster: KubeCluster, manifest: Mapping[str, Any]) -> None:
    """Create the object, then set its status through the status subresource."""
    namespace = manifest["metadata"]["namespace"]
    body = {k: v for k, v in manifest.items() if k != "status"}
    cluster.request("POST", api_path(manifest, namespace), body)
    if "status" in manifest:
        path = api_path(manifest, namespace, manifest["metadata"]["name"]) + "/status"
        cluster.request("PATCH", path, {"status": manifest["status"]}, content_type=MERGE)


@dataclass(frozen=True)
class Scenario:
    """One way of exposing the KDC: an example's manifests, rewritten to our addresses."""

    name: str
    example: str  # directory under examples/
    # (address in the example, loopback address inside the namespace) per protocol
    udp_address: tuple[str, str]
    tcp_address: tuple[str, str]
    udp_kind: str  # the kind of the object that publishes each half
    tcp_kind: str
    # Objects of the example in this namespace stay there (Traefik's own Services).
    fixed_namespace: str | None = None

    def manifests(self, namespace: str, port: int) -> list[dict[str, Any]]:
        """The example's objects in ``namespace``, on ``port``, with our addresses."""
        addresses = dict([self.udp_address, self.tcp_address])
        out = []
        for doc in load_example(self.example):
            doc = copy.deepcopy(doc)
            if doc["metadata"]["namespace"] != self.fixed_namespace:
                doc["metadata"]["namespace"] = namespace
            if doc["kind"] == "Service":
                for p in doc["spec"]["ports"]:
                    if p.get("name", "").startswith("kerberos"):  # not Traefik's web ports
                        p["port"] = port
                for ingress in doc["status"]["loadBalancer"]["ingress"]:
                    ingress["ip"] = addresses[ingress["ip"]]
            elif doc["kind"] == "Gateway":
                for listener in doc["spec"]["listeners"]:
                    listener["port"] = port
                for address in doc["status"]["addresses"]:
                    address["value"] = addresses[address["value"]]
            out.append(doc)
        return out


@dataclass(frozen=True)
class Deployed:
    """A scenario's objects as created in one namespace."""

    scenario: Scenario
    namespace: str
    objects: list[dict[str, Any]]

    def half(self, proto: str) -> dict[str, Any]:
        """The object that publishes the ``proto`` half (named ``kdc-<proto>``)."""
        kind = self.scenario.udp_kind if proto == "udp" else self.scenario.tcp_kind
        return next(
            o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == f"kdc-{proto}"
        )

    def owner(self, proto: str) -> str:
        """The ``external-dns/resource`` of the ``proto`` half's records."""
        obj = self.half(proto)
        return f"{obj['kind'].lower()}/{self.namespace}/{obj['metadata']['name']}"

    def change_port(self, cluster: KubeCluster, port: int) -> None:
        """The Services' ports (or the Gateways' listener ports) become ``port``."""
        for obj in self.objects:
            if obj["kind"] == "Service":
                ports = [
                    dict(p, port=port) if p.get("name", "").startswith("kerberos") else p
                    for p in obj["spec"]["ports"]
                ]
                patch = {"spec": {"ports": ports}}
            elif obj["kind"] == "Gateway":
                listeners = [dict(x, port=port) for x in obj["spec"]["listeners"]]
                patch = {"spec": {"listeners": listeners}}
            else:
                continue
            path = api_path(obj, obj["metadata"]["namespace"], obj["metadata"]["name"])
            cluster.request("PATCH", path, patch, content_type=MERGE)


SCENARIOS = [
    Scenario(
        "services",
        "kerberos",
        udp_address=("203.0.113.11", "127.0.0.3"),
        tcp_address=("203.0.113.10", "127.0.0.2"),
        udp_kind="Service",
        tcp_kind="Service",
    ),
    Scenario(
        "gateway",
        "kerberos-gateway",
        udp_address=("203.0.113.21", "127.0.0.21"),
        tcp_address=("203.0.113.20", "127.0.0.20"),
        udp_kind="UDPRoute",
        tcp_kind="TCPRoute",
    ),
    Scenario(
        "traefik",
        "traefik",
        udp_address=("203.0.113.41", "127.0.0.41"),
        tcp_address=("203.0.113.40", "127.0.0.40"),
        udp_kind="IngressRouteUDP",
        tcp_kind="IngressRouteTCP",
        fixed_namespace=TRAEFIK_NAMESPACE,
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_kinit_finds_the_kdc_only_through_srv_records_dnssync_wrote(
    scenario: Scenario,
    kube_cluster: KubeCluster,
    private_netns: NetNamespace,
    zone_server: BindInNamespace,
    daemon: Daemon,
) -> None:
    udp_ip, tcp_ip = scenario.udp_address[1], scenario.tcp_address[1]
    namespace = f"krb-{scenario.name}-{uuid.uuid4().hex[:6]}"
    kube_cluster.ensure_namespace(namespace)
    if scenario.fixed_namespace:
        kube_cluster.ensure_namespace(scenario.fixed_namespace)
    deployed = Deployed(scenario, namespace, scenario.manifests(namespace, PORT))

    def endpoints(port: int) -> dict[str, list[Endpoint]]:
        return {"udp": [Endpoint(udp_ip, port)], "tcp": [Endpoint(tcp_ip, port)]}

    def changed(expected: Expected) -> None:
        wait_for(daemon, zone_server, expected)

    with KerberosKdc(REALM, wrap=private_netns.command, **endpoints(PORT)) as kdc:
        # No records: the client has no other way to find the KDC.
        assert_no_kdc(kdc.kinit())
        conf = kdc.krb5_conf_path.read_text()
        assert "dns_lookup_kdc = true" in conf, conf
        assert not re.search(r"^\s*(kdc|master_kdc|admin_server)\s*=", conf, re.M), conf
        try:
            for obj in deployed.objects:
                create(kube_cluster, obj)
            changed(kdc_records(PORT, udp_ip, tcp_ip))
            for proto in ("udp", "tcp"):
                assert zone_server.query(f"srv-_kerberos._{proto}.{ZONE}.", "TXT") == [
                    f'"heritage=external-dns,external-dns/owner={OWNER},'
                    f'external-dns/resource={deployed.owner(proto)}"'
                ]
            assert_found_via_srv(kdc.kinit(), "udp", PORT, udp_ip)
            assert_found_via_srv(kdc.kinit(udp_preference_limit=1), "tcp", PORT, tcp_ip)

            # The port changes: the SRV records follow, the KDC moves, kinit follows.
            deployed.change_port(kube_cluster, NEW_PORT)
            changed(kdc_records(NEW_PORT, udp_ip, tcp_ip))
            kdc.restart(**endpoints(NEW_PORT))
            assert_found_via_srv(kdc.kinit(), "udp", NEW_PORT, udp_ip)
            assert_found_via_srv(kdc.kinit(udp_preference_limit=1), "tcp", NEW_PORT, tcp_ip)

            # The UDP half goes: the client falls back to TCP on its own.
            delete_one(kube_cluster, deployed.half("udp"))
            changed(kdc_records(NEW_PORT, None, tcp_ip))
            assert_found_via_srv(kdc.kinit(), "tcp", NEW_PORT, tcp_ip)

            # Both halves gone: no KDC to be found; the unrelated record stays.
            delete_one(kube_cluster, deployed.half("tcp"))
            changed(kdc_records(None, None, None))
            assert_no_kdc(kdc.kinit())
            assert zone_server.query(f"www.{ZONE}.", "A") == ["127.0.0.80"]
        finally:
            for obj in deployed.objects:
                delete_one(kube_cluster, obj, missing_ok=True)
            wait_for(daemon, zone_server, kdc_records(None, None, None))


def delete_one(cluster: KubeCluster, obj: Mapping[str, Any], *, missing_ok: bool = False) -> None:
    path = api_path(obj, obj["metadata"]["namespace"], obj["metadata"]["name"])
    try:
        cluster.request("DELETE", path)
    except KubeApiError as exc:
        if not (missing_ok and exc.status == 404):
            raise
