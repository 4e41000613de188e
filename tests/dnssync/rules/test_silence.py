"""Design section 3b: an object with our annotations that publishes nothing says why."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dnssync.model.names import DomainName
from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.testing.scenarios import desired_lines, plan_of, problems, provider_with, snapshot_of
from tests.dnssync.rules.test_gateways import GW, HTTP, HTTP_WILD, gw, route

HOSTNAME_ONLY = "{dnssync.io/hostname: app.example.com}"
NO_ADDRESS = "[]"


def service(annotations: str, ingress: str = "[{ip: 203.0.113.10}]") -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata: {{name: kdc, namespace: krb, annotations: {annotations}}}
spec:
  type: LoadBalancer
  ports: [{{name: kerberos, port: 88, protocol: TCP}}]
status:
  loadBalancer: {{ingress: {ingress}}}
"""


@dataclass(frozen=True)
class Case:
    id: str
    manifest: str
    records: list[str]
    warnings: list[tuple[str, str, str]]


CASES = [
    Case(
        "service-without-lb-address",
        service(HOSTNAME_ONLY, ingress=NO_ADDRESS),
        [],
        [("service/krb/kdc", "status.loadBalancer.ingress", "NoAddress")],
    ),
    Case(
        "service-with-only-a-ttl",
        service("{dnssync.io/ttl: '60'}"),
        [],
        [("service/krb/kdc", "metadata.annotations", "NoHostname")],
    ),
    Case(
        "service-target-without-lb-address-publishes",
        service(
            "{dnssync.io/hostname: app.example.com, dnssync.io/target: 198.51.100.1}",
            ingress=NO_ADDRESS,
        ),
        ["app.example.com. 300 A 198.51.100.1"],
        [],
    ),
    Case(
        "service-without-annotations-says-nothing",
        service("{}", ingress=NO_ADDRESS),
        [],
        [],
    ),
    Case(
        "gateway-hostname-without-address",
        gw(HTTP, addresses=NO_ADDRESS, annotations="{dnssync.io/hostname: gw.example.com}"),
        [],
        [("gateway/infra/gw", "status.addresses", "NoAddress")],
    ),
    Case(
        "gateway-with-only-a-target-says-nothing",
        gw(HTTP, addresses=NO_ADDRESS, annotations="{dnssync.io/target: 198.51.100.1}"),
        [],
        [],
    ),
    Case(
        "annotated-route-not-accepted",
        gw(HTTP_WILD)
        + route(
            "HTTPRoute",
            [GW],
            "[app.example.com]",
            annotations="{dnssync.io/ttl: '60'}",
            accepted="'False'",
        ),
        [],
        [("httproute/infra/app", "status.parents", "RouteNotAccepted")],
    ),
    Case(
        "annotated-route-without-status",
        gw(HTTP_WILD) + route("HTTPRoute", [GW], annotations=HOSTNAME_ONLY, status_parents=[]),
        [],
        [("httproute/infra/app", "status.parents", "RouteNotAccepted")],
    ),
    Case(
        "unannotated-route-not-accepted-says-nothing",
        gw(HTTP_WILD) + route("HTTPRoute", [GW], "[app.example.com]", accepted="'False'"),
        [],
        [],
    ),
    Case(
        "accepted-route-whose-namespace-the-listener-refuses",
        gw(HTTP_WILD)
        + route(
            "HTTPRoute", ["{name: gw, namespace: infra}"], "[app.example.com]", namespace="apps"
        ),
        [],
        [("httproute/apps/app", "spec.parentRefs", "NamespaceNotAllowed")],
    ),
    Case(
        "accepted-route-whose-kind-the-listener-refuses",
        gw("[{name: tcp, port: 389, protocol: TCP, allowedRoutes: {kinds: [{kind: TLSRoute}]}}]")
        + route("TCPRoute", [GW], annotations="{dnssync.io/hostname: ldap.example.com}"),
        [],
        [("tcproute/infra/app", "spec.parentRefs", "KindNotAllowed")],
    ),
    Case(
        "accepted-route-without-a-matching-listener",
        gw(HTTP) + route("TCPRoute", [GW], annotations="{dnssync.io/hostname: ldap.example.com}"),
        [],
        [("tcproute/infra/app", "spec.parentRefs", "NoMatchingListener")],
    ),
    Case(
        "accepted-route-whose-gateway-is-missing",
        route("HTTPRoute", [GW], "[app.example.com]"),
        [],
        [("httproute/infra/app", "spec.parentRefs", "ParentNotFound")],
    ),
    Case(
        "route-on-a-gateway-without-address",
        gw(HTTP_WILD, addresses=NO_ADDRESS) + route("HTTPRoute", [GW], "[app.example.com]"),
        [],
        [("httproute/infra/app", "status.parents", "NoAddress")],
    ),
    Case(
        "tcproute-without-a-name",
        gw("[{name: ldap, port: 389, protocol: TCP}]")
        + route("TCPRoute", [GW], annotations="{dnssync.io/ttl: '60'}"),
        [],
        [("tcproute/infra/app", "metadata.annotations", "NoHostname")],
    ),
    Case(
        "httproute-hostnames-no-listener-allows",
        gw("[{name: http, port: 80, protocol: HTTP, hostname: web.example.com}]")
        + route("HTTPRoute", [GW], "[app.example.com]"),
        [],
        [("httproute/infra/app", "spec.hostnames", "HostnameNotAllowed")],
    ),
    Case(
        "a-reason-already-given-is-not-repeated",
        gw("[{name: ldap, port: 389, protocol: TCP}]")
        + route("TCPRoute", [GW], annotations="{dnssync.io/srv-domain: example.com}"),
        [],
        [("tcproute/infra/app", "metadata.annotations[dnssync.io/srv-domain]", "NoSrvTarget")],
    ),
    Case(
        "one-attached-parent-is-enough",
        gw(HTTP_WILD) + route("HTTPRoute", [GW, "{name: other}"], "[app.example.com]"),
        ["app.example.com. 300 A 203.0.113.1"],
        [],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_why_nothing_is_published(case: Case) -> None:
    snapshot = snapshot_of(case.manifest)
    assert not snapshot.diagnostics, [str(d) for d in snapshot.diagnostics]
    result = desired_records(snapshot.objects, RuleSettings())
    assert desired_lines(result) == sorted(case.records)
    assert problems(result.diagnostics) == sorted(case.warnings)


def test_namespace_warning_names_listener_and_setting() -> None:
    snapshot = snapshot_of(
        gw(HTTP_WILD)
        + route(
            "HTTPRoute", ["{name: gw, namespace: infra}"], "[app.example.com]", namespace="apps"
        )
    )
    (warning,) = desired_records(snapshot.objects, RuleSettings()).diagnostics
    assert str(warning) == (
        "httproute/apps/app: spec.parentRefs: listener http of Gateway infra/gw does not admit "
        "routes from namespace apps (allowedRoutes.namespaces.from: Same)"
    )
    assert warning.ref is not None and str(warning.ref) == "httproute/apps/app"


def test_hostname_outside_every_zone_is_in_the_plan_diagnostics() -> None:
    outcome = plan_of(
        service("{dnssync.io/hostname: kdc.example.org}"),
        provider=provider_with(("example.com",)),
    )
    assert not outcome.plan.has_changes
    assert ("OutsideZones", DomainName.parse("kdc.example.org").fqdn) in {
        (d.reason, d.message.split()[0]) for d in outcome.diagnostics
    }
