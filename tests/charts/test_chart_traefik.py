"""The chart's Traefik settings, rendered by the real helm: flags, and RBAC on the Traefik
route CRDs only when the traefik source is on (and on the legacy group only when asked)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.charts.helmchart import Helm, HelmError

SERVICE_RULE = {"apiGroups": [""], "resources": ["services"], "verbs": ["get", "list", "watch"]}
EVENTS_RULE = {
    "apiGroups": ["", "events.k8s.io"],
    "resources": ["events"],
    "verbs": ["create", "patch"],
}
TRAEFIK_RESOURCES = ["ingressroutetcps", "ingressrouteudps"]
TRAEFIK_RULE = {
    "apiGroups": ["traefik.io"],
    "resources": TRAEFIK_RESOURCES,
    "verbs": ["get", "list", "watch"],
}
LEGACY_RULE = dict(TRAEFIK_RULE, apiGroups=["traefik.io", "traefik.containo.us"])
SERVICES = "{traefik/traefik,traefik/traefik-udp}"


def _traefik_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rules if any(g.startswith("traefik") for g in r["apiGroups"])]


def test_no_traefik_rbac_by_default(helm: Helm) -> None:
    rules = helm.render().one("ClusterRole")["rules"]
    assert _traefik_rules(rules) == []


@pytest.mark.parametrize(
    ("settings", "rules"),
    [
        # the Traefik Services alone switch the source on, and Services must be readable
        ({"sources": "{gateway}", "traefik.services": SERVICES}, [TRAEFIK_RULE]),
        ({"sources": "{traefik}", "events": "false"}, [SERVICE_RULE, TRAEFIK_RULE]),
        (
            {"sources": "{traefik}", "traefik.legacy": "true", "events": "false"},
            [SERVICE_RULE, LEGACY_RULE],
        ),
        (
            {"sources": "{service}", "traefik.services": SERVICES},
            [SERVICE_RULE, TRAEFIK_RULE, EVENTS_RULE],
        ),
    ],
)
def test_traefik_rbac_when_enabled(
    helm: Helm, settings: dict[str, str], rules: list[dict[str, Any]]
) -> None:
    found = helm.render(set_values=settings).one("ClusterRole")["rules"]
    if settings["sources"] == "{gateway}":
        assert SERVICE_RULE in found
        assert _traefik_rules(found) == rules
    else:
        assert found == rules


def test_traefik_flags(helm: Helm) -> None:
    rendered = helm.render(set_values={"traefik.services": SERVICES, "traefik.legacy": "true"})
    args = rendered.one("Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert [a for a in args if "traefik" in a] == [
        "--traefik-service=traefik/traefik",
        "--traefik-service=traefik/traefik-udp",
        "--traefik-legacy",
    ]


def test_traefik_service_must_be_namespace_and_name(helm: Helm) -> None:
    with pytest.raises(HelmError, match="traefik"):
        helm.render(set_values={"traefik.services": "{traefik}"})
