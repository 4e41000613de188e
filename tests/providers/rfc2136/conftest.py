"""Fixtures for the rfc2136 provider tests: real BIND9, Knot DNS and PowerDNS on loopback.

One server of each kind runs for the whole session with a pool of zones; every test that
needs a clean zone takes the next unused one, so tests never see each other's records.
Tests that stop, restart or reconfigure a server start their own.

The servers come from Debian packages (bind9, knot, pdns-server with pdns-backend-sqlite3).
When a binary is missing the tests
fail with the install command, so CI never skips them silently;
``DNSSYNC_ALLOW_SKIP_DNS=1`` turns that into a skip on a laptop without them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence

import pytest
from dnssync_rfc2136.options import Rfc2136Config, parse_options
from dnssync_rfc2136.provider import Rfc2136Provider

from dnssync.model.names import DomainName
from testinfra import bind, knot, powerdns
from testinfra.bind import BindServer, DnsServer
from testinfra.gates import require_dns
from testinfra.knot import KnotServer
from testinfra.powerdns import PowerDnsServer

POOL = 128
INSTALL = (
    "apt-get install -y bind9 bind9-utils bind9-dnsutils knot knot-dnsutils "
    "pdns-server pdns-backend-sqlite3"
)


def require(binary_ok: bool, what: str) -> None:
    require_dns(binary_ok, f"{what} is not installed ({INSTALL})")


def pool_zones(prefix: str) -> list[str]:
    return [f"z{i}.{prefix}.test" for i in range(POOL)]


@pytest.fixture(scope="session")
def bind_server() -> Iterator[BindServer]:
    require(bind.available(), "BIND9 (/usr/sbin/named)")
    with BindServer(pool_zones("bind")) as server:
        yield server


@pytest.fixture(scope="session")
def knot_server() -> Iterator[KnotServer]:
    require(knot.available(), "Knot DNS (/usr/sbin/knotd)")
    with KnotServer(pool_zones("knot")) as server:
        yield server


@pytest.fixture(scope="session")
def powerdns_server() -> Iterator[PowerDnsServer]:
    require(powerdns.available(), "PowerDNS (/usr/sbin/pdns_server, pdns-backend-sqlite3)")
    with PowerDnsServer(pool_zones("powerdns")) as server:
        yield server


def _allocator(server: DnsServer) -> Callable[[], DomainName]:
    zones = iter(server.zones)

    def next_zone() -> DomainName:
        try:
            return DomainName.parse(next(zones))
        except StopIteration:
            pytest.fail(f"the {server.kind} zone pool ({POOL}) is used up; raise POOL")

    return next_zone


@pytest.fixture(scope="session")
def bind_zones(bind_server: BindServer) -> Callable[[], DomainName]:
    return _allocator(bind_server)


@pytest.fixture(scope="session")
def knot_zones(knot_server: KnotServer) -> Callable[[], DomainName]:
    return _allocator(knot_server)


@pytest.fixture(scope="session")
def powerdns_zones(powerdns_server: PowerDnsServer) -> Callable[[], DomainName]:
    return _allocator(powerdns_server)


@pytest.fixture
def bind_zone(bind_zones: Callable[[], DomainName]) -> DomainName:
    """A zone of the session BIND that no other test has touched."""
    return bind_zones()


@pytest.fixture
def knot_zone(knot_zones: Callable[[], DomainName]) -> DomainName:
    return knot_zones()


def make_provider(server: DnsServer, zone: DomainName, **config: object) -> Rfc2136Provider:
    """A provider for one zone of the server; ``config`` overrides Rfc2136Config fields."""
    settings: Rfc2136Config = parse_options(server.provider_options(zone.text))
    if config:
        settings = dataclasses.replace(settings, **config)  # type: ignore[arg-type]
    return Rfc2136Provider(settings)


@pytest.fixture(scope="session")
def provider_for() -> Callable[..., Rfc2136Provider]:
    """``provider_for(server, zone, timeout=...)``: see :func:`make_provider`."""
    return make_provider


@pytest.fixture
def start_server() -> Iterator[Callable[[str, Sequence[str]], DnsServer]]:
    """``start_server("bind" | "knot", zones)``: a fresh server, stopped after the test."""
    started: list[DnsServer] = []

    def start(kind: str, zones: Sequence[str]) -> DnsServer:
        if kind == "bind":
            require(bind.available(), "BIND9 (/usr/sbin/named)")
            server: DnsServer = BindServer(zones)
        else:
            require(knot.available(), "Knot DNS (/usr/sbin/knotd)")
            server = KnotServer(zones)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def bind_provider(bind_server: BindServer, bind_zone: DomainName) -> Iterator[Rfc2136Provider]:
    provider = make_provider(bind_server, bind_zone)
    yield provider
    provider.close()
