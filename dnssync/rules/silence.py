"""Why an object publishes nothing (design section 3b).

Every object that carries our (or ExternalDNS's) annotations and contributes no record
gets one Warning saying why, unless a diagnostic of its own already does: a route that
no listener admits, a load balancer without an address yet, an object without a name.
Without it such an object would simply be missing from the plan (docs/troubleshooting.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from dnssync.model.diagnostics import Diagnostic, for_object
from dnssync.rules.gateways import HOSTNAME_ROUTES, Attachment, AttachResult
from dnssync.rules.per_object import Claims
from dnssync.sources.annotations import ObjectSettings
from dnssync.sources.objects import (
    GatewayObject,
    ListenerSetObject,
    RouteObject,
    ServiceObject,
    SourceObject,
)

NO_ADDRESS = "NoAddress"
NO_HOSTNAME = "NoHostname"


def why_silent(
    obj: SourceObject,
    settings: ObjectSettings,
    claims: Claims,
    earlier: Sequence[Diagnostic] = (),
    attached: AttachResult | None = None,
) -> list[Diagnostic]:
    """The Warnings to add for ``obj`` given its ``claims`` (empty when it publishes, or
    when ``earlier`` or the claims' own diagnostics already say why it does not)."""
    if claims.addresses or claims.srv:
        return []
    if not isinstance(obj, ServiceObject | GatewayObject | ListenerSetObject | RouteObject):
        return []
    if any(d.ref == obj.ref for d in (*earlier, *claims.diagnostics)):
        return []
    if isinstance(obj, RouteObject):
        return _route(obj, settings, attached)
    if not obj.annotations:
        return []
    if isinstance(obj, ServiceObject):
        if not settings.hostnames and not settings.srv_domains:
            return [_no_name(obj, "dnssync.io/hostname or dnssync.io/srv-domain")]
        if settings.targets is None and not obj.addresses:
            return [
                for_object(
                    obj.ref,
                    "status.loadBalancer.ingress",
                    "the load balancer has no address yet (status.loadBalancer.ingress is "
                    "empty); records are published once it has one",
                    reason=NO_ADDRESS,
                )
            ]
        return []
    # Gateways and ListenerSets publish only at their own hostname annotation; a target
    # alone is for their routes.
    if (
        settings.hostnames
        and settings.targets is None
        and isinstance(obj, GatewayObject)
        and not obj.addresses
    ):
        return [
            for_object(
                obj.ref,
                "status.addresses",
                "the Gateway has no address yet (status.addresses is empty); records "
                "are published once it has one",
                reason=NO_ADDRESS,
            )
        ]
    return []


def _route(
    route: RouteObject, settings: ObjectSettings, attached: AttachResult | None
) -> list[Diagnostic]:
    # A route without annotations is reported only when it names hosts (HTTPRoute and
    # TLSRoute publish spec.hostnames by default) and a parent accepted it: routes of
    # other Gateways, and L4 routes nobody asked a name for, are none of our business.
    if not route.annotations and not (route.hostnames and route.accepted_parents):
        return []
    if attached is None:
        return []
    if not attached.attachments:
        if attached.problems:
            return list(attached.problems)
        if not route.parent_refs:
            return [
                for_object(
                    route.ref,
                    "spec.parentRefs",
                    "the route names no parent Gateway or ListenerSet",
                    reason="NoParent",
                )
            ]
        return []
    if settings.targets is None and not any(a.addresses for a in attached.attachments):
        return [
            for_object(
                route.ref,
                "status.parents",
                f"{_parents(attached.attachments)} has no address yet (status.addresses is "
                "empty); records are published once it has one",
                reason=NO_ADDRESS,
            )
        ]
    if settings.hostnames or settings.srv_domains:
        return []
    if route.ref.kind in HOSTNAME_ROUTES and route.hostnames:
        return [
            for_object(
                route.ref,
                "spec.hostnames",
                f"none of spec.hostnames ({', '.join(route.hostnames[:5])}) is allowed by the "
                "hostname of a listener the route is attached to",
                reason="HostnameNotAllowed",
            )
        ]
    if route.ref.kind in HOSTNAME_ROUTES:
        return [_no_name(route, "spec.hostnames or dnssync.io/hostname")]
    return [_no_name(route, "dnssync.io/hostname (TCP and UDP listeners have no hostname)")]


def _parents(attachments: Sequence[Attachment]) -> str:
    names = sorted({f"{a.gateway.ref.namespace}/{a.gateway.ref.name}" for a in attachments})
    return ("Gateway " if len(names) == 1 else "Gateways ") + ", ".join(names)


def _no_name(obj: ServiceObject | RouteObject, what: str) -> Diagnostic:
    return for_object(
        obj.ref,
        "metadata.annotations",
        f"no name to publish: set {what}",
        reason=NO_HOSTNAME,
    )


__all__ = ["NO_ADDRESS", "NO_HOSTNAME", "why_silent"]
