"""Helpers shared by the Route53 provider tests."""

from __future__ import annotations

from dnssync_route53.options import Settings
from dnssync_route53.provider import Route53Provider
from dnssync_route53.retry import no_wait

ZONE = "example.com"


def make_provider(settings: Settings | None = None) -> Route53Provider:
    """A provider that finds moto through boto3's chain (env set by the ``aws`` fixture)."""
    return Route53Provider(settings, backoff=no_wait())
