"""The rules of one object: its claims, given the few other objects it reads.

An object's claims depend on the object itself and, for a route, on the Gateways its
parentRefs name and (when a listener selects route namespaces by label) on its
Namespace; for a route under a ListenerSet, also on the ListenerSet, its Gateway and (when
that Gateway selects ListenerSet namespaces by label) the ListenerSet's Namespace, so an
event on any of them evaluates the route again. :func:`evaluate` returns the claims
together with the keys of the objects it read, so the desired state knows whom to evaluate
again when one of those changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from dnssync.model.diagnostics import Diagnostic, for_object
from dnssync.model.names import DomainName
from dnssync.model.refs import ObjectRef
from dnssync.ownership.txt import value_problem
from dnssync.rules.claims import AddressClaim, SrvClaim
from dnssync.rules.gateways import AttachResult, attach_route, gateway_claims, route_claims
from dnssync.rules.ingress_nginx import (
    Lookup,
    backend_claims,
    backend_needs,
    configmap_diagnostics,
    exposed,
)
from dnssync.rules.ingresses import ingress_claims
from dnssync.rules.listenersets import listener_set_claims, parent_gateway_key
from dnssync.rules.per_object import Claims
from dnssync.rules.services import service_claims
from dnssync.rules.settings import RuleSettings
from dnssync.rules.silence import why_silent
from dnssync.rules.traefik import traefik_route_claims
from dnssync.rules.wildcards import drop_literal_stars
from dnssync.sources.annotations import ObjectSettings, parse_settings
from dnssync.sources.objects import (
    BackendServiceObject,
    GatewayObject,
    IngressObject,
    Listener,
    ListenerSetObject,
    NamespaceObject,
    NamespacesFrom,
    ParentRef,
    RouteObject,
    ServiceObject,
    SourceObject,
    StreamServicesObject,
    TraefikRouteObject,
)
from dnssync.sources.projection import GATEWAY_GROUP

ObjectKey = tuple[str, str, str]
"""``(kind, namespace, name)``, kind lower-case; namespace ``""`` for Namespaces (as the
cluster source keys its cache)."""

NAMESPACE = "namespace"
SERVICE = "service"
GATEWAY = "gateway"
LISTENERSET = "listenerset"

# Bad annotations that make every record of the object unusable, or only its SRV records.
WHOLE_OBJECT = frozenset({"ttl", "target"})
SRV_SETTINGS = frozenset({"srv-service", "srv-priority", "srv-weight"})


def key_of(obj: SourceObject) -> ObjectKey:
    if isinstance(obj, NamespaceObject):
        return (NAMESPACE, "", obj.name)
    return (obj.ref.kind, obj.ref.namespace, obj.ref.name)


def ref_of(key: ObjectKey) -> ObjectRef:
    return ObjectRef(*key)


@dataclass(frozen=True, slots=True)
class Parsed:
    """An object with its annotations parsed (once per version of the object)."""

    obj: SourceObject
    settings: ObjectSettings
    problems: tuple[Diagnostic, ...]


def parse(obj: SourceObject) -> Parsed:
    if isinstance(obj, NamespaceObject | StreamServicesObject):
        return Parsed(obj, ObjectSettings(), ())
    settings, problems = parse_settings(obj.ref, obj.annotations)
    return Parsed(obj, settings, tuple(problems))


@dataclass(frozen=True, slots=True)
class ObjectClaims:
    """What one object contributes to the desired state."""

    addresses: tuple[AddressClaim, ...] = ()
    srv: tuple[SrvClaim, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    # An annotation could not be used: the records the object owns stay as they are.
    keep: bool = False

    def names(self) -> set[DomainName]:
        return {c.name for c in self.addresses} | {c.name for c in self.srv}


NOTHING = ObjectClaims()


class Objects(Protocol):
    """Where the rules look up the other objects an object reads."""

    def get(self, key: ObjectKey) -> Parsed | None: ...


@dataclass(frozen=True, slots=True)
class Evaluation:
    claims: ObjectClaims
    # The objects this evaluation read: when one of them changes, evaluate again.
    needs: frozenset[ObjectKey] = frozenset()


def evaluate(parsed: Parsed, objects: Objects, settings: RuleSettings) -> Evaluation:
    obj = parsed.obj
    if isinstance(obj, NamespaceObject):
        return Evaluation(NOTHING)
    if isinstance(obj, StreamServicesObject):
        problems = configmap_diagnostics(obj, settings.ingress_nginx)
        return Evaluation(ObjectClaims(diagnostics=tuple(problems)) if problems else NOTHING)
    needs: frozenset[ObjectKey] = frozenset()
    if isinstance(obj, BackendServiceObject):
        # Read again when the ConfigMaps or the controller Service change.
        needs = frozenset(_key(r) for r in backend_needs(settings.ingress_nginx))
        if not exposed(obj, settings.ingress_nginx, _lookup(objects)):
            return Evaluation(NOTHING, needs)
    if not settings.object_filter.publishes(obj) or not ours(parsed.settings, settings):
        return Evaluation(NOTHING, needs)
    unrecordable = _unrecordable(obj.ref)
    if unrecordable is not None:
        return Evaluation(ObjectClaims(diagnostics=(unrecordable,), keep=True), needs)
    obj_settings = parsed.settings
    ttl = settings.default_ttl
    unusable = bool(obj_settings.invalid)
    attached: AttachResult | None = None
    if isinstance(obj, ServiceObject):
        found = service_claims(obj, obj_settings, ttl)
    elif isinstance(obj, GatewayObject):
        found = gateway_claims(obj, obj_settings, ttl)
    elif isinstance(obj, BackendServiceObject):
        found = backend_claims(obj, obj_settings, settings.ingress_nginx, _lookup(objects), ttl)
    elif isinstance(obj, TraefikRouteObject):
        found, usable_all, needs = _traefik(obj, obj_settings, objects, settings, ttl)
        unusable = unusable or not usable_all
    elif isinstance(obj, ListenerSetObject):
        found, needs = _listener_set(obj, obj_settings, objects, ttl)
    elif isinstance(obj, IngressObject):
        found, ingress_ok = ingress_claims(obj, obj_settings, ttl, settings.ingress)
        unusable = unusable or not ingress_ok
    else:
        found, usable_all, needs, attached = _route(obj, obj_settings, objects, ttl)
        unusable = unusable or not usable_all
    found.diagnostics.extend(why_silent(obj, obj_settings, found, parsed.problems, attached))
    # A bad value skips the records that depend on it (docs/annotations.md), and the
    # records the object already owns stay as they are instead of being deleted.
    diagnostics = list(parsed.problems)
    if obj_settings.invalid & WHOLE_OBJECT:
        return Evaluation(ObjectClaims(diagnostics=tuple(diagnostics), keep=True), needs)
    if obj_settings.invalid & SRV_SETTINGS:
        found.srv.clear()
    drop_literal_stars(found)
    diagnostics.extend(found.diagnostics)
    claims = ObjectClaims(tuple(found.addresses), tuple(found.srv), tuple(diagnostics), unusable)
    return Evaluation(claims, needs)


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


def _key(ref: ObjectRef) -> ObjectKey:
    return (ref.kind, ref.namespace, ref.name)


def _lookup(objects: Objects) -> Lookup:
    def find(ref: ObjectRef) -> SourceObject | None:
        found = objects.get(_key(ref))
        return found.obj if found is not None else None

    return find


def _traefik(
    route: TraefikRouteObject,
    obj_settings: ObjectSettings,
    objects: Objects,
    settings: RuleSettings,
    ttl: int,
) -> tuple[Claims, bool, frozenset[ObjectKey]]:
    """A Traefik route reads the Traefik Services (--traefik-service) that exist."""
    services: dict[tuple[str, str], ServiceObject] = {}
    for namespace, name in settings.traefik.services:
        found = objects.get((SERVICE, namespace, name))
        if found is not None and isinstance(found.obj, ServiceObject):
            services[(namespace, name)] = found.obj
    result = traefik_route_claims(route, obj_settings, settings.traefik, services, ttl)
    needs = frozenset((SERVICE, ns, name) for ns, name in settings.traefik.services)
    return result.claims, result.usable, needs


def ours(obj_settings: ObjectSettings, settings: RuleSettings) -> bool:
    return obj_settings.controller in (None, "", settings.controller)


def _route(
    route: RouteObject, obj_settings: ObjectSettings, objects: Objects, ttl: int
) -> tuple[Claims, bool, frozenset[ObjectKey], AttachResult]:
    """The route's claims, whether every attachment was usable, what it read, and its
    attachments (with the reasons of the parents that gave none)."""
    gateways: dict[tuple[str, str], tuple[GatewayObject, ObjectSettings]] = {}
    listener_sets: dict[tuple[str, str], tuple[ListenerSetObject, ObjectSettings]] = {}
    needs: set[ObjectKey] = set()
    label_namespaces: set[str] = set()
    parents = route.parent_refs + route.accepted_parents
    for parent in _gateway_parents(parents):
        found_gateway = _gateway(parent.namespace, parent.name, objects, needs, gateways)
        if found_gateway is not None and _selects_routes(found_gateway.listeners):
            label_namespaces.add(route.ref.namespace)
    # A ListenerSet parent: the ListenerSet, its Gateway (which must admit it) and the
    # namespaces whose labels either selects (docs/sources/gateway-api.md).
    for parent in _listener_set_parents(parents):
        key = (LISTENERSET, parent.namespace, parent.name)
        needs.add(key)
        found = objects.get(key)
        if found is None or not isinstance(found.obj, ListenerSetObject):
            continue
        listener_set = found.obj
        listener_sets[(parent.namespace, parent.name)] = (listener_set, found.settings)
        if _selects_routes(listener_set.listeners):
            label_namespaces.add(route.ref.namespace)
        gateway_key = parent_gateway_key(listener_set)
        if gateway_key is None:
            continue
        found_gateway = _gateway(*gateway_key, objects, needs, gateways)
        if found_gateway is not None and _selects_listener_sets(found_gateway):
            label_namespaces.add(listener_set.ref.namespace)
    labels = _namespace_labels(label_namespaces, objects, needs)
    attached = attach_route(route, gateways, labels, listener_sets)
    bad_targets = {k for k, (_, s) in gateways.items() if "target" in s.invalid}
    bad_sets = {k for k, (_, s) in listener_sets.items() if "target" in s.invalid}
    usable = [
        a
        for a in attached.attachments
        if (a.gateway.ref.namespace, a.gateway.ref.name) not in bad_targets
        and (
            a.listener_set is None
            or (a.listener_set.ref.namespace, a.listener_set.ref.name) not in bad_sets
        )
    ]
    found_claims = route_claims(route, obj_settings, usable, ttl)
    complete = len(usable) == len(attached.attachments)
    # Attachments through a parent with a bad target are reported on that parent.
    return found_claims, complete, frozenset(needs), replace(attached, attachments=tuple(usable))


def _listener_set(
    listener_set: ListenerSetObject, obj_settings: ObjectSettings, objects: Objects, ttl: int
) -> tuple[Claims, frozenset[ObjectKey]]:
    """A ListenerSet's own hostname records: they read its Gateway (and, when the Gateway
    selects ListenerSet namespaces by label, the ListenerSet's Namespace)."""
    needs: set[ObjectKey] = set()
    gateways: dict[tuple[str, str], tuple[GatewayObject, ObjectSettings]] = {}
    labels: dict[str, dict[str, str]] = {}
    gateway_key = parent_gateway_key(listener_set)
    if obj_settings.hostnames and gateway_key is not None:
        found = _gateway(*gateway_key, objects, needs, gateways)
        if found is not None and _selects_listener_sets(found):
            labels = _namespace_labels({listener_set.ref.namespace}, objects, needs)
    claims = listener_set_claims(listener_set, obj_settings, gateways, labels, ttl)
    return claims, frozenset(needs)


def _gateway(
    namespace: str,
    name: str,
    objects: Objects,
    needs: set[ObjectKey],
    gateways: dict[tuple[str, str], tuple[GatewayObject, ObjectSettings]],
) -> GatewayObject | None:
    key = (GATEWAY, namespace, name)
    needs.add(key)
    found = objects.get(key)
    if found is None or not isinstance(found.obj, GatewayObject):
        return None
    gateways[(namespace, name)] = (found.obj, found.settings)
    return found.obj


def _selects_routes(listeners: Iterable[Listener]) -> bool:
    return any(ln.namespaces_from is NamespacesFrom.SELECTOR for ln in listeners)


def _selects_listener_sets(gateway: GatewayObject) -> bool:
    return gateway.allowed_listeners.namespaces_from is NamespacesFrom.SELECTOR


def _namespace_labels(
    namespaces: Iterable[str], objects: Objects, needs: set[ObjectKey]
) -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = {}
    for name in namespaces:
        key = (NAMESPACE, "", name)
        needs.add(key)
        namespace = objects.get(key)
        if namespace is not None and isinstance(namespace.obj, NamespaceObject):
            labels[name] = dict(namespace.obj.labels)
    return labels


def _listener_set_parents(parents: Iterable[ParentRef]) -> list[ParentRef]:
    return [p for p in parents if p.group == GATEWAY_GROUP and p.kind == "ListenerSet"]


def _gateway_parents(parents: Iterable[ParentRef]) -> list[ParentRef]:
    return [p for p in parents if p.group == GATEWAY_GROUP and p.kind == "Gateway"]
