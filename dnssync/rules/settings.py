"""Settings of the record rules (from the CLI flags)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dnssync.rules.ingresses import IngressSettings
from dnssync.rules.traefik import TraefikSettings
from dnssync.sources.filters import ObjectFilter
from dnssync.sources.ingress_nginx import IngressNginxSettings

DEFAULT_CONTROLLER = "dnssync"
DEFAULT_TTL = 300


@dataclass(frozen=True, slots=True)
class RuleSettings:
    controller: str = DEFAULT_CONTROLLER
    default_ttl: int = DEFAULT_TTL
    object_filter: ObjectFilter = field(default_factory=ObjectFilter)
    ingress_nginx: IngressNginxSettings = field(default_factory=IngressNginxSettings)
    traefik: TraefikSettings = field(default_factory=TraefikSettings)
    ingress: IngressSettings = field(default_factory=IngressSettings)
