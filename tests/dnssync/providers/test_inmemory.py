from __future__ import annotations

import pytest

from dnssync.model.names import DomainName
from dnssync.providers.base import Provider
from dnssync.providers.inmemory import InMemoryProvider
from dnssync.testing.contract import ProviderContract


class TestInMemoryContract(ProviderContract):
    @pytest.fixture
    def zone(self) -> DomainName:
        return DomainName.parse("example.com")

    @pytest.fixture
    def provider(self, zone: DomainName) -> Provider:
        return InMemoryProvider.create({"zone": (zone.text,)})
