"""`dnssync run` with the chart's ServiceAccount token works on the real apiserver.

The daemon runs as a subprocess with a kubeconfig holding only the token of the chart's
ServiceAccount (leader-election values: Lease dnssync-daemon/dnssync-leader), the
inmemory provider and both sources, against a LoadBalancer Service, a Gateway whose
listener selects route namespaces by label (so Namespaces are read too), a TCPRoute and
a Service with a bad TTL annotation. Ready on /readyz means its sources listed and
watched and a reconcile succeeded, all within the chart's RBAC; it holds the Lease (get,
create, update), writes a Warning Event for the bad object (create on events) and a
Normal Event on the route whose records it published.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testinfra.k8s import KubeCluster
from testinfra.lifecycle import log_tail
from tests.charts.helmchart import CHART_DIR, CI_DIR, Helm

pytestmark = pytest.mark.k8s

NS, RELEASE, LEASE = "dnssync-daemon", "daemon", "dnssync-leader"
SERVICE_ACCOUNT = "daemon-dnssync"  # the chart's full name for release "daemon"
APPS = "krb-daemon"
GW = "gateway.networking.k8s.io"


def _apply(cluster: KubeCluster, path: str, body: dict[str, Any]) -> None:
    """Create ``body`` at collection ``path``, then write its ``status`` (if any)."""
    status = body.pop("status", None)
    cluster.request("POST", path, body)
    if status is not None:
        name = body["metadata"]["name"]
        cluster.request(
            "PATCH",
            f"{path}/{name}/status",
            {"status": status},
            content_type="application/merge-patch+json",
        )


def _create_sources(cluster: KubeCluster) -> None:
    cluster.request(
        "POST",
        "/api/v1/namespaces",
        {"metadata": {"name": APPS, "labels": {"dns": "public"}}},
    )
    services = f"/api/v1/namespaces/{APPS}/services"
    _apply(
        cluster,
        services,
        {
            "metadata": {
                "name": "kdc-tcp",
                "annotations": {
                    "dnssync.io/hostname": "kdc-tcp.example.com",
                    "dnssync.io/srv-domain": "example.com",
                },
            },
            "spec": {
                "type": "LoadBalancer",
                "ports": [{"name": "kerberos", "port": 88, "protocol": "TCP"}],
            },
            "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}},
        },
    )
    _apply(
        cluster,
        services,
        {
            "metadata": {
                "name": "bad-ttl",
                "annotations": {
                    "dnssync.io/hostname": "bad.example.com",
                    "dnssync.io/ttl": "forever",
                },
            },
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "protocol": "TCP"}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.11"}]}},
        },
    )
    _apply(
        cluster,
        f"/apis/{GW}/v1/namespaces/{APPS}/gateways",
        {
            "apiVersion": f"{GW}/v1",
            "kind": "Gateway",
            "metadata": {"name": "edge"},
            "spec": {
                "gatewayClassName": "lb",
                "listeners": [
                    {
                        "name": "kpasswd",
                        "port": 464,
                        "protocol": "TCP",
                        "allowedRoutes": {
                            "namespaces": {
                                "from": "Selector",
                                "selector": {"matchLabels": {"dns": "public"}},
                            }
                        },
                    }
                ],
            },
            "status": {"addresses": [{"type": "IPAddress", "value": "203.0.113.20"}]},
        },
    )
    _apply(
        cluster,
        f"/apis/{GW}/v1/namespaces/{APPS}/tcproutes",
        {
            "apiVersion": f"{GW}/v1",
            "kind": "TCPRoute",
            "metadata": {
                "name": "kpasswd",
                "annotations": {"dnssync.io/hostname": "kpasswd.example.com"},
            },
            "spec": {
                "parentRefs": [{"name": "edge", "sectionName": "kpasswd"}],
                "rules": [{"backendRefs": [{"name": "kdc-tcp", "port": 464}]}],
            },
            "status": {
                "parents": [
                    {
                        "parentRef": {"name": "edge", "sectionName": "kpasswd"},
                        "controllerName": "example.com/lb",
                        "conditions": [
                            {
                                "type": "Accepted",
                                "status": "True",
                                "reason": "Accepted",
                                "message": "",
                                "lastTransitionTime": "2026-01-01T00:00:00Z",
                            }
                        ],
                    }
                ]
            },
        },
    )


def _metric(text: str, name: str) -> float:
    """Sum of every sample of ``name`` in a Prometheus text exposition."""
    total = 0.0
    for match in re.finditer(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+-]+)$", text, re.MULTILINE):
        total += float(match.group(1))
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture(scope="module")
def daemon(
    helm: Helm, chart_cluster: KubeCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    cluster = chart_cluster
    helm.run(
        "install",
        RELEASE,
        str(CHART_DIR),
        "--namespace",
        NS,
        "--create-namespace",
        "--kubeconfig",
        str(cluster.kubeconfig_path),
        "--values",
        str(CI_DIR / "leader-election-values.yaml"),
        timeout=180,
    )
    _create_sources(cluster)
    token = cluster.create_service_account_token(NS, SERVICE_ACCOUNT, create=False)
    work = tmp_path_factory.mktemp("daemon")
    kubeconfig = cluster.write_kubeconfig(work / "kubeconfig", token=token, user="dnssync")
    port = _free_port()
    log = (work / "daemon.log").open("wb")
    argv = [
        sys.executable,
        "-m",
        "dnssync",
        "run",
        f"--kubeconfig={kubeconfig}",
        "--provider=inmemory",
        "--zone=example.com",
        "--owner-id=chart-test",
        f"--metrics-address=127.0.0.1:{port}",
        "--leader-election",
        f"--leader-election-namespace={NS}",
        f"--leader-election-name={LEASE}",
        "--leader-election-identity=dnssync-test-0",
        "--log-level=info",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNSSYNC_")}
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        yield f"http://127.0.0.1:{port}", proc, work / "daemon.log"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()


def test_daemon_becomes_ready_with_the_chart_token(
    daemon: tuple[str, subprocess.Popen[bytes], Path], chart_cluster: KubeCluster
) -> None:
    url, proc, log = daemon
    deadline = time.monotonic() + 60
    status, body = 0, ""
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"dnssync run exited {proc.returncode}:\n{log_tail(log)}"
        try:
            status, body = _get(f"{url}/readyz")
        except OSError:
            status = 0
        if status == 200:
            break
        time.sleep(0.5)
    assert status == 200, f"/readyz {status} {body}\n{log_tail(log)}"
    assert _get(f"{url}/healthz")[0] == 200
    lease = chart_cluster.request(
        "GET", f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases/{LEASE}"
    )
    assert lease["spec"]["holderIdentity"] == "dnssync-test-0"

    # the sources were read: A + SRV for the Service, A for the route via the Gateway
    metrics = ""
    while time.monotonic() < deadline:
        metrics = _get(f"{url}/metrics")[1]
        if _metric(metrics, "dnssync_records_owned") >= 3:
            break
        time.sleep(0.5)
    assert _metric(metrics, "dnssync_records_owned") == 3, metrics
    assert _metric(metrics, "dnssync_changes_applied_total") >= 3, metrics

    # the bad TTL became a Warning Event on its Service, written with the SA token
    reasons: list[str] = []
    while time.monotonic() < deadline:
        events = chart_cluster.request("GET", f"/api/v1/namespaces/{APPS}/events")["items"]
        reasons = [
            e["reason"]
            for e in events
            if e["involvedObject"].get("name") == "bad-ttl" and e["type"] == "Warning"
        ]
        if reasons:
            break
        time.sleep(0.5)
    assert reasons, log_tail(log)

    # the records it wrote became a Normal Event on the route (issue 15 item 7)
    published: list[str] = []
    while time.monotonic() < deadline:
        events = chart_cluster.request("GET", f"/api/v1/namespaces/{APPS}/events")["items"]
        published = [
            e["message"]
            for e in events
            if e["involvedObject"].get("name") == "kpasswd"
            and e["involvedObject"].get("kind") == "TCPRoute"
            and e["type"] == "Normal"
            and e["reason"] == "Published"
        ]
        if published:
            break
        time.sleep(0.5)
    assert published == ["Published kpasswd.example.com A 203.0.113.20 in example.com"], log_tail(
        log
    )

    text = log.read_text()
    assert "namespaces" in text  # the listener's selector made it read Namespaces
    assert "forbidden" not in text.lower(), log_tail(log)  # every 403 body says Forbidden
