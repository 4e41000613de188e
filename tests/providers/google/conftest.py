"""Fixtures for the Google Cloud DNS provider tests: the local fake and clients on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from testinfra.gcdns_fake import FakeCloudDns
from tests.providers.google.gcdns_helpers import PROJECT, ZONE, ZONE_ID, make_provider


@pytest.fixture
def fake() -> Iterator[FakeCloudDns]:
    with FakeCloudDns(page_size=3) as server:
        yield server


@pytest.fixture
def gclient(fake: FakeCloudDns) -> Iterator[Any]:
    """A plain google-cloud-dns client on the fake (anonymous credentials)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import dns

    client = dns.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": fake.url},
    )
    yield client
    client.close()


@pytest.fixture
def gprovider(fake: FakeCloudDns) -> Iterator[Any]:
    fake.add_zone(ZONE_ID, ZONE + ".")
    provider = make_provider(fake)
    yield provider
    provider.close()
