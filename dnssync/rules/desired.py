"""From projected source objects to the desired records of every name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dnssync.model.diagnostics import Diagnostic, for_object
from dnssync.model.refs import ObjectRef
from dnssync.ownership.txt import value_problem
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
    ServiceObject,
    SourceObject,
)

DEFAULT_CONTROLLER = "dnssync"
DEFAULT_TTL = 300

# Bad annotations that make every record of the object unusable, or only its SRV records.
WHOLE_OBJECT = frozenset({"ttl", "target"})
SRV_SETTINGS = frozenset({"srv-service", "srv-priority", "srv-weight"})


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
    bad_targets = {key for key, (_, s) in gateways.items() if "target" in s.invalid}
    ttl = settings.default_ttl
    keep: set[str] = set()
    for index, obj in enumerate(objects):
        if isinstance(obj, NamespaceObject) or not settings.object_filter.publishes(obj):
            continue
        obj_settings = parsed[index]
        if not _ours(obj_settings, settings):
            continue
        unrecordable = _unrecordable(obj.ref)
        if unrecordable is not None:
            claims.diagnostics.append(unrecordable)
            keep.add(str(obj.ref))
            continue
        unusable = bool(obj_settings.invalid)
        if isinstance(obj, ServiceObject):
            found = service_claims(obj, obj_settings, ttl)
        elif isinstance(obj, GatewayObject):
            found = gateway_claims(obj, obj_settings, ttl)
        else:
            attachments = route_attachments(obj, gateways, namespaces)
            usable = [
                a
                for a in attachments
                if (a.gateway.ref.namespace, a.gateway.ref.name) not in bad_targets
            ]
            unusable = unusable or len(usable) != len(attachments)
            found = route_claims(obj, obj_settings, usable, ttl)
        # A bad value skips the records that depend on it (design section 2), and the
        # records the object already owns stay as they are instead of being deleted.
        if unusable:
            keep.add(str(obj.ref))
        if obj_settings.invalid & WHOLE_OBJECT:
            continue
        if obj_settings.invalid & SRV_SETTINGS:
            found.srv.clear()
        claims.extend(found)
    addresses = _no_wildcards(claims.addresses, claims)
    result = merge(addresses, claims.srv)
    result.diagnostics[:0] = claims.diagnostics
    result.keep = keep
    return result


def _unrecordable(ref: ObjectRef) -> Diagnostic | None:
    """A namespace or name the ownership TXT cannot carry (docs/ownership.md).

    The API server never accepts one, but a manifest can hold anything: a name such as
    ``x,external-dns/owner=other`` would inject a key into the ownership record.
    """
    for field_path, value in (("metadata.namespace", ref.namespace), ("metadata.name", ref.name)):
        problem = value_problem(value, "/")
        if problem is not None:
            return for_object(
                ref,
                field_path,
                f"{value!a} cannot be recorded in an ownership TXT record ({problem}); "
                "the object is not published",
                reason="UnrecordableName",
            )
    return None


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
