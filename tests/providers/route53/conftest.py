from __future__ import annotations

from collections.abc import Iterator

import pytest
from dnssync_route53 import ratelimit

from dnssync.model.names import DomainName
from testinfra.moto_server import MotoRoute53
from tests.providers.route53.r53_helpers import Paced


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoRoute53]:
    with MotoRoute53(strict=True) as server:
        yield server


@pytest.fixture
def aws(moto_server: MotoRoute53, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoRoute53]:
    """The loopback Route53, empty, reached through boto3's own chain (env variables)."""
    moto_server.reset()
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in moto_server.environ().items():
        monkeypatch.setenv(key, value)
    yield moto_server
    moto_server.reset()


@pytest.fixture
def example_zone(aws: MotoRoute53) -> str:
    return aws.create_zone("example.com")


@pytest.fixture
def zone() -> DomainName:
    return DomainName.parse("example.com")


@pytest.fixture(autouse=True)
def process_bucket(monkeypatch: pytest.MonkeyPatch) -> Paced:
    """A fresh process-wide request bucket per test, on simulated time: the CLI's
    providers are paced as in production without a test waiting for real."""
    paced = Paced()
    monkeypatch.setattr(ratelimit, "_shared", paced.bucket)
    return paced
