"""Which source objects publish records: namespace, label and annotation filters."""

from __future__ import annotations

from dataclasses import dataclass

from dnssync.sources.objects import (
    BackendServiceObject,
    GatewayObject,
    IngressObject,
    LabelSelector,
    ListenerSetObject,
    NamespaceObject,
    RouteObject,
    ServiceObject,
    SourceObject,
    TraefikRouteObject,
)


def parse_selector(text: str) -> LabelSelector:
    """Kubernetes selector syntax: ``a=b,c!=d,e in (x,y),f notin (z),g,!h``."""
    labels: list[tuple[str, str]] = []
    expressions: list[tuple[str, str, tuple[str, ...]]] = []
    for part in _split_top_level(text):
        part = part.strip()
        if not part:
            continue
        lowered = part.replace("  ", " ")
        if " notin " in lowered or " in " in lowered:
            op = "NotIn" if " notin " in lowered else "In"
            key, _, rest = lowered.partition(" notin " if op == "NotIn" else " in ")
            values = tuple(v.strip() for v in rest.strip().strip("()").split(",") if v.strip())
            expressions.append((key.strip(), op, values))
        elif "!=" in part:
            key, _, value = part.partition("!=")
            expressions.append((key.strip(), "NotIn", (value.strip(),)))
        elif "=" in part:
            key, _, value = part.partition("==" if "==" in part else "=")
            labels.append((key.strip(), value.strip()))
        elif part.startswith("!"):
            expressions.append((part[1:].strip(), "DoesNotExist", ()))
        else:
            expressions.append((part, "Exists", ()))
    if not labels and not expressions:
        raise ValueError(f"empty selector {text!r}")
    return LabelSelector(tuple(labels), tuple(expressions))


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


@dataclass(frozen=True, slots=True)
class ObjectFilter:
    namespaces: tuple[str, ...] = ()
    label_selector: LabelSelector | None = None
    annotation_selector: LabelSelector | None = None
    # --ingress-class: only Ingresses of these classes (none given: every Ingress).
    ingress_classes: tuple[str, ...] = ()

    def publishes(self, obj: SourceObject) -> bool:
        """True when obj's own annotations may produce records.

        The annotation selector is not checked here: the projection keeps only our
        annotations, so the sources apply it to Services and routes as they read them.
        """
        if isinstance(obj, NamespaceObject):
            return False
        assert isinstance(
            obj,
            ServiceObject
            | GatewayObject
            | RouteObject
            | BackendServiceObject
            | TraefikRouteObject
            | ListenerSetObject
            | IngressObject,
        )
        if self.namespaces and obj.ref.namespace not in self.namespaces:
            return False
        if (
            isinstance(obj, IngressObject)
            and self.ingress_classes
            and obj.ingress_class not in self.ingress_classes
        ):
            return False
        return not (self.label_selector and not self.label_selector.matches(dict(obj.labels)))
