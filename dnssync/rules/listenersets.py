"""Gateway API ListenerSets: listeners added to a Gateway from (possibly) another namespace.

A ListenerSet has no addresses of its own: its listeners are bound on its parent Gateway's
``status.addresses`` (a ``target`` annotation on the ListenerSet overrides them, as in
ExternalDNS). Its listeners count only when the Gateway admits the ListenerSet
(``spec.allowedListeners``, default None), the ListenerSet is Accepted, and the listener
itself is Accepted and not Conflicted (docs/sources/gateway-api.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from dnssync.model.diagnostics import Diagnostic, for_object
from dnssync.model.refs import ObjectRef
from dnssync.rules.per_object import Claims, address_claims, choose_addresses
from dnssync.sources.annotations import ObjectSettings, annotation_field, lookup
from dnssync.sources.objects import (
    Address,
    GatewayObject,
    Listener,
    ListenerSetObject,
    NamespacesFrom,
    Protocol,
)
from dnssync.sources.projection import GATEWAY_GROUP

GatewayIndex = Mapping[tuple[str, str], tuple[GatewayObject, ObjectSettings]]
ListenerSetIndex = Mapping[tuple[str, str], tuple[ListenerSetObject, ObjectSettings]]


def parent_gateway_key(listener_set: ListenerSetObject) -> tuple[str, str] | None:
    """``(namespace, name)`` of the Gateway the ListenerSet names (None: not a Gateway)."""
    parent = listener_set.parent
    if parent.group != GATEWAY_GROUP or parent.kind != "Gateway":
        return None
    return (parent.namespace, parent.name)


def admission_problem(
    listener_set: ListenerSetObject,
    gateway: GatewayObject | None,
    namespace_labels: Mapping[str, dict[str, str]],
    about: ObjectRef,
) -> Diagnostic | None:
    """Why the ListenerSet's listeners do not count (None: they may), reported on ``about``
    (the ListenerSet itself, or a route attached to it)."""
    ls = listener_set.ref
    named = f"ListenerSet {ls.namespace}/{ls.name}"
    parent = listener_set.parent
    if parent_gateway_key(listener_set) is None:
        return for_object(
            about,
            "spec.parentRef" if about == ls else "spec.parentRefs",
            f"{named} names a parent of kind {parent.kind} in group {parent.group}, not a Gateway",
            reason="ListenerSetNotAllowed",
        )
    if gateway is None:
        return for_object(
            about,
            "spec.parentRef" if about == ls else "spec.parentRefs",
            f"the Gateway {parent.namespace}/{parent.name} of {named} is not found",
            reason="ParentNotFound",
        )
    allowed = gateway.allowed_listeners
    gw = f"Gateway {gateway.ref.namespace}/{gateway.ref.name}"
    mode = allowed.namespaces_from
    admitted = (
        mode is NamespacesFrom.ALL
        or (mode is NamespacesFrom.SAME and ls.namespace == gateway.ref.namespace)
        or (
            mode is NamespacesFrom.SELECTOR
            and allowed.selector is not None
            and allowed.selector.matches(namespace_labels.get(ls.namespace, {}))
        )
    )
    if not admitted:
        return for_object(
            about,
            "spec.parentRef" if about == ls else "spec.parentRefs",
            f"{gw} does not allow {named} (its spec.allowedListeners.namespaces.from is "
            f"{mode.value}{_selector_hint(mode)}); set it on the Gateway to admit namespace "
            f"{ls.namespace}",
            reason="ListenerSetNotAllowed",
        )
    if not listener_set.accepted:
        return for_object(
            about,
            "status.conditions" if about == ls else "spec.parentRefs",
            f"{named} is not Accepted by its Gateway controller (status.conditions "
            "Accepted is not True)",
            reason="ListenerSetNotAccepted",
        )
    return None


def _selector_hint(mode: NamespacesFrom) -> str:
    if mode is NamespacesFrom.SELECTOR:
        return ", and the namespace's labels do not match its selector"
    return ""


def listener_problem(
    listener_set: ListenerSetObject, listener: Listener, about: ObjectRef
) -> Diagnostic | None:
    """Why one listener of an admitted ListenerSet does not count (None: it does)."""
    status = listener_set.status_of(listener.name)
    ls = listener_set.ref
    where = f"listener {listener.name} of ListenerSet {ls.namespace}/{ls.name}"
    if status is not None and status.conflicted:
        return for_object(
            about,
            "status.listeners" if about == ls else "spec.parentRefs",
            f"{where} is Conflicted (another listener of the Gateway or of an older "
            "ListenerSet has the same port, protocol and hostname)",
            reason="ListenerConflicted",
        )
    if status is None or not status.accepted:
        return for_object(
            about,
            "status.listeners" if about == ls else "spec.parentRefs",
            f"{where} is not Accepted (status.listeners[].conditions Accepted is not True)",
            reason="ListenerNotAccepted",
        )
    return None


def listener_set_addresses(
    listener_set_settings: ObjectSettings,
    gateway: GatewayObject,
    gateway_settings: ObjectSettings,
) -> tuple[Address, ...]:
    """The ListenerSet's ``target``, else the Gateway's ``target``, else its addresses."""
    if listener_set_settings.targets is not None:
        return listener_set_settings.targets
    if gateway_settings.targets is not None:
        return gateway_settings.targets
    return gateway.addresses


def listener_set_claims(
    listener_set: ListenerSetObject,
    settings: ObjectSettings,
    gateways: GatewayIndex,
    namespace_labels: Mapping[str, dict[str, str]],
    default_ttl: int,
) -> Claims:
    """Address records at the ListenerSet's own ``hostname`` names, as for a Gateway: the
    parent Gateway's addresses, for the ports of its usable listeners."""
    claims = Claims()
    if not settings.hostnames:
        return claims
    key = parent_gateway_key(listener_set)
    found = gateways.get(key) if key is not None else None
    gateway, gw_settings = found if found is not None else (None, ObjectSettings())
    problem = admission_problem(listener_set, gateway, namespace_labels, listener_set.ref)
    if problem is not None:
        claims.diagnostics.append(problem)
        return claims
    assert gateway is not None
    problems = [
        listener_problem(listener_set, ln, listener_set.ref) for ln in listener_set.listeners
    ]
    usable = [ln for ln, p in zip(listener_set.listeners, problems, strict=True) if p is None]
    if not usable:
        claims.diagnostics.extend(p for p in problems if p is not None)
        return claims
    annotations = dict(listener_set.annotations)
    target = lookup(annotations, "target")
    status_field = (
        annotation_field(target[0])
        if target is not None and settings.targets is not None
        else "spec.parentRef"
    )
    chosen = choose_addresses(
        listener_set.ref,
        listener_set_addresses(settings, gateway, gw_settings),
        status_field,
        claims,
    )
    if chosen.empty and not claims.diagnostics:
        claims.diagnostics.append(
            for_object(
                listener_set.ref,
                status_field,
                f"its Gateway {gateway.ref.namespace}/{gateway.ref.name} has no address yet "
                "(status.addresses is empty); records are published once it has one",
                reason="NoAddress",
            )
        )
    hostname = lookup(annotations, "hostname")
    name_field = annotation_field(hostname[0]) if hostname else ""
    ports = frozenset(
        (ln.port, Protocol.UDP if ln.protocol == "UDP" else Protocol.TCP) for ln in usable
    )
    names = [(n, name_field) for n in settings.hostnames]
    claims.addresses.extend(
        address_claims(listener_set.ref, names, chosen, ports, settings.ttl or default_ttl)
    )
    return claims


__all__ = [
    "GatewayIndex",
    "ListenerSetIndex",
    "admission_problem",
    "listener_problem",
    "listener_set_addresses",
    "listener_set_claims",
    "parent_gateway_key",
]
