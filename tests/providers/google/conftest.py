"""Fixtures for the Google Cloud DNS provider tests: the local fake and clients on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from testinfra.gcdns_fake import FakeCloudDns

PROJECT = "test-project"


@pytest.fixture
def fake() -> Iterator[FakeCloudDns]:
    with FakeCloudDns(page_size=3) as server:
        yield server


@pytest.fixture
def gclient(fake: FakeCloudDns) -> Any:
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


ZONE = "example.com"
ZONE_ID = "example-com"


def make_provider(fake: FakeCloudDns, **settings: Any) -> Any:
    """A provider on the fake with anonymous credentials and fast, deterministic backoff."""
    from dnssync_google.backoff import Backoff
    from dnssync_google.provider import GoogleCloudDnsProvider
    from dnssync_google.settings import GoogleSettings
    from google.auth.credentials import AnonymousCredentials

    sleeps: list[float] = []
    provider = GoogleCloudDnsProvider(
        GoogleSettings(project=PROJECT, api_endpoint=fake.url, **settings),
        credentials=AnonymousCredentials(),
        retry=Backoff(attempts=4, base=0.01, cap=0.05, rng=lambda: 0.5),
        poll=Backoff(attempts=0, base=0.001, cap=0.005, rng=lambda: 0.5),
        change_timeout=5.0,
        sleep=sleeps.append,
    )
    provider.sleeps = sleeps  # type: ignore[attr-defined]
    return provider


@pytest.fixture
def gprovider(fake: FakeCloudDns) -> Iterator[Any]:
    fake.add_zone(ZONE_ID, ZONE + ".")
    provider = make_provider(fake)
    yield provider
    provider.close()
