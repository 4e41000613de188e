"""The API resources the sources read, and their URL paths."""

from __future__ import annotations

from dataclasses import dataclass

GATEWAY_GROUP = "gateway.networking.k8s.io"

# Gateway API kinds we read, with their plural, lower-case kind and projection kind.
GATEWAY_KINDS: tuple[tuple[str, str], ...] = (
    ("Gateway", "gateways"),
    ("HTTPRoute", "httproutes"),
    ("TLSRoute", "tlsroutes"),
    ("TCPRoute", "tcproutes"),
    ("UDPRoute", "udproutes"),
    ("ListenerSet", "listenersets"),  # Gateway API >= 1.5
)
# Kinds of later Gateway API releases: a cluster without them is not missing anything.
OPTIONAL_GATEWAY_KINDS = ("ListenerSet",)
# Served versions in order of preference: v1 first, the alphas of older installs last.
VERSION_PREFERENCE = ("v1", "v1beta1", "v1alpha3", "v1alpha2")


@dataclass(frozen=True, slots=True)
class Resource:
    """One API resource (e.g. ``tcproutes.gateway.networking.k8s.io/v1alpha2``)."""

    kind: str  # as in the objects: "Service", "TCPRoute"
    plural: str
    group: str = ""  # "" is the core group
    version: str = "v1"
    namespaced: bool = True

    @property
    def key(self) -> str:
        """The lower-case kind used in object references: ``service``, ``tcproute``."""
        return self.kind.lower()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """``services`` or ``tcproutes.gateway.networking.k8s.io``, as RBAC names it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The collection (or object) path; all namespaces when ``namespace`` is None."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name is not None else base

    def describe(self, namespace: str | None) -> str:
        """``tcproutes.gateway.networking.k8s.io/v1 in namespace krb`` (or at cluster scope)."""
        where = f"in namespace {namespace}" if namespace else "in all namespaces"
        if not self.namespaced:
            where = "(cluster-scoped)"
        return f"{self.qualified}/{self.version} {where}"


SERVICES = Resource("Service", "services")
# networking.k8s.io/v1 is served by every cluster since 1.19: no discovery needed.
INGRESSES = Resource("Ingress", "ingresses", "networking.k8s.io")
NAMESPACES = Resource("Namespace", "namespaces", namespaced=False)
EVENTS = Resource("Event", "events")
CONFIGMAPS = Resource("ConfigMap", "configmaps")
