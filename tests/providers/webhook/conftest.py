"""Fixtures for the webhook provider tests: ExternalDNS's own webhook server, twice.

* ``edns_inmemory``: ``external-dns --webhook-server --provider=inmemory`` with a pool of
  zones;
* ``edns_rfc2136``: ``external-dns --webhook-server --provider=rfc2136`` against a real
  BIND (``bind_for_webhook``) holding a pool of zones.

Each runs once per session; a test that needs a clean zone takes the next unused one, so
tests never see each other's records. The ExternalDNS binary is built by
tools/external-dns/build.sh (cached); without it (and without Go) the tests skip on a
laptop and fail in CI (``DNSSYNC_REQUIRE_K8S=1``), as the other ExternalDNS tests do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from dnssync.model.names import DomainName
from testinfra import bind
from testinfra.bind import BindServer
from testinfra.external_dns import binary_available, ensure_binary
from testinfra.external_dns_webhook import ExternalDnsWebhook
from testinfra.gates import require_dns, require_k8s

POOL = 24
EDNS_MISSING = "external-dns not built and no Go toolchain (tools/external-dns/build.sh)"


def pool(prefix: str) -> list[str]:
    return [f"z{i}.{prefix}.test" for i in range(POOL)]


def _allocator(zones: list[str], what: str) -> Callable[[], DomainName]:
    remaining = iter(zones)

    def next_zone() -> DomainName:
        try:
            return DomainName.parse(next(remaining))
        except StopIteration:
            pytest.fail(f"the {what} zone pool ({POOL}) is used up; raise POOL")

    return next_zone


@pytest.fixture(scope="session")
def edns_binary() -> None:
    require_k8s(binary_available(), EDNS_MISSING)
    ensure_binary()


@pytest.fixture(scope="session")
def edns_inmemory(edns_binary: None) -> Iterator[ExternalDnsWebhook]:
    with ExternalDnsWebhook.inmemory(pool("inmem")) as server:
        yield server


@pytest.fixture(scope="session")
def inmemory_zones(edns_inmemory: ExternalDnsWebhook) -> Callable[[], DomainName]:
    return _allocator(pool("inmem"), "inmemory")


@pytest.fixture(scope="session")
def bind_for_webhook() -> Iterator[BindServer]:
    require_dns(bind.available(), "BIND9 (/usr/sbin/named) is not installed")
    with BindServer(pool("edns")) as server:
        yield server


@pytest.fixture(scope="session")
def edns_rfc2136(edns_binary: None, bind_for_webhook: BindServer) -> Iterator[ExternalDnsWebhook]:
    with ExternalDnsWebhook.rfc2136(bind_for_webhook) as server:
        yield server


@pytest.fixture(scope="session")
def rfc2136_zones(edns_rfc2136: ExternalDnsWebhook) -> Callable[[], DomainName]:
    return _allocator(pool("edns"), "rfc2136")
