"""From projected source objects to the desired records of every name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dnssync.model.diagnostics import for_object
from dnssync.rules.claims import AddressClaim, SrvClaim
from dnssync.rules.gateways import gateway_claims, route_attachments, route_claims
from dnssync.rules.merge import MergeResult, merge
from dnssync.rules.per_object import Claims
from dnssync.rules.services import service_claims
from dnssync.sources.annotations import ObjectSettings, parse_settings
from dnssync.sources.filters import ObjectFilter
from dnssync.sources.objects import (
    GatewayObject,
    NamespaceObject,
    RouteObject,
    ServiceObject,
    SourceObject,
)

DEFAULT_CONTROLLER = "dnssync"
DEFAULT_TTL = 300


@dataclass(frozen=True, slots=True)
class RuleSettings:
    controller: str = DEFAULT_CONTROLLER
    default_ttl: int = DEFAULT_TTL
    object_filter: ObjectFilter = field(default_factory=ObjectFilter)


def desired_records(objects: Iterable[SourceObject], settings: RuleSettings) -> MergeResult:
    objects = list(objects)
    claims = Claims()
    parsed: dict[int, ObjectSettings] = {}
    for index, obj in enumerate(objects):
        if isinstance(obj, NamespaceObject):
            continue
        obj_settings, problems = parse_settings(obj.ref, obj.annotations)
        parsed[index] = obj_settings
        if settings.object_filter.publishes(obj) and _ours(obj_settings, settings):
            claims.diagnostics.extend(problems)
    gateways = {
        (obj.ref.namespace, obj.ref.name): (obj, parsed[i])
        for i, obj in enumerate(objects)
        if isinstance(obj, GatewayObject)
    }
    namespaces = {obj.name: dict(obj.labels) for obj in objects if isinstance(obj, NamespaceObject)}
    ttl = settings.default_ttl
    for index, obj in enumerate(objects):
        if isinstance(obj, NamespaceObject) or not settings.object_filter.publishes(obj):
            continue
        obj_settings = parsed[index]
        if not _ours(obj_settings, settings):
            continue
        if isinstance(obj, ServiceObject):
            claims.extend(service_claims(obj, obj_settings, ttl))
        elif isinstance(obj, GatewayObject):
            claims.extend(gateway_claims(obj, obj_settings, ttl))
        elif isinstance(obj, RouteObject):
            attachments = route_attachments(obj, gateways, namespaces)
            claims.extend(route_claims(obj, obj_settings, attachments, ttl))
    addresses = _no_wildcards(claims.addresses, claims)
    result = merge(addresses, claims.srv)
    result.diagnostics[:0] = claims.diagnostics
    return result


def _ours(obj_settings: ObjectSettings, settings: RuleSettings) -> bool:
    return obj_settings.controller in (None, "", settings.controller)


def _no_wildcards(addresses: list[AddressClaim], claims: Claims) -> list[AddressClaim]:
    kept: list[AddressClaim] = []
    for claim in addresses:
        if claim.name.is_wildcard:
            claims.diagnostics.append(
                for_object(
                    claim.ref,
                    claim.field or "spec.hostnames",
                    f"wildcard {claim.name.fqdn} is not published (its ownership TXT would "
                    "need a wildcard label); name the hosts in dnssync.io/hostname",
                    reason="WildcardHostname",
                )
            )
            continue
        kept.append(claim)
    return kept


__all__ = ["RuleSettings", "SrvClaim", "desired_records"]
