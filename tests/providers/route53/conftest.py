from __future__ import annotations

from collections.abc import Iterator

import pytest

from dnssync.model.names import DomainName
from testinfra.moto_server import MotoRoute53


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
