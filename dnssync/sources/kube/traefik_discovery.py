"""Which Traefik route kinds the cluster serves (``traefik.io``, and the legacy
``traefik.containo.us`` when asked for), at which version.

Like the Gateway API discovery: a kind the cluster does not serve is "missing", reported
once, and the other sources go on without it; a failing discovery raises KubeError.
"""

from __future__ import annotations

from dataclasses import dataclass

from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.errors import KubeApiError
from dnssync.sources.kube.resources import Resource

TRAEFIK_GROUP = "traefik.io"
TRAEFIK_LEGACY_GROUP = "traefik.containo.us"
TRAEFIK_KINDS: tuple[tuple[str, str], ...] = (
    ("IngressRouteTCP", "ingressroutetcps"),
    ("IngressRouteUDP", "ingressrouteudps"),
)
TRAEFIK_VERSIONS = ("v1alpha1",)


@dataclass(frozen=True, slots=True)
class TraefikDiscovery:
    found: tuple[Resource, ...]
    missing: tuple[str, ...]  # "IngressRouteTCP.traefik.io"

    def message(self) -> str:
        if not self.missing:
            return ""
        return (
            f"Traefik kinds not served by this cluster, not watched: {', '.join(self.missing)} "
            "(install Traefik's CRDs to use them)"
        )


def traefik_groups(legacy: bool) -> tuple[str, ...]:
    return (TRAEFIK_GROUP, TRAEFIK_LEGACY_GROUP) if legacy else (TRAEFIK_GROUP,)


def discover_traefik(
    api: KubeApi, legacy: bool = False, timeout: float | None = None
) -> TraefikDiscovery:
    found: list[Resource] = []
    missing: list[str] = []
    for group in traefik_groups(legacy):
        plurals = _served(api, group, timeout)
        for kind, plural in TRAEFIK_KINDS:
            version = next((v for v, names in plurals if plural in names), None)
            if version is None:
                missing.append(f"{kind}.{group}")
            else:
                found.append(Resource(kind, plural, group, version))
    return TraefikDiscovery(tuple(found), tuple(missing))


def _served(api: KubeApi, group: str, timeout: float | None) -> list[tuple[str, set[str]]]:
    """(version, listable plurals) of the group, preferred version first."""
    try:
        info = api.request("GET", f"/apis/{group}", timeout=timeout)
    except KubeApiError as exc:
        if exc.status == 404:
            return []
        raise
    served = [str(v.get("version")) for v in (info or {}).get("versions") or []]
    ordered = [v for v in TRAEFIK_VERSIONS if v in served]
    ordered += sorted(v for v in served if v not in TRAEFIK_VERSIONS)
    out: list[tuple[str, set[str]]] = []
    for version in ordered:
        try:
            listing = api.request("GET", f"/apis/{group}/{version}", timeout=timeout)
        except KubeApiError as exc:
            if exc.status == 404:
                continue
            raise
        out.append(
            (
                version,
                {
                    str(r.get("name"))
                    for r in (listing or {}).get("resources") or []
                    if "/" not in str(r.get("name")) and "list" in (r.get("verbs") or [])
                },
            )
        )
    return out
