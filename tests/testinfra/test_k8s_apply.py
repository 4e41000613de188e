"""``python -m testinfra.k8s apply``: the README's way to load objects and their status
into ``python -m testinfra.k8s up`` without kubectl."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from testinfra.gates import require_k8s
from testinfra.k8s import KubeCluster, binaries_available
from testinfra.k8s_apply import ApplyError, apply_manifests

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cluster() -> Iterator[KubeCluster]:
    require_k8s(binaries_available())
    with KubeCluster() as started:
        yield started


def run_cli(*args: str, kubeconfig: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "testinfra.k8s", "apply", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.k8s
def test_apply_creates_the_objects_with_their_status(cluster: KubeCluster) -> None:
    examples = ("examples/kerberos", "examples/kerberos-gateway")
    proc = run_cli(*examples, kubeconfig=cluster.kubeconfig_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "service/krb/kdc-tcp (status set)",
        "service/krb/kdc-udp (status set)",
        "gateway/krb/kdc-tcp (status set)",
        "gateway/krb/kdc-udp (status set)",
        "tcproute/krb/kdc-tcp (status set)",
        "udproute/krb/kdc-udp (status set)",
    ]
    service = cluster.request("GET", "/api/v1/namespaces/krb/services/kdc-tcp")
    assert [i["ip"] for i in service["status"]["loadBalancer"]["ingress"]] == ["203.0.113.10"]
    assert service["metadata"]["annotations"]["dnssync.io/srv-domain"] == "example.com"
    gateway = cluster.request(
        "GET", "/apis/gateway.networking.k8s.io/v1/namespaces/krb/gateways/kdc-udp"
    )
    assert gateway["status"]["addresses"]


@pytest.mark.k8s
def test_apply_again_with_a_new_status_moves_it(cluster: KubeCluster, tmp_path: Path) -> None:
    text = (REPO_ROOT / "examples" / "kerberos" / "kdc.yaml").read_text()
    service = next(d for d in yaml.safe_load_all(text) if d)
    service["metadata"]["namespace"] = "krb-moved"
    manifest = tmp_path / "kdc-tcp.yaml"
    for ip in ("203.0.113.10", "198.51.100.7"):
        service["status"]["loadBalancer"]["ingress"] = [{"ip": ip}]
        manifest.write_text(yaml.safe_dump(service))
        assert apply_manifests(cluster.kubeconfig_path, [manifest]) == [
            "service/krb-moved/kdc-tcp (status set)"
        ]
        got = cluster.request("GET", "/api/v1/namespaces/krb-moved/services/kdc-tcp")
        assert [i["ip"] for i in got["status"]["loadBalancer"]["ingress"]] == [ip]


@pytest.mark.k8s
def test_a_bad_object_is_named(cluster: KubeCluster, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Frobnicator\nmetadata: {name: x}\n")
    proc = run_cli(str(bad), kubeconfig=cluster.kubeconfig_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"testinfra.k8s apply: {bad}: Frobnicator x: ")
    assert "Traceback" not in proc.stderr


def test_a_kubeconfig_off_loopback_is_refused(tmp_path: Path) -> None:
    ca = {"certificate-authority-data": "eA=="}
    config = {
        "current-context": "c",
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
        "clusters": [{"name": "k", "cluster": {"server": "https://10.0.0.1", **ca}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
    }
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    with pytest.raises(ApplyError, match="is not on loopback"):
        apply_manifests(kubeconfig, [REPO_ROOT / "examples" / "kerberos"])
