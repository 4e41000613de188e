"""Helpers shared by the webhook provider tests."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence

from dnssync_webhook.provider import WebhookProvider
from dnssync_webhook.settings import WebhookSettings

from dnssync.model.names import DomainName

ZONE = "example.test"


class Pauses:
    """A ``sleep`` that records the pauses instead of sleeping (retries stay fast)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


def make_provider(
    url: str,
    zones: Sequence[str] = (),
    *,
    sleep: Pauses | None = None,
    clock: Callable[[], float] = time.monotonic,
    **settings: object,
) -> WebhookProvider:
    """A provider for the webhook at ``url``; ``settings`` override WebhookSettings fields."""
    base = WebhookSettings(url=url, zones=tuple(DomainName.parse(z) for z in zones))
    if settings:
        base = dataclasses.replace(base, **settings)  # type: ignore[arg-type]
    return WebhookProvider(base, sleep=sleep if sleep is not None else Pauses(), clock=clock)


def endpoint(
    name: str, rtype: str, *targets: str, ttl: int = 0, **extra: object
) -> dict[str, object]:
    """An endpoint as a webhook stores it (JSON)."""
    body: dict[str, object] = {"dnsName": name, "recordType": rtype, "targets": list(targets)}
    if ttl:
        body["recordTTL"] = ttl
    body.update(extra)
    return body
