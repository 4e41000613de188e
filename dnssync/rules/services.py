"""LoadBalancer Services: address records at ``hostname``, SRV per port under ``srv-domain``."""

from __future__ import annotations

from dnssync.model.names import DomainName
from dnssync.rules.claims import port_set
from dnssync.rules.per_object import (
    Claims,
    address_claims,
    choose_addresses,
    srv_claims,
    srv_target_name,
)
from dnssync.sources.annotations import ObjectSettings, annotation_field, lookup
from dnssync.sources.objects import ServiceObject


def service_claims(service: ServiceObject, settings: ObjectSettings, default_ttl: int) -> Claims:
    claims = Claims()
    annotations = dict(service.annotations)
    ttl = settings.ttl or default_ttl
    if settings.targets is not None:
        found = lookup(annotations, "target")
        status_field = annotation_field(found[0]) if found else service.address_field
        addresses = settings.targets
    else:
        status_field, addresses = service.address_field, service.addresses
    chosen = choose_addresses(service.ref, addresses, status_field, claims)
    found = lookup(annotations, "hostname")
    name_field = annotation_field(found[0]) if found else ""
    names: list[tuple[DomainName, str]] = [(n, name_field) for n in settings.hostnames]
    ports = port_set(frozenset((p.port, p.protocol) for p in service.ports))
    claims.addresses.extend(address_claims(service.ref, names, chosen, ports, ttl))
    first = srv_target_name(settings.hostnames)
    srv_claims(service.ref, settings, annotations, service.ports, chosen, first, ttl, claims)
    return claims
