"""Fixtures of the daemon tests.

The unit tests need nothing. The leader-election and end-to-end tests run on a real
kube-apiserver + etcd (one per session, shared; tests that stop the apiserver start it
again) and a real BIND9 per test. Missing kube binaries skip unless DNSSYNC_REQUIRE_K8S=1
(CI); a missing BIND fails unless DNSSYNC_ALLOW_SKIP_DNS=1 (as in the rfc2136 tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.client import ClientSettings, connect
from testinfra import bind
from testinfra.bind import BindServer
from testinfra.gates import require_dns, require_k8s
from testinfra.k8s import KubeCluster, binaries_available
from tests.dnssync.daemon.daemon_testkit import Cluster

ZONE = "example.com"


@pytest.fixture(scope="session")
def kube_cluster() -> Iterator[KubeCluster]:
    require_k8s(binaries_available())
    with KubeCluster() as cluster:
        yield cluster


@pytest.fixture
def kube(kube_cluster: KubeCluster) -> Iterator[KubeCluster]:
    """The shared cluster, with its apiserver running again after the test."""
    yield kube_cluster
    if not kube_cluster.apiserver_running():
        kube_cluster.start_apiserver()


@pytest.fixture
def cluster(kube: KubeCluster) -> Cluster:
    return Cluster(kube)


@pytest.fixture
def api(kube: KubeCluster) -> Iterator[KubeApi]:
    client = connect(ClientSettings(str(kube.kubeconfig_path)))
    yield client
    client.close()


@pytest.fixture
def bind_server() -> Iterator[BindServer]:
    """A fresh BIND9 serving example.com for one test."""
    require_dns(
        bind.available(), "BIND9 (/usr/sbin/named) is not installed (apt-get install -y bind9)"
    )
    with BindServer([ZONE]) as server:
        yield server


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
