"""Fixtures of the end-to-end tests: real clients and servers around a real ``dnssync run``.

What they need is installed by ``tools/setup.sh`` (BIND9, MIT Kerberos, iproute2,
util-linux, the kube-apiserver + etcd build) and root for the private network namespace.
A missing part is a failure, never a skip: these tests are the reason the project exists.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from testinfra import bind, kerberos, netns
from testinfra.k8s import GATEWAY_CRDS_STANDARD, TRAEFIK_CRDS, KubeCluster, binaries_available


def require(ok: bool, what: str) -> None:
    if not ok:
        pytest.fail(f"end-to-end test needs {what}; run tools/setup.sh")


@pytest.fixture(scope="session")
def e2e_requirements() -> None:
    require(bind.available(), "BIND9 (/usr/sbin/named: apt-get install bind9)")
    require(
        kerberos.available(), f"MIT Kerberos ({', '.join(kerberos.missing())}: {kerberos.INSTALL})"
    )
    require(bool(shutil.which("ip") and shutil.which("nsenter")), "iproute2 and util-linux")
    require(os.geteuid() == 0, "root (it creates a private network + mount namespace)")
    require(binaries_available(), "kube-apiserver and etcd (tools/k8s/build.sh)")


@pytest.fixture(scope="session")
def kube_cluster(e2e_requirements: None) -> Iterator[KubeCluster]:
    """A real kube-apiserver + etcd with the Gateway API CRDs (v1.6.1 standard) and
    Traefik's route CRDs."""
    with KubeCluster(crds=[GATEWAY_CRDS_STANDARD, TRAEFIK_CRDS]) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def private_netns(e2e_requirements: None) -> Iterator[netns.NetNamespace]:
    """A network + mount namespace whose /etc/resolv.conf names 127.0.0.1."""
    with netns.NetNamespace() as namespace:
        yield namespace
