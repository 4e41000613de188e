"""Fixtures of the cluster-source tests: one real kube-apiserver + etcd per session.

Needs the binaries of tools/k8s/build.sh (built on first use when Go is available).
Without them the tests skip, unless DNSSYNC_REQUIRE_K8S=1 (CI), which makes it a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.client import ClientSettings, connect
from testinfra.k8s import KubeCluster
from tests.dnssync.sources.kube.kube_testkit import Objects, require_binaries


@pytest.fixture(scope="session")
def kube_cluster() -> Iterator[KubeCluster]:
    """The shared cluster (Gateway API v1.6.1 standard CRDs, watch cache on)."""
    require_binaries()
    with KubeCluster() as cluster:
        yield cluster


@pytest.fixture
def kubeconfig(kube_cluster: KubeCluster) -> Path:
    return kube_cluster.kubeconfig_path


@pytest.fixture
def objects(kube_cluster: KubeCluster) -> Objects:
    return Objects(kube_cluster)


@pytest.fixture
def ns(objects: Objects) -> str:
    """A fresh namespace for one test (namespaces are never deleted: no controller)."""
    return objects.namespace()


@pytest.fixture
def api(kubeconfig: Path) -> Iterator[KubeApi]:
    client = connect(ClientSettings(str(kubeconfig)))
    yield client
    client.close()
