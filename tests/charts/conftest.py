"""Fixtures for the chart tests: the real helm binary and a real kube-apiserver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testinfra.k8s import KubeCluster
from tests.charts.helmchart import Helm, install_helm


@pytest.fixture(scope="session")
def helm_binary() -> Path:
    """tools/helm/install.sh: downloads once into the cache, then returns at once."""
    return install_helm()


@pytest.fixture(scope="session")
def helm(helm_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Helm:
    return Helm(helm_binary, tmp_path_factory.mktemp("helm-home"))


@pytest.fixture(scope="session")
def chart_cluster() -> Iterator[KubeCluster]:
    """A kube-apiserver 1.34 + etcd with the Gateway API CRDs, for the chart's RBAC.

    The binaries come from tools/k8s/build.sh (cached; built on first use with Go).
    """
    with KubeCluster() as cluster:
        yield cluster
