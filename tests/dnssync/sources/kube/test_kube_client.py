"""Client construction: --kubeconfig/--context, in-cluster config, the default kubeconfig."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnssync.errors import ConfigError
from dnssync.sources.kube import client as kube_client
from dnssync.sources.kube.client import ClientSettings, connect, describe_config_source

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


def test_in_cluster_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import kubernetes.config.incluster_config as incluster

    token = tmp_path / "token"
    token.write_text("pod-token")
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    monkeypatch.setattr(kube_client, "IN_CLUSTER_TOKEN", token)
    monkeypatch.setattr(incluster, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster, "SERVICE_CERT_FILENAME", str(ca))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    assert describe_config_source(ClientSettings()) == "in-cluster service account"
    assert host(ClientSettings()) == "https://10.96.0.1:443"


def test_description_never_holds_credentials(config: Path) -> None:
    text = describe_config_source(ClientSettings(str(config), "two"))
    assert text == f"kubeconfig {config} context two"
    assert "not-a-real-token" not in text
