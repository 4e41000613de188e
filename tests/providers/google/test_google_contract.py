"""The provider contract suite, against the fake Cloud DNS API (page size 3: paging)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dnssync.model.names import DomainName
from dnssync.providers.base import Provider
from dnssync.testing.contract import ProviderContract
from testinfra.gcdns_fake import FakeCloudDns
from tests.providers.google.gcdns_helpers import ZONE, ZONE_ID, make_provider


class TestGoogleContract(ProviderContract):
    literal_star_names = False
    cut_types = ("NS",)  # the service has no DNAME

    @pytest.fixture
    def zone(self) -> DomainName:
        return DomainName.parse(ZONE)

    @pytest.fixture
    def provider(self, fake: FakeCloudDns, zone: DomainName) -> Iterator[Provider]:
        fake.add_zone(ZONE_ID, zone.fqdn)
        fake.add_zone("other", "other.example.")
        provider = make_provider(fake)
        yield provider
        provider.close()


class TestGoogleContractSmallBatches(TestGoogleContract):
    """The same with changes of at most 4 entries, so groups spread over many changes."""

    @pytest.fixture
    def provider(self, fake: FakeCloudDns, zone: DomainName) -> Iterator[Provider]:
        fake.add_zone(ZONE_ID, zone.fqdn)
        provider = make_provider(fake, batch_change_size=4)
        yield provider
        provider.close()
