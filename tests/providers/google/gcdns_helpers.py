"""Shared helpers for the Google provider tests (a unique module name, unlike conftest)."""

from __future__ import annotations

from typing import Any

from testinfra.gcdns_fake import FakeCloudDns

PROJECT = "test-project"
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
    provider.sleeps = sleeps
    return provider
