"""``--traefik-service`` and ``--traefik-legacy``: the Traefik source (docs/sources/traefik.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from dnssync.errors import ConfigError
from dnssync.providers.base import OptionKind
from dnssync.providers.base import ProviderOption as Option
from dnssync.rules.traefik import TraefikSettings

from .config import Value

TRAEFIK_SOURCE = "traefik"

TRAEFIK_OPTIONS: tuple[Option, ...] = (
    Option(
        "traefik-service",
        "NAMESPACE/NAME of a Traefik LoadBalancer Service whose addresses and entry-point "
        "ports IngressRouteTCP/UDP routes get (repeatable: the chart's <name> and "
        "<name>-udp); switches the traefik source on",
        OptionKind.LIST,
        default=(),
    ),
    Option(
        "traefik-legacy",
        "also read IngressRouteTCP/UDP of the legacy API group traefik.containo.us",
        OptionKind.BOOL,
        default=False,
    ),
)

# A namespace and a Service name are DNS-1123 labels.
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def traefik_settings(values: Mapping[str, Value]) -> TraefikSettings:
    raw = values.get("traefik_service") or ()
    assert isinstance(raw, tuple)
    services: list[tuple[str, str]] = []
    for item in raw:
        namespace, slash, name = item.strip().partition("/")
        if not (slash and _LABEL.fullmatch(namespace) and _LABEL.fullmatch(name)):
            raise ConfigError(
                f"--traefik-service: {item[:100]!r} is not NAMESPACE/NAME of a Service"
            )
        if (namespace, name) not in services:
            services.append((namespace, name))
    return TraefikSettings(tuple(services), bool(values.get("traefik_legacy")))


def with_traefik(sources: tuple[str, ...], settings: TraefikSettings) -> tuple[str, ...]:
    """The traefik source is on as soon as its flags are given (design section 3b)."""
    if settings.services and TRAEFIK_SOURCE not in sources:
        return (*sources, TRAEFIK_SOURCE)
    return sources
