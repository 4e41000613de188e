"""Client construction: --kubeconfig/--context, in-cluster config, the default kubeconfig."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dnssync.errors import ConfigError
from dnssync.sources.kube import client as kube_client
from dnssync.sources.kube import direct
from dnssync.sources.kube.client import ClientSettings, connect, describe_config_source
from dnssync.sources.kube.errors import KubeApiError
from testinfra.k8s import KubeCluster

KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: one
clusters:
- {name: one, cluster: {server: "https://one.example:6443", insecure-skip-tls-verify: true}}
- {name: two, cluster: {server: "https://two.example:6443", insecure-skip-tls-verify: true}}
users:
- {name: u, user: {token: not-a-real-token}}
contexts:
- {name: one, context: {cluster: one, user: u}}
- {name: two, context: {cluster: two, user: u}}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.write_text(KUBECONFIG)
    return path


@pytest.fixture(autouse=True)
def no_pod(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(kube_client, "IN_CLUSTER_TOKEN", tmp_path / "no-token")


def host(settings: ClientSettings) -> str:
    api = connect(settings)
    try:
        return api.host
    finally:
        api.close()


def test_kubeconfig_and_context(config: Path) -> None:
    assert host(ClientSettings(str(config))) == "https://one.example:6443"
    assert host(ClientSettings(str(config), "two")) == "https://two.example:6443"
    with pytest.raises(ConfigError, match="three"):
        connect(ClientSettings(str(config), "three"))


def test_default_kubeconfig_from_environment(
    config: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="not found"):
        connect(ClientSettings())
    monkeypatch.setenv("KUBECONFIG", str(config))
    assert host(ClientSettings()) == "https://one.example:6443"
    # a context alone applies to the default kubeconfig
    assert host(ClientSettings(context="two")) == "https://two.example:6443"
    home = tmp_path / "home" / ".kube"
    home.mkdir(parents=True)
    (home / "config").write_text(KUBECONFIG.replace("current-context: one", "current-context: two"))
    monkeypatch.delenv("KUBECONFIG")
    assert host(ClientSettings()) == "https://two.example:6443"


def in_pod(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kube: KubeCluster, token: str) -> Path:
    """The environment and files of a pod whose service account is ``token``."""
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    monkeypatch.setattr(kube_client, "IN_CLUSTER_TOKEN", token_file)
    monkeypatch.setattr(kube_client, "IN_CLUSTER_CA", kube.ca_path)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(kube.apiserver_port))
    return token_file


def test_in_cluster_config_reads_the_rotating_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kube_cluster: KubeCluster
) -> None:
    token_file = in_pod(monkeypatch, tmp_path, kube_cluster, kube_cluster.admin_token)
    monkeypatch.setattr(direct, "TOKEN_FILE_REFRESH", 0.0)
    assert describe_config_source(ClientSettings()) == "in-cluster service account"
    api = connect(ClientSettings())
    try:
        assert api.host == f"https://127.0.0.1:{kube_cluster.apiserver_port}"
        assert api.request("GET", "/api/v1/namespaces/default")["metadata"]["name"] == "default"
        token_file.write_text("rotated-to-a-token-the-apiserver-does-not-know")
        with pytest.raises(KubeApiError) as refused:
            api.request("GET", "/api/v1/namespaces/default")
        assert refused.value.status == 401
    finally:
        api.close()


def test_in_cluster_without_a_token_or_ca_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kube_cluster: KubeCluster
) -> None:
    token_file = in_pod(monkeypatch, tmp_path, kube_cluster, "t")
    monkeypatch.setattr(kube_client, "IN_CLUSTER_CA", tmp_path / "no-ca.crt")
    with pytest.raises(ConfigError, match=r"in-cluster service account: .*no-ca.crt"):
        connect(ClientSettings())
    monkeypatch.setattr(kube_client, "IN_CLUSTER_CA", token_file)  # not a certificate
    with pytest.raises(ConfigError, match="certificate authority cannot be used"):
        connect(ClientSettings())


PROBE = """
import json, sys
from dnssync.sources.kube.client import ClientSettings, connect
api = connect(ClientSettings(sys.argv[1]))
answer = api.request("GET", "/api/v1/namespaces/default")
print(json.dumps({"name": answer["metadata"]["name"], "kubernetes": "kubernetes" in sys.modules}))
"""


def test_a_token_kubeconfig_never_imports_the_official_client(
    kube_cluster: KubeCluster, tmp_path: Path
) -> None:
    """The official client's import costs about half a second at every start; a token or
    a certificate does not need it (docs/daemon.md, "Start-up")."""
    path = tmp_path / "kubeconfig"
    kube_cluster.write_kubeconfig(path)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, timeout=60
    )
    assert json.loads(done.stdout) == {"name": "default", "kubernetes": False}, done.stderr


def test_description_never_holds_credentials(config: Path) -> None:
    text = describe_config_source(ClientSettings(str(config), "two"))
    assert text == f"kubeconfig {config} context two"
    assert "not-a-real-token" not in text
