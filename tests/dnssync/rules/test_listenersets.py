"""Design section 3b for Gateway API ListenerSets: one table of manifests and exact records."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.testing.scenarios import desired_lines, problems, snapshot_of
from tests.dnssync.rules.test_gateways import ns, route

KDC = "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com}"
PARENTS = "spec.parentRefs"


def gateway(
    allowed: str | None = "{namespaces: {from: All}}",
    listeners: str = "[{name: web, port: 80, protocol: HTTP}]",
    addresses: str = "[{type: IPAddress, value: 203.0.113.1}]",
    annotations: str = "{}",
    namespace: str = "infra",
) -> str:
    allowed_line = f"  allowedListeners: {allowed}\n" if allowed is not None else ""
    return f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: gw, namespace: {namespace}, annotations: {annotations}}}
spec:
  gatewayClassName: example
{allowed_line}  listeners: {listeners}
status:
  addresses: {addresses}
"""


def accepted(*names: str, conflicted: tuple[str, ...] = ()) -> str:
    """status.listeners with each listener Accepted (and Conflicted when named so)."""
    entries = []
    for name in names:
        conditions = "{type: Accepted, status: 'True'}"
        if name in conflicted:
            conditions = "{type: Accepted, status: 'False'}, {type: Conflicted, status: 'True'}"
        entries.append(f"{{name: {name}, attachedRoutes: 0, conditions: [{conditions}]}}")
    return f"[{', '.join(entries)}]"


def listener_set(
    listeners: str = "[{name: kdc-tcp, port: 88, protocol: TCP},"
    " {name: kdc-udp, port: 88, protocol: UDP}]",
    status_listeners: str | None = None,
    name: str = "ls",
    namespace: str = "apps",
    parent: str = "{name: gw, namespace: infra}",
    is_accepted: str = "'True'",
    annotations: str = "{}",
) -> str:
    if status_listeners is None:
        status_listeners = accepted("kdc-tcp", "kdc-udp")
    return f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {{name: {name}, namespace: {namespace}, annotations: {annotations}}}
spec:
  parentRef: {parent}
  listeners: {listeners}
status:
  conditions: [{{type: Accepted, status: {is_accepted}}}, {{type: Programmed, status: 'True'}}]
  listeners: {status_listeners}
"""


LS = "{kind: ListenerSet, name: ls}"
LS_TCP = "{kind: ListenerSet, name: ls, sectionName: kdc-tcp}"
LS_UDP = "{kind: ListenerSet, name: ls, sectionName: kdc-udp}"
KDC_RECORDS = [
    "_kdc-tcp._tcp.example.com. 300 SRV 0 100 88 kdc.example.com.",
    "kdc.example.com. 300 A 203.0.113.1",
]


@dataclass(frozen=True)
class Case:
    id: str
    manifest: str
    records: list[str]
    warnings: list[tuple[str, str, str]]


CASES = [
    Case(
        # ExternalDNS #6557: a TCPRoute under a ListenerSet gets no records there.
        "tcproute-under-listenerset-gets-address-and-srv",
        gateway() + listener_set() + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC),
        KDC_RECORDS,
        [],
    ),
    Case(
        "udproute-under-listenerset-gets-srv",
        gateway() + listener_set() + route("UDPRoute", [LS], namespace="apps", annotations=KDC),
        [
            "_kdc-udp._udp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "allowed-listeners-default-none",
        gateway(allowed=None)
        + listener_set()
        + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC),
        [],
        [("tcproute/apps/app", PARENTS, "ListenerSetNotAllowed")],
    ),
    Case(
        "allowed-listeners-none",
        gateway(allowed="{namespaces: {from: None}}")
        + listener_set()
        + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC),
        [],
        [("tcproute/apps/app", PARENTS, "ListenerSetNotAllowed")],
    ),
    Case(
        "allowed-listeners-same-refuses-another-namespace",
        gateway(allowed="{namespaces: {from: Same}}")
        + listener_set()
        + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC),
        [],
        [("tcproute/apps/app", PARENTS, "ListenerSetNotAllowed")],
    ),
    Case(
        "allowed-listeners-same-admits-the-gateways-namespace",
        gateway(allowed="{namespaces: {from: Same}}")
        + listener_set(namespace="infra", parent="{name: gw}")
        + route("TCPRoute", [LS_TCP], namespace="infra", annotations=KDC),
        KDC_RECORDS,
        [],
    ),
    Case(
        "allowed-listeners-selector",
        gateway(allowed="{namespaces: {from: Selector, selector: {matchLabels: {gw: shared}}}}")
        + ns("apps", "{gw: shared}")
        + ns("dev", "{gw: private}")
        + listener_set()
        + listener_set(namespace="dev")
        + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC)
        + route(
            "TCPRoute",
            [LS_TCP],
            namespace="dev",
            annotations="{dnssync.io/hostname: dev.example.com}",
        ),
        KDC_RECORDS,
        [("tcproute/dev/app", PARENTS, "ListenerSetNotAllowed")],
    ),
    Case(
        "listenerset-not-accepted",
        gateway()
        + listener_set(is_accepted="'False'")
        + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC),
        [],
        [("tcproute/apps/app", PARENTS, "ListenerSetNotAccepted")],
    ),
    Case(
        "conflicted-listener-is-skipped",
        gateway()
        + listener_set(status_listeners=accepted("kdc-tcp", "kdc-udp", conflicted=("kdc-tcp",)))
        + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC),
        [],
        [("tcproute/apps/app", PARENTS, "ListenerConflicted")],
    ),
    Case(
        "conflicted-listener-others-still-attach",
        gateway()
        + listener_set(
            listeners="[{name: kdc-tcp, port: 88, protocol: TCP},"
            " {name: kdc-alt, port: 750, protocol: TCP}]",
            status_listeners=accepted("kdc-tcp", "kdc-alt", conflicted=("kdc-tcp",)),
        )
        + route("TCPRoute", [LS], namespace="apps", annotations=KDC),
        [
            "_kdc-alt._tcp.example.com. 300 SRV 0 100 750 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "listener-without-status-is-not-accepted",
        gateway()
        + listener_set(status_listeners="[]")
        + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC),
        [],
        [("tcproute/apps/app", PARENTS, "ListenerNotAccepted")],
    ),
    Case(
        "route-with-gateway-parent-never-uses-listenerset-listeners",
        gateway()
        + listener_set()
        + route(
            "TCPRoute",
            ["{name: gw, namespace: infra}"],
            namespace="apps",
            annotations=KDC,
        ),
        [],
        [("tcproute/apps/app", PARENTS, "NoMatchingListener")],
    ),
    Case(
        "same-listener-name-on-gateway-and-listenerset",
        gateway(
            listeners="[{name: kdc-tcp, port: 88, protocol: TCP,"
            " allowedRoutes: {namespaces: {from: All}}}]"
        )
        + listener_set(
            listeners="[{name: kdc-tcp, port: 750, protocol: TCP}]",
            status_listeners=accepted("kdc-tcp"),
        )
        + route("TCPRoute", [LS_TCP], namespace="apps", name="via-set", annotations=KDC)
        + route(
            "TCPRoute",
            ["{name: gw, namespace: infra, sectionName: kdc-tcp}"],
            namespace="apps",
            name="via-gateway",
            annotations=KDC,
        ),
        [
            "_kdc-tcp._tcp.example.com. 300 SRV 0 100 750 kdc.example.com., "
            "0 100 88 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "listenerset-allowed-routes-default-is-its-own-namespace",
        gateway()
        + listener_set()
        + route(
            "TCPRoute",
            ["{kind: ListenerSet, name: ls, namespace: apps, sectionName: kdc-tcp}"],
            namespace="infra",
            annotations=KDC,
        ),
        [],
        [("tcproute/infra/app", PARENTS, "NamespaceNotAllowed")],
    ),
    Case(
        "listenerset-allowed-routes-all",
        gateway()
        + listener_set(
            listeners="[{name: kdc-tcp, port: 88, protocol: TCP,"
            " allowedRoutes: {namespaces: {from: All}}}]",
            status_listeners=accepted("kdc-tcp"),
        )
        + route(
            "TCPRoute",
            ["{kind: ListenerSet, name: ls, namespace: apps, sectionName: kdc-tcp}"],
            namespace="infra",
            annotations=KDC,
        ),
        KDC_RECORDS,
        [],
    ),
    Case(
        "listenerset-allowed-kinds",
        gateway()
        + listener_set(
            listeners="[{name: kdc-tcp, port: 88, protocol: TCP,"
            " allowedRoutes: {kinds: [{kind: TLSRoute}]}}]",
            status_listeners=accepted("kdc-tcp"),
        )
        + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC),
        [],
        [("tcproute/apps/app", PARENTS, "KindNotAllowed")],
    ),
    Case(
        "listenerset-parent-gateway-missing",
        listener_set() + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC),
        [],
        [("tcproute/apps/app", PARENTS, "ParentNotFound")],
    ),
    Case(
        "listenerset-missing",
        gateway() + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC),
        [],
        [("tcproute/apps/app", PARENTS, "ParentNotFound")],
    ),
    Case(
        "listenerset-target-overrides-the-gateway",
        gateway(annotations="{dnssync.io/target: 198.51.100.1}")
        + listener_set(annotations="{dnssync.io/target: 198.51.100.2}")
        + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC),
        [
            "_kdc-tcp._tcp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "kdc.example.com. 300 A 198.51.100.2",
        ],
        [],
    ),
    Case(
        "gateway-target-flows-through-the-listenerset",
        gateway(annotations="{dnssync.io/target: 198.51.100.1}")
        + listener_set()
        + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC),
        [
            "_kdc-tcp._tcp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "kdc.example.com. 300 A 198.51.100.1",
        ],
        [],
    ),
    Case(
        "gateway-hostname-address-srv-targets-the-lb",
        gateway(addresses="[{type: Hostname, value: gw.elb.amazonaws.com}]")
        + listener_set()
        + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC),
        [
            "_kdc-tcp._tcp.example.com. 300 SRV 0 100 88 gw.elb.amazonaws.com.",
            "kdc.example.com. 300 CNAME gw.elb.amazonaws.com.",
        ],
        [],
    ),
    Case(
        "httproute-hostnames-filtered-by-listenerset-listener-hostname",
        gateway()
        + listener_set(
            listeners="[{name: web, port: 8080, protocol: HTTP, hostname: '*.apps.example.com'}]",
            status_listeners=accepted("web"),
        )
        + route(
            "HTTPRoute",
            ["{kind: ListenerSet, name: ls}"],
            "[shop.apps.example.com, shop.example.org]",
            namespace="apps",
        ),
        ["shop.apps.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "listenerset-hostname-annotation-publishes-gateway-addresses",
        gateway() + listener_set(annotations="{dnssync.io/hostname: tenant.example.com}"),
        ["tenant.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "listenerset-hostname-annotation-gateway-without-address",
        gateway(addresses="[]")
        + listener_set(annotations="{dnssync.io/hostname: tenant.example.com}"),
        [],
        [("listenerset/apps/ls", "spec.parentRef", "NoAddress")],
    ),
    Case(
        "listenerset-hostname-annotation-not-allowed",
        gateway(allowed=None)
        + listener_set(annotations="{dnssync.io/hostname: tenant.example.com}"),
        [],
        [("listenerset/apps/ls", "spec.parentRef", "ListenerSetNotAllowed")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_listenerset_rules(case: Case) -> None:
    snapshot = snapshot_of(case.manifest)
    assert not snapshot.diagnostics, [str(d) for d in snapshot.diagnostics]
    result = desired_records(snapshot.objects, RuleSettings())
    assert desired_lines(result) == sorted(case.records)
    assert problems(result.diagnostics) == sorted(case.warnings)


def test_listenerset_records_are_owned_by_the_route() -> None:
    snapshot = snapshot_of(
        gateway() + listener_set() + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC)
    )
    result = desired_records(snapshot.objects, RuleSettings())
    assert {str(r.owner) for r in result.records.values()} == {"tcproute/apps/app"}


def test_listenerset_own_hostname_is_owned_by_the_listenerset() -> None:
    snapshot = snapshot_of(
        gateway() + listener_set(annotations="{dnssync.io/hostname: tenant.example.com}")
    )
    result = desired_records(snapshot.objects, RuleSettings())
    assert {str(r.owner) for r in result.records.values()} == {"listenerset/apps/ls"}


def test_warning_names_the_gateway_setting_to_change() -> None:
    snapshot = snapshot_of(
        gateway(allowed=None)
        + listener_set()
        + route("TCPRoute", [LS_TCP], namespace="apps", annotations=KDC)
    )
    result = desired_records(snapshot.objects, RuleSettings())
    (warning,) = result.diagnostics
    assert str(warning) == (
        "tcproute/apps/app: spec.parentRefs: Gateway infra/gw does not allow ListenerSet "
        "apps/ls (its spec.allowedListeners.namespaces.from is None); set it on the Gateway "
        "to admit namespace apps"
    )
