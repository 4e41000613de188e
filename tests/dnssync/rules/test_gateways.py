"""docs/rules.md for Gateways and their routes: one table of manifests and exact records."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.testing.scenarios import desired_lines, problems, snapshot_of

HOSTNAME = "metadata.annotations[dnssync.io/hostname]"
SRV_DOMAIN = "metadata.annotations[dnssync.io/srv-domain]"


@dataclass(frozen=True)
class Case:
    id: str
    manifest: str
    records: list[str]
    warnings: list[tuple[str, str, str]]


def gw(
    listeners: str,
    addresses: str = "[{type: IPAddress, value: 203.0.113.1}]",
    name: str = "gw",
    namespace: str = "infra",
    annotations: str = "{}",
) -> str:
    return f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: {name}, namespace: {namespace}, annotations: {annotations}}}
spec:
  gatewayClassName: example
  listeners: {listeners}
status:
  addresses: {addresses}
"""


def route(
    kind: str,
    parents: list[str],
    hostnames: str = "[]",
    name: str = "app",
    namespace: str = "infra",
    annotations: str = "{}",
    accepted: str = "'True'",
    status_parents: list[str] | None = None,
) -> str:
    """A route whose status repeats its parentRefs with Accepted=``accepted``."""
    version = "v1" if kind == "HTTPRoute" else "v1alpha2"
    status = "\n".join(
        f"    - parentRef: {p}\n      controllerName: example.com/gw\n"
        f"      conditions: [{{type: Accepted, status: {accepted}}}]"
        for p in (parents if status_parents is None else status_parents)
    )
    return f"""
---
apiVersion: gateway.networking.k8s.io/{version}
kind: {kind}
metadata: {{name: {name}, namespace: {namespace}, annotations: {annotations}}}
spec:
  hostnames: {hostnames}
  parentRefs: [{", ".join(parents)}]
status:
  parents:
{status or "    []"}
"""


def ns(name: str, labels: str) -> str:
    return f"""
---
apiVersion: v1
kind: Namespace
metadata: {{name: {name}, labels: {labels}}}
"""


HTTP = "[{name: http, port: 80, protocol: HTTP}]"
HTTP_WILD = "[{name: http, port: 80, protocol: HTTP, hostname: '*.example.com'}]"
GW = "{name: gw}"
KDC_LISTENERS = (
    "[{name: kerberos-tcp, port: 88, protocol: TCP}, {name: kerberos-udp, port: 88, protocol: UDP}]"
)
KDC_ANNOTATIONS = "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com}"

CASES = [
    Case(
        "httproute-accepted",
        gw(HTTP_WILD) + route("HTTPRoute", [GW], "[app.example.com]"),
        ["app.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "httproute-not-accepted",
        gw(HTTP_WILD) + route("HTTPRoute", [GW], "[app.example.com]", accepted="'False'"),
        [],
        [],
    ),
    Case(
        "httproute-without-status",
        gw(HTTP_WILD) + route("HTTPRoute", [GW], "[app.example.com]", status_parents=[]),
        [],
        [],
    ),
    Case(
        "accepted-parent-not-in-spec",
        gw(HTTP_WILD)
        + gw(HTTP_WILD, name="gw2", addresses="[{value: 203.0.113.2}]")
        + route("HTTPRoute", [GW], "[app.example.com]", status_parents=["{name: gw2}"]),
        [],
        [],
    ),
    Case(
        "parent-gateway-missing",
        route("HTTPRoute", [GW], "[app.example.com]"),
        [],
        [("httproute/infra/app", "spec.parentRefs", "ParentNotFound")],
    ),
    Case(
        "accepted-by-one-of-two-parents",
        gw(HTTP)
        + gw(HTTP, name="gw2", addresses="[{value: 203.0.113.2}]")
        + route(
            "HTTPRoute",
            [GW, "{name: gw2}"],
            "[app.example.com]",
            status_parents=[GW],
        ),
        ["app.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "accepted-by-two-gateways-merges-addresses",
        gw(HTTP)
        + gw(HTTP, name="gw2", addresses="[{value: '2001:db8::2'}, {value: 203.0.113.2}]")
        + route("HTTPRoute", [GW, "{name: gw2}"], "[app.example.com]"),
        [
            "app.example.com. 300 A 203.0.113.1, 203.0.113.2",
            "app.example.com. 300 AAAA 2001:db8::2",
        ],
        [],
    ),
    Case(
        "each-spec-hostname-gets-the-gateways-whose-listener-allows-it",
        gw("[{name: a, port: 80, protocol: HTTP, hostname: a.example.com}]")
        + gw(
            "[{name: b, port: 80, protocol: HTTP, hostname: b.example.com}]",
            name="gw2",
            addresses="[{value: 203.0.113.2}]",
        )
        + route("HTTPRoute", [GW, "{name: gw2}"], "[a.example.com, b.example.com]"),
        ["a.example.com. 300 A 203.0.113.1", "b.example.com. 300 A 203.0.113.2"],
        [],
    ),
    Case(
        "section-name-selects-the-listener",
        gw(
            "[{name: a, port: 80, protocol: HTTP, hostname: a.example.com},"
            " {name: b, port: 80, protocol: HTTP, hostname: b.example.com}]"
        )
        + route("HTTPRoute", ["{name: gw, sectionName: a}"], "[a.example.com, b.example.com]"),
        ["a.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "section-name-of-no-listener",
        gw(HTTP_WILD) + route("HTTPRoute", ["{name: gw, sectionName: nope}"], "[app.example.com]"),
        [],
        [("httproute/infra/app", "spec.parentRefs", "NoMatchingListener")],
    ),
    Case(
        "parent-ref-port-selects-the-listener",
        gw(
            "[{name: a, port: 80, protocol: HTTP, hostname: a.example.com},"
            " {name: b, port: 8080, protocol: HTTP, hostname: b.example.com}]"
        )
        + route("HTTPRoute", ["{name: gw, port: 8080}"], "[a.example.com, b.example.com]"),
        ["b.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "parent-ref-port-of-no-listener",
        gw(HTTP_WILD) + route("HTTPRoute", ["{name: gw, port: 443}"], "[app.example.com]"),
        [],
        [("httproute/infra/app", "spec.parentRefs", "NoMatchingListener")],
    ),
    Case(
        "httproute-on-https-listener",
        gw("[{name: https, port: 443, protocol: HTTPS}]")
        + route("HTTPRoute", [GW], "[app.example.com]"),
        ["app.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "httproute-ignores-tcp-listeners",
        gw("[{name: tcp, port: 80, protocol: TCP}]")
        + route("HTTPRoute", [GW], "[app.example.com]"),
        [],
        [("httproute/infra/app", "spec.parentRefs", "NoMatchingListener")],
    ),
    Case(
        "tlsroute-only-on-tls-listeners",
        gw(
            "[{name: https, port: 443, protocol: HTTPS, hostname: a.example.com},"
            " {name: tls, port: 8443, protocol: TLS, hostname: b.example.com}]"
        )
        + route("TLSRoute", [GW], "[a.example.com, b.example.com]"),
        ["b.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "tcproute-on-tcp-and-tls-listeners-not-udp-or-http",
        gw(
            "[{name: ldap, port: 389, protocol: TCP}, {name: ldaps, port: 636, protocol: TLS},"
            " {name: dns, port: 53, protocol: UDP}, {name: web, port: 80, protocol: HTTP}]"
        )
        + route(
            "TCPRoute",
            [GW],
            annotations="{dnssync.io/hostname: ldap.example.com,"
            " dnssync.io/srv-domain: example.com}",
        ),
        [
            "_ldap._tcp.example.com. 300 SRV 0 100 389 ldap.example.com.",
            "_ldaps._tcp.example.com. 300 SRV 0 100 636 ldap.example.com.",
            "ldap.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "udproute-only-on-udp-listeners",
        gw(KDC_LISTENERS) + route("UDPRoute", [GW], annotations=KDC_ANNOTATIONS),
        [
            "_kerberos-udp._udp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "tcp-and-udp-routes-srv-with-listener-name-and-port",
        gw("[{name: kerberos, port: 88, protocol: TCP}, {name: kdc-udp, port: 750, protocol: UDP}]")
        + route("TCPRoute", [GW], name="kdc-tcp", annotations=KDC_ANNOTATIONS)
        + route("UDPRoute", [GW], name="kdc-udp", annotations=KDC_ANNOTATIONS),
        [
            "_kdc-udp._udp.example.com. 300 SRV 0 100 750 kdc.example.com.",
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "srv-service-maps-listener-names",
        gw(KDC_LISTENERS)
        + route(
            "TCPRoute",
            ["{name: gw, sectionName: kerberos-tcp}"],
            name="kdc-tcp",
            annotations="{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain:"
            " example.com, dnssync.io/srv-service: 'kerberos-tcp=kerberos'}",
        )
        + route(
            "UDPRoute",
            ["{name: gw, sectionName: kerberos-udp}"],
            name="kdc-udp",
            annotations="{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain:"
            " example.com, dnssync.io/srv-service: 'kerberos-udp=kerberos'}",
        ),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "tcproute-on-aws-gateway-srv-targets-the-lb-name",
        gw(KDC_LISTENERS, addresses="[{type: Hostname, value: gw.elb.amazonaws.com}]")
        + route("TCPRoute", [GW], annotations=KDC_ANNOTATIONS),
        [
            "_kerberos-tcp._tcp.example.com. 300 SRV 0 100 88 gw.elb.amazonaws.com.",
            "kdc.example.com. 300 CNAME gw.elb.amazonaws.com.",
        ],
        [],
    ),
    Case(
        "tcproute-ips-without-hostname-no-srv",
        gw(KDC_LISTENERS)
        + route("TCPRoute", [GW], annotations="{dnssync.io/srv-domain: example.com}"),
        [],
        [("tcproute/infra/app", SRV_DOMAIN, "NoSrvTarget")],
    ),
    Case(
        "tcproute-ignores-listener-hostname",
        gw("[{name: ldap, port: 389, protocol: TCP, hostname: ldap.example.com}]")
        + route("TCPRoute", [GW]),
        [],
        [],
    ),
    Case(
        "httproute-srv-domain-is-not-read",
        gw(HTTP_WILD)
        + route(
            "HTTPRoute",
            [GW],
            "[app.example.com]",
            annotations="{dnssync.io/srv-domain: example.com}",
        ),
        ["app.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "tlsroute-srv-and-spec-hostname",
        gw("[{name: ldaps, port: 636, protocol: TLS, hostname: '*.example.com'}]")
        + route(
            "TLSRoute",
            [GW],
            "[ldap.example.com]",
            annotations="{dnssync.io/srv-domain: example.com}",
        ),
        [
            "_ldaps._tcp.example.com. 300 SRV 0 100 636 ldap.example.com.",
            "ldap.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "wildcard-listener-filters-spec-hostnames",
        gw(HTTP_WILD)
        + route(
            "HTTPRoute",
            [GW],
            "[app.example.com, deep.app.example.com, app.example.org, example.com]",
        ),
        [
            "app.example.com. 300 A 203.0.113.1",
            "deep.app.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "wildcard-route-hostname-takes-the-listener-name",
        gw("[{name: http, port: 80, protocol: HTTP, hostname: app.example.com}]")
        + route("HTTPRoute", [GW], "['*.example.com']"),
        ["app.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "route-without-hostnames-takes-the-listener-hostname",
        gw("[{name: http, port: 80, protocol: HTTP, hostname: app.example.com}]")
        + route("HTTPRoute", [GW]),
        ["app.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "route-and-listener-without-hostnames-give-nothing",
        gw(HTTP) + route("HTTPRoute", [GW]),
        [],
        [],
    ),
    Case(
        "listener-hostname-mismatch-gives-nothing",
        gw("[{name: http, port: 80, protocol: HTTP, hostname: web.example.com}]")
        + route("HTTPRoute", [GW], "[app.example.com]"),
        [],
        [("httproute/infra/app", "spec.hostnames", "HostnameNotAllowed")],
    ),
    Case(
        "wildcard-name-is-published",
        gw(HTTP) + route("HTTPRoute", [GW], "['*.example.com']"),
        ["*.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "wildcard-listener-and-no-route-hostnames-publish-the-wildcard",
        gw(HTTP_WILD) + route("HTTPRoute", [GW]),
        ["*.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "wildcard-tcproute-srv-targets-no-wildcard",
        gw("[{name: kdc, port: 88, protocol: TCP}]")
        + route(
            "TCPRoute",
            [GW],
            annotations="{dnssync.io/hostname: '*.kdc.example.com', "
            "dnssync.io/srv-domain: example.com}",
        ),
        ["*.kdc.example.com. 300 A 203.0.113.1"],
        [("tcproute/infra/app", "metadata.annotations[dnssync.io/srv-domain]", "NoSrvTarget")],
    ),
    Case(
        "star-inside-a-name-is-refused",
        gw(HTTP) + route("HTTPRoute", [GW], "['a*.example.com']"),
        [],
        [("httproute/infra/app", "spec.hostnames", "InvalidInput")],
    ),
    Case(
        "route-hostname-annotation-adds-names",
        gw(HTTP_WILD)
        + route(
            "HTTPRoute",
            [GW],
            "[app.example.com]",
            annotations="{dnssync.io/hostname: 'extra.example.org, app.example.com'}",
        ),
        ["app.example.com. 300 A 203.0.113.1", "extra.example.org. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "allowed-routes-default-same-namespace",
        gw(HTTP_WILD)
        + route(
            "HTTPRoute", ["{name: gw, namespace: infra}"], "[app.example.com]", namespace="apps"
        ),
        [],
        [("httproute/apps/app", "spec.parentRefs", "NamespaceNotAllowed")],
    ),
    Case(
        "allowed-routes-all",
        gw("[{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]")
        + route(
            "HTTPRoute", ["{name: gw, namespace: infra}"], "[app.example.com]", namespace="apps"
        ),
        ["app.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "allowed-routes-selector-matches",
        gw(
            "[{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector,"
            " selector: {matchLabels: {expose: 'yes'}}}}}]"
        )
        + ns("apps", "{expose: 'yes'}")
        + ns("dev", "{expose: 'no'}")
        + route(
            "HTTPRoute", ["{name: gw, namespace: infra}"], "[app.example.com]", namespace="apps"
        )
        + route(
            "HTTPRoute",
            ["{name: gw, namespace: infra}"],
            "[dev.example.com]",
            namespace="dev",
            name="dev",
        ),
        ["app.example.com. 300 A 203.0.113.1"],
        [("httproute/dev/dev", "spec.parentRefs", "NamespaceNotAllowed")],
    ),
    Case(
        "allowed-routes-selector-expressions",
        gw(
            "[{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector,"
            " selector: {matchExpressions: [{key: env, operator: In, values: [prod, staging]}]}}}}]"
        )
        + ns("apps", "{env: prod}")
        + ns("dev", "{env: dev}")
        + route(
            "HTTPRoute", ["{name: gw, namespace: infra}"], "[app.example.com]", namespace="apps"
        )
        + route(
            "HTTPRoute",
            ["{name: gw, namespace: infra}"],
            "[dev.example.com]",
            namespace="dev",
            name="dev",
        ),
        ["app.example.com. 300 A 203.0.113.1"],
        [("httproute/dev/dev", "spec.parentRefs", "NamespaceNotAllowed")],
    ),
    Case(
        "allowed-routes-selector-unknown-namespace",
        gw(
            "[{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector,"
            " selector: {matchLabels: {expose: 'yes'}}}}}]"
        )
        + route(
            "HTTPRoute", ["{name: gw, namespace: infra}"], "[app.example.com]", namespace="apps"
        ),
        [],
        [("httproute/apps/app", "spec.parentRefs", "NamespaceNotAllowed")],
    ),
    Case(
        "allowed-routes-kinds",
        gw(
            "[{name: tcp, port: 389, protocol: TCP, allowedRoutes: {kinds: [{kind: TLSRoute}]}},"
            " {name: tcp2, port: 3389, protocol: TCP}]"
        )
        + route(
            "TCPRoute",
            [GW],
            annotations="{dnssync.io/hostname: ldap.example.com,"
            " dnssync.io/srv-domain: example.com}",
        ),
        [
            "_tcp2._tcp.example.com. 300 SRV 0 100 3389 ldap.example.com.",
            "ldap.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "gateway-target-flows-to-routes",
        gw(HTTP_WILD, annotations="{dnssync.io/target: '198.51.100.9'}")
        + route("HTTPRoute", [GW], "[app.example.com]"),
        ["app.example.com. 300 A 198.51.100.9"],
        [],
    ),
    Case(
        "gateway-target-hostname-flows-to-routes",
        gw(KDC_LISTENERS, annotations="{external-dns.kubernetes.io/target: edge.example.net}")
        + route("UDPRoute", [GW], annotations=KDC_ANNOTATIONS),
        [
            "_kerberos-udp._udp.example.com. 300 SRV 0 100 88 edge.example.net.",
            "kdc.example.com. 300 CNAME edge.example.net.",
        ],
        [],
    ),
    Case(
        "route-target-overrides-gateway",
        gw(HTTP_WILD, annotations="{dnssync.io/target: '198.51.100.9'}")
        + route(
            "HTTPRoute",
            [GW],
            "[app.example.com]",
            annotations="{dnssync.io/target: '198.51.100.10'}",
        ),
        ["app.example.com. 300 A 198.51.100.10"],
        [],
    ),
    Case(
        "gateway-hostname-annotation",
        gw(
            HTTP,
            addresses="[{type: IPAddress, value: 203.0.113.1},"
            " {type: IPAddress, value: '2001:db8::1'}]",
            annotations="{dnssync.io/hostname: gw.example.com, dnssync.io/ttl: 2m}",
        ),
        ["gw.example.com. 120 A 203.0.113.1", "gw.example.com. 120 AAAA 2001:db8::1"],
        [],
    ),
    Case(
        "gateway-hostname-address-is-a-cname",
        gw(
            HTTP,
            addresses="[{type: Hostname, value: gw.elb.amazonaws.com}]",
            annotations="{dnssync.io/hostname: gw.example.com, dnssync.io/srv-domain: example.com}",
        ),
        ["gw.example.com. 300 CNAME gw.elb.amazonaws.com."],
        [],
    ),
    Case(
        "route-ttl-annotation",
        gw(HTTP_WILD)
        + route("HTTPRoute", [GW], "[app.example.com]", annotations="{dnssync.io/ttl: '45'}"),
        ["app.example.com. 45 A 203.0.113.1"],
        [],
    ),
    Case(
        "route-controller-other-is-ignored",
        gw(HTTP_WILD)
        + route(
            "HTTPRoute",
            [GW],
            "[app.example.com]",
            annotations="{external-dns.kubernetes.io/controller: other}",
        ),
        [],
        [],
    ),
    Case(
        "two-routes-on-one-gateway-share-a-name",
        gw(HTTP_WILD)
        + route("HTTPRoute", [GW], "[app.example.com]", name="a")
        + route("HTTPRoute", [GW], "[app.example.com]", name="b"),
        ["app.example.com. 300 A 203.0.113.1"],
        [],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gateway_rules(case: Case) -> None:
    snapshot = snapshot_of(case.manifest)
    assert not snapshot.diagnostics, [str(d) for d in snapshot.diagnostics]
    result = desired_records(snapshot.objects, RuleSettings())
    assert desired_lines(result) == sorted(case.records)
    assert problems(result.diagnostics) == sorted(case.warnings)


def test_route_records_name_the_route_as_owner() -> None:
    snapshot = snapshot_of(gw(HTTP_WILD) + route("HTTPRoute", [GW], "[app.example.com]"))
    result = desired_records(snapshot.objects, RuleSettings())
    (record,) = result.records.values()
    assert str(record.owner) == "httproute/infra/app"
    assert [c.field for c in record.contributors] == ["spec.hostnames"]
