"""Ingresses: address records at their hosts, as ExternalDNS's ingress source publishes them.

Names come from ``spec.rules[].host``, ``spec.tls[].hosts`` and the ``hostname`` annotation
(the ``ingress-hostname-source`` annotation narrows that to one side); addresses from
``status.loadBalancer.ingress`` unless ``target`` overrides them. An Ingress is L7 and has
no ports, so it never publishes SRV records (docs/sources/ingress.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from dnssync.errors import InvalidNameError
from dnssync.model.diagnostics import for_object
from dnssync.model.names import DomainName
from dnssync.rules.per_object import Claims, address_claims, choose_addresses
from dnssync.sources.annotations import (
    EXTERNAL_DNS_PREFIXES,
    PREFIX,
    ObjectSettings,
    annotation_field,
    lookup,
)
from dnssync.sources.objects import IngressObject

HOSTNAME_SOURCE = "ingress-hostname-source"
ANNOTATION_ONLY = "annotation-only"
DEFINED_HOSTS_ONLY = "defined-hosts-only"
STATUS_FIELD = "status.loadBalancer.ingress"


@dataclass(frozen=True, slots=True)
class IngressSettings:
    """ExternalDNS's ``--ignore-ingress-rules-spec`` and ``--ignore-ingress-tls-spec``."""

    ignore_rules: bool = False
    ignore_tls: bool = False


def ingress_claims(
    ingress: IngressObject,
    settings: ObjectSettings,
    default_ttl: int,
    options: IngressSettings = IngressSettings(),
) -> tuple[Claims, bool]:
    """The Ingress's claims, and False when an annotation could not be used (then the
    records it owns are kept as they are, as for any bad annotation)."""
    claims = Claims()
    annotations = dict(ingress.annotations)
    source = _hostname_source(ingress, annotations, claims)
    if source is None:
        return claims, False
    if settings.targets is not None:
        found = lookup(annotations, "target")
        status_field = annotation_field(found[0]) if found else STATUS_FIELD
        addresses = settings.targets
    else:
        status_field, addresses = STATUS_FIELD, ingress.addresses
    chosen = choose_addresses(ingress.ref, addresses, status_field, claims)
    # A dict keeps each name once (a host is usually in both rules and tls), first field.
    names: dict[DomainName, str] = {}
    if source != ANNOTATION_ONLY:
        for host in ingress.hosts:
            if options.ignore_tls if host.from_tls else options.ignore_rules:
                continue
            try:
                name = DomainName.parse(host.name)
            except InvalidNameError as exc:
                claims.diagnostics.append(
                    for_object(
                        ingress.ref,
                        host.field,
                        f"invalid host {host.name!r}: {exc}",
                        reason="InvalidHostname",
                    )
                )
                continue
            names.setdefault(name, host.field)
    if source != DEFINED_HOSTS_ONLY:
        found = lookup(annotations, "hostname")
        name_field = annotation_field(found[0]) if found else ""
        for name in settings.hostnames:
            names.setdefault(name, name_field)
    if settings.srv_domains:
        found = lookup(annotations, "srv-domain")
        claims.diagnostics.append(
            for_object(
                ingress.ref,
                annotation_field(found[0]) if found else "metadata.annotations",
                "an Ingress has no ports, so it gets no SRV records: publish SRV from the "
                "LoadBalancer Service or a TCPRoute/UDPRoute instead",
                reason="NoSrvForIngress",
            )
        )
    ttl = settings.ttl or default_ttl
    claims.addresses.extend(
        address_claims(ingress.ref, list(names.items()), chosen, frozenset(), ttl)
    )
    return claims, True


def _hostname_source(
    ingress: IngressObject, annotations: dict[str, str], claims: Claims
) -> str | None:
    """``ingress-hostname-source`` (ours first, then ExternalDNS's keys), lower-cased;
    "" when absent, None when its value is not one ExternalDNS knows."""
    for prefix in (PREFIX, *EXTERNAL_DNS_PREFIXES):
        key = prefix + HOSTNAME_SOURCE
        if key not in annotations:
            continue
        value = annotations[key].strip().lower()
        if value in (ANNOTATION_ONLY, DEFINED_HOSTS_ONLY):
            return value
        claims.diagnostics.append(
            for_object(
                ingress.ref,
                annotation_field(key),
                f"{annotations[key]!r} is neither {ANNOTATION_ONLY} nor {DEFINED_HOSTS_ONLY}; "
                "nothing is published for this Ingress and its records are kept as they are",
                reason="InvalidAnnotation",
            )
        )
        return None
    return ""
