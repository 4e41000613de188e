"""The provider contract suite against real BIND9 and, for interop, Knot DNS."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from dnssync_rfc2136.provider import Rfc2136Provider

from dnssync.model.names import DomainName
from dnssync.providers.base import Provider
from dnssync.testing.contract import ProviderContract
from testinfra.bind import BindServer
from testinfra.knot import KnotServer

pytestmark = pytest.mark.bind


class TestBindContract(ProviderContract):
    @pytest.fixture
    def zone(self, bind_zones: Callable[[], DomainName]) -> DomainName:
        return bind_zones()

    @pytest.fixture
    def provider(
        self,
        zone: DomainName,
        bind_server: BindServer,
        provider_for: Callable[..., Rfc2136Provider],
    ) -> Iterator[Provider]:
        provider = provider_for(bind_server, zone)
        yield provider
        provider.close()


class TestKnotContract(ProviderContract):
    @pytest.fixture
    def zone(self, knot_zones: Callable[[], DomainName]) -> DomainName:
        return knot_zones()

    @pytest.fixture
    def provider(
        self,
        zone: DomainName,
        knot_server: KnotServer,
        provider_for: Callable[..., Rfc2136Provider],
    ) -> Iterator[Provider]:
        provider = provider_for(knot_server, zone)
        yield provider
        provider.close()


class TestBindContractSmallMessages(ProviderContract):
    """The same suite with a 2 KiB message limit, so every apply spans several messages."""

    @pytest.fixture
    def zone(self, bind_zones: Callable[[], DomainName]) -> DomainName:
        return bind_zones()

    @pytest.fixture
    def provider(
        self,
        zone: DomainName,
        bind_server: BindServer,
        provider_for: Callable[..., Rfc2136Provider],
    ) -> Iterator[Provider]:
        provider = provider_for(bind_server, zone, max_message_bytes=2048)
        yield provider
        provider.close()
