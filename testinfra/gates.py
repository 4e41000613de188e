"""Whether a test that needs a real server skips or fails when the server is missing.

Kubernetes binaries: skip on a laptop, fail in CI (``DNSSYNC_REQUIRE_K8S=1``, set by
tools/test.sh). DNS servers: fail, unless ``DNSSYNC_ALLOW_SKIP_DNS=1`` on a laptop. The
image build (root, buildah, debootstrap): skip, fail with ``DNSSYNC_REQUIRE_SERVERS=1``.
"""

from __future__ import annotations

import os

import pytest

K8S_MISSING = "kube-apiserver/etcd not built and no Go toolchain (see tools/k8s/build.sh)"


def env_set(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def require(ok: bool, reason: str, *, strict: bool) -> None:
    """Go on when ``ok``; otherwise fail the test when ``strict``, else skip it."""
    if ok:
        return
    if strict:
        pytest.fail(reason)
    pytest.skip(reason)


def require_k8s(ok: bool, reason: str = K8S_MISSING) -> None:
    require(ok, reason, strict=env_set("DNSSYNC_REQUIRE_K8S"))


def require_dns(ok: bool, reason: str) -> None:
    require(ok, reason, strict=not env_set("DNSSYNC_ALLOW_SKIP_DNS"))


def require_image_build(ok: bool, reason: str) -> None:
    """The container image build (root, buildah, debootstrap): skip on a laptop without
    them, fail in CI (``DNSSYNC_REQUIRE_SERVERS=1``, set by tools/test.sh)."""
    require(ok, reason, strict=env_set("DNSSYNC_REQUIRE_SERVERS"))
