"""Clear words for a failed list or watch: which resource, and what permission is missing."""

from __future__ import annotations

from dnssync.model.diagnostics import Diagnostic, Severity
from dnssync.sources.kube.errors import KubeApiError, KubeError
from dnssync.sources.kube.lister import ListTarget
from dnssync.sources.kube.resources import GATEWAY_GROUP


def failure_reason(error: KubeError) -> str:
    if isinstance(error, KubeApiError):
        if error.status == 403:
            return "SourceForbidden"
        if error.status == 401:
            return "SourceUnauthorized"
    return "SourceUnavailable"


def failure_message(target: ListTarget, error: KubeError, verb: str = "list") -> str:
    resource = target.resource
    what = target.describe()
    if isinstance(error, KubeApiError) and error.status == 403:
        scope = (
            f'a Role in namespace "{target.namespace}"'
            if target.namespace and resource.namespaced
            else "a ClusterRole"
        )
        group = resource.group or '"" (core)'
        return (
            f"forbidden to {verb} {what}: grant get, list and watch on resource "
            f"{resource.plural} in apiGroup {group} ({scope} and its binding); "
            f"the apiserver said: {error.message or error.reason}"
        )
    if isinstance(error, KubeApiError) and error.status == 401:
        return f"unauthorized to {verb} {what}: the credentials were rejected (expired token?)"
    return f"cannot {verb} {what}: {error}"


def failure_diagnostic(target: ListTarget, error: KubeError, verb: str = "list") -> Diagnostic:
    """An ERROR diagnostic: the snapshot is incomplete, so nothing gets deleted."""
    return Diagnostic(
        target.describe(),
        "",
        failure_message(target, error, verb) + "; no records are deleted until it can be read",
        Severity.ERROR,
        reason=failure_reason(error),
    )


def discovery_failure(
    error: KubeError, group: str = GATEWAY_GROUP, what: str = "the Gateway API"
) -> Diagnostic:
    """Discovery failed: the group's kinds are neither read nor known to be missing."""
    return Diagnostic(
        f"{group} discovery",
        "",
        f"cannot discover {what}: {error}; no records are deleted until it can be read",
        Severity.ERROR,
        reason=failure_reason(error),
    )
