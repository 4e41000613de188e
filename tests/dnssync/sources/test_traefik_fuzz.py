"""Hostile IngressRouteTCP/UDP manifests: any shape of spec (and of the Traefik Services)
goes through the manifest source and the rules without a traceback; every problem names
the object and, for the route, the field.

The 'ci' profile (tests/conftest.py) bounds the examples.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from dnssync.model.diagnostics import Severity
from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.rules.traefik import TraefikSettings
from dnssync.testing.scenarios import snapshot_of

SETTINGS = RuleSettings(traefik=TraefikSettings((("traefik", "traefik"),), legacy=False))

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.text(max_size=40),
    st.sampled_from(["web", "websecure", "kerberos", "Kerberos", "*", "HostSNI(`a.example.com`)"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
MATCHES = st.one_of(
    VALUES,
    st.text(alphabet=st.sampled_from(list('HostSNI()`",&|! *a.-')), max_size=60),
    st.just("HostSNI(`x.example.com`) || HostSNI(`*`)"),
)


@st.composite
def route(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["IngressRouteTCP", "IngressRouteUDP"]))
    group = draw(st.sampled_from(["traefik.io", "traefik.containo.us", "example.com", ""]))
    spec: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "entryPoints": st.one_of(VALUES, st.lists(SCALARS, max_size=4)),
                "routes": st.one_of(
                    VALUES,
                    st.lists(
                        st.fixed_dictionaries({}, optional={"match": MATCHES, "syntax": VALUES}),
                        max_size=3,
                    ),
                ),
                "tls": VALUES,
            },
        )
    )
    annotations = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "dnssync.io/hostname",
                    "dnssync.io/srv-domain",
                    "dnssync.io/srv-service",
                    "dnssync.io/target",
                    "dnssync.io/ttl",
                ]
            ),
            st.sampled_from(
                ["a.example.com", "example.com", "web=x", "192.0.2.1", "lb.example.net", "", "!"]
            ),
            max_size=4,
        )
    )
    return {
        "apiVersion": f"{group}/v1alpha1",
        "kind": kind,
        "metadata": {"name": "r", "namespace": "apps", "annotations": annotations},
        "spec": draw(st.one_of(st.just(spec), VALUES)),
    }


TRAEFIK_SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "traefik", "namespace": "traefik"},
    "spec": {
        "type": "LoadBalancer",
        "ports": [
            {"name": "web", "port": 80},
            {"name": "websecure", "port": 443},
            {"name": "kerberos", "port": 88, "protocol": "UDP"},
        ],
    },
    "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.1"}]}},
}


@given(route())
def test_hostile_routes_never_escape(document: dict[str, Any]) -> None:
    text = yaml.safe_dump_all([TRAEFIK_SERVICE, document])
    snapshot = snapshot_of(text)
    for diagnostic in snapshot.diagnostics:
        assert diagnostic.reason != "InternalError", diagnostic
        assert "ingressroute" in diagnostic.subject and diagnostic.field, diagnostic
    result = desired_records(snapshot.objects, SETTINGS)
    for diagnostic in result.diagnostics:
        assert diagnostic.severity is Severity.WARNING, diagnostic
        assert diagnostic.subject.startswith(("ingressroutetcp/", "ingressrouteudp/")), diagnostic
        assert diagnostic.field, diagnostic
