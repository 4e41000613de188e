"""Bad input never stops a plan: each problem names its object and field, the bad records
are skipped (what the object already owns is kept), and everything else is planned."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dnssync.testing.builders import ownership_txt, rrset
from dnssync.testing.scenarios import plan_of, problems, provider_with


def svc(name: str, annotations: str, ingress: str = "[{ip: 192.0.2.1}]") -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: ns, annotations: {annotations}}}
spec: {{type: LoadBalancer, ports: [{{name: kerberos, port: 88, protocol: UDP}}]}}
status: {{loadBalancer: {{ingress: {ingress}}}}}
"""


GOOD = svc("good", "{dnssync.io/hostname: good.example.com}", "[{ip: 192.0.2.100}]")
A = "metadata.annotations[dnssync.io/{}]"


@dataclass(frozen=True)
class Case:
    id: str
    manifest: str
    problems: list[tuple[str, str, str]]
    # Names (other than good.example.com) that get records, with their types.
    planned: list[str]


CASES = [
    Case(
        "bad-ttl-skips-the-object",
        svc("x", "{dnssync.io/hostname: x.example.com, dnssync.io/ttl: '-1'}"),
        [("service/ns/x", A.format("ttl"), "InvalidAnnotation")],
        [],
    ),
    Case(
        "external-dns-ttl-key-named-in-the-message",
        svc(
            "x",
            "{external-dns.alpha.kubernetes.io/hostname: x.example.com,"
            " external-dns.alpha.kubernetes.io/ttl: 1d}",
        ),
        [
            (
                "service/ns/x",
                "metadata.annotations[external-dns.alpha.kubernetes.io/ttl]",
                "InvalidAnnotation",
            )
        ],
        [],
    ),
    Case(
        "bad-target-skips-the-object",
        svc(
            "x",
            "{dnssync.io/hostname: x.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/target: '192.0.2.1, lb.example.net'}",
        ),
        [("service/ns/x", A.format("target"), "InvalidAnnotation")],
        [],
    ),
    Case(
        "bad-srv-priority-skips-the-srv-only",
        svc(
            "x",
            "{dnssync.io/hostname: x.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/srv-priority: '99999'}",
        ),
        [("service/ns/x", A.format("srv-priority"), "InvalidAnnotation")],
        ["x.example.com. A"],
    ),
    Case(
        "bad-srv-weight-skips-the-srv-only",
        svc(
            "x",
            "{dnssync.io/hostname: x.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/srv-weight: heavy}",
        ),
        [("service/ns/x", A.format("srv-weight"), "InvalidAnnotation")],
        ["x.example.com. A"],
    ),
    Case(
        "bad-srv-service-skips-the-srv-only",
        svc(
            "x",
            "{dnssync.io/hostname: x.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/srv-service: 'a=b=c'}",
        ),
        [("service/ns/x", A.format("srv-service"), "InvalidAnnotation")],
        ["x.example.com. A"],
    ),
    Case(
        "bad-hostname-skips-that-name",
        svc(
            "x",
            "{dnssync.io/hostname: 'x..example.com, y.example.com',"
            " dnssync.io/srv-domain: example.com}",
        ),
        [("service/ns/x", A.format("hostname"), "InvalidAnnotation")],
        ["_kerberos._udp.example.com. SRV", "y.example.com. A"],
    ),
    Case(
        "bad-srv-domain-skips-that-domain",
        svc(
            "x",
            "{dnssync.io/hostname: x.example.com,"
            " dnssync.io/srv-domain: 'bad domain, example.com'}",
        ),
        [("service/ns/x", A.format("srv-domain"), "InvalidAnnotation")],
        ["_kerberos._udp.example.com. SRV", "x.example.com. A"],
    ),
    Case(
        "hostname-outside-every-zone",
        svc("x", "{dnssync.io/hostname: 'x.example.org, x.example.com'}"),
        [("service/ns/x", A.format("hostname"), "OutsideZones")],
        ["x.example.com. A"],
    ),
    Case(
        "srv-domain-outside-every-zone",
        svc("x", "{dnssync.io/hostname: x.example.com, dnssync.io/srv-domain: example.org}"),
        [("service/ns/x", A.format("srv-domain"), "OutsideZones")],
        ["x.example.com. A"],
    ),
    Case(
        "invalid-lb-hostname",
        svc("x", "{dnssync.io/hostname: x.example.com}", "[{hostname: 'not valid!'}]"),
        [("service/ns/x", "status.loadBalancer.ingress", "InvalidInput")],
        [],
    ),
    Case(
        "gateway-bad-target-skips-the-gateway-and-its-routes",
        """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns, annotations: {dnssync.io/target: 'nope nope',
           dnssync.io/hostname: gw.example.com}}
spec: {listeners: [{name: http, port: 80, protocol: HTTP}]}
status: {addresses: [{value: 192.0.2.9}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: ns}
spec: {hostnames: [app.example.com], parentRefs: [{name: gw}]}
status:
  parents: [{parentRef: {name: gw}, conditions: [{type: Accepted, status: "True"}]}]
""",
        [("gateway/ns/gw", A.format("target"), "InvalidAnnotation")],
        [],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case) -> None:
    outcome = plan_of(GOOD + case.manifest)
    assert problems(outcome.diagnostics) == sorted(case.problems)
    for diagnostic in outcome.diagnostics:
        assert str(diagnostic).startswith(f"{diagnostic.subject}: {diagnostic.field}: ")
    planned = sorted(
        f"{c.name.fqdn} {c.rtype.value}" for c in outcome.plan.changes if c.rtype.value != "TXT"
    )
    assert planned == sorted(["good.example.com. A", *case.planned])
    assert not outcome.unsafe


@pytest.mark.parametrize("case", CASES[:3] + CASES[-1:], ids=lambda c: c.id)
def test_records_of_a_skipped_object_are_kept(case: Case) -> None:
    ref = case.problems[0][0]
    name = "x.example.com"
    if not ref.startswith("service"):  # the route on the gateway with a bad target
        ref, name = "httproute/ns/app", "app.example.com"
    provider = provider_with(
        existing=[rrset(name, "A", "192.0.2.50"), ownership_txt(name, "A", ref, "default")]
    )
    outcome = plan_of(GOOD + case.manifest, provider=provider)
    assert all(c.name.text not in (name, f"a-{name}") for c in outcome.plan.changes)
