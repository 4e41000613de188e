"""The provider contract suite against moto's Route53 on loopback (strict batches)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dnssync.model.names import DomainName
from dnssync.providers.base import Provider
from dnssync.testing.contract import ProviderContract
from testinfra.moto_server import MotoRoute53
from tests.providers.route53.r53_helpers import make_provider


class TestRoute53Contract(ProviderContract):
    cut_types = ("NS",)  # the service has no DNAME

    @pytest.fixture
    def zone(self) -> DomainName:
        return DomainName.parse("example.com")

    @pytest.fixture
    def provider(self, zone: DomainName, aws: MotoRoute53) -> Iterator[Provider]:
        aws.create_zone(zone.text)
        provider = make_provider()
        yield provider
        provider.close()
