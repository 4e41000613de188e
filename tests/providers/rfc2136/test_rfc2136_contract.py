"""The provider contract suite against real BIND9 and, for interop, Knot DNS and PowerDNS."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from dnssync_rfc2136.provider import Rfc2136Provider

from dnssync.model.names import DomainName
from dnssync.providers.base import Provider
from dnssync.testing.contract import ProviderContract
from testinfra.bind import BindServer
from testinfra.knot import KnotServer
from testinfra.powerdns import PowerDnsServer

pytestmark = pytest.mark.bind


# (server fixture, zone fixture, provider options): the BIND run with a 2 KiB message
# limit makes every apply span several UPDATE messages.
SERVERS = {
    "bind": ("bind_server", "bind_zones", {}),
    "knot": ("knot_server", "knot_zones", {}),
    "powerdns": ("powerdns_server", "powerdns_zones", {}),
    "bind-small-messages": ("bind_server", "bind_zones", {"max_message_bytes": 2048}),
}


class TestRfc2136Contract(ProviderContract):
    @pytest.fixture(params=list(SERVERS))
    def server(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    def zone(self, server: str, request: pytest.FixtureRequest) -> DomainName:
        zones: Callable[[], DomainName] = request.getfixturevalue(SERVERS[server][1])
        return zones()

    @pytest.fixture
    def provider(
        self,
        server: str,
        zone: DomainName,
        request: pytest.FixtureRequest,
        provider_for: Callable[..., Rfc2136Provider],
    ) -> Iterator[Provider]:
        server_fixture, _, options = SERVERS[server]
        dns_server: BindServer | KnotServer | PowerDnsServer = request.getfixturevalue(
            server_fixture
        )
        provider = provider_for(dns_server, zone, **options)
        yield provider
        provider.close()
