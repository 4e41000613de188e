"""Which Gateway API kinds the cluster serves, and at which version.

Each kind independently gets its most preferred served version (v1, then v1beta1, then
v1alpha3 and v1alpha2 of older experimental installs). A kind the cluster does not serve at
all is "missing": it is reported once, and the other sources go on without it. Kinds newer
than the rest (ListenerSet, Gateway API >= 1.5) are optional: a cluster on an older release
does not serve them, which is no problem to report; they are simply not watched.
"""

from __future__ import annotations

from dataclasses import dataclass

from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.errors import KubeApiError
from dnssync.sources.kube.resources import (
    GATEWAY_GROUP,
    GATEWAY_KINDS,
    OPTIONAL_GATEWAY_KINDS,
    VERSION_PREFERENCE,
    Resource,
)


@dataclass(frozen=True, slots=True)
class GatewayDiscovery:
    found: tuple[Resource, ...]
    missing: tuple[str, ...]  # kinds, e.g. ("TCPRoute",)
    # Optional kinds not served (an older Gateway API release): not watched, not reported.
    absent: tuple[str, ...] = ()

    def message(self) -> str:
        """The one-line report of the missing kinds ('' when none is missing)."""
        if not self.missing:
            return ""
        names = ", ".join(self.missing)
        return (
            f"Gateway API kinds not served by this cluster, not watched: {names} "
            f"(install the Gateway API CRDs of group {GATEWAY_GROUP} to use them)"
        )


def discover_gateway_api(api: KubeApi, timeout: float | None = None) -> GatewayDiscovery:
    """Ask discovery for the group's versions and their resources.

    Raises KubeError when discovery itself fails (then nothing can be called missing).
    """
    try:
        group = api.request("GET", f"/apis/{GATEWAY_GROUP}", timeout=timeout)
    except KubeApiError as exc:
        if exc.status == 404:
            return GatewayDiscovery(
                (),
                tuple(kind for kind, _ in GATEWAY_KINDS if kind not in OPTIONAL_GATEWAY_KINDS),
                OPTIONAL_GATEWAY_KINDS,
            )
        raise
    served = [str(v.get("version")) for v in (group or {}).get("versions") or []]
    ordered = [v for v in VERSION_PREFERENCE if v in served]
    ordered += sorted(v for v in served if v not in VERSION_PREFERENCE)
    plurals_by_version: dict[str, set[str]] = {}
    for version in ordered:
        try:
            listing = api.request("GET", f"/apis/{GATEWAY_GROUP}/{version}", timeout=timeout)
        except KubeApiError as exc:
            if exc.status == 404:  # a version going away between the two calls
                continue
            raise
        plurals_by_version[version] = {
            str(r.get("name"))
            for r in (listing or {}).get("resources") or []
            if "/" not in str(r.get("name"))  # not subresources such as tcproutes/status
            and "list" in (r.get("verbs") or [])
        }
    found: list[Resource] = []
    missing: list[str] = []
    absent: list[str] = []
    for kind, plural in GATEWAY_KINDS:
        best = next((v for v in ordered if plural in plurals_by_version.get(v, ())), None)
        if best is None:
            (absent if kind in OPTIONAL_GATEWAY_KINDS else missing).append(kind)
        else:
            found.append(Resource(kind, plural, GATEWAY_GROUP, best))
    return GatewayDiscovery(tuple(found), tuple(missing), tuple(absent))
