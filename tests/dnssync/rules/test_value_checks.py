"""Values the rules refuse instead of publishing something wrong (issue 13)."""

from __future__ import annotations

import pytest

from dnssync.testing.scenarios import change_lines, desired_of, plan_of, problems


def svc(name: str, annotations: str, ingress: str = "[{ip: 192.0.2.1}]", ns: str = "ns") -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata: {{name: '{name}', namespace: '{ns}', annotations: {annotations}}}
spec: {{type: LoadBalancer, ports: [{{name: kerberos, port: 88, protocol: UDP}}]}}
status: {{loadBalancer: {{ingress: {ingress}}}}}
"""


def test_an_srv_never_targets_a_cname_we_publish() -> None:
    result = desired_of(
        svc("lb", "{dnssync.io/hostname: alias.example.com, dnssync.io/target: lb.example.net}"),
        svc(
            "y",
            "{dnssync.io/hostname: y.example.com, dnssync.io/target: alias.example.com,"
            " dnssync.io/srv-domain: example.com}",
        ),
    )
    assert sorted(str(k) for k in result.records) == [
        "alias.example.com. CNAME",
        "y.example.com. CNAME",
    ]
    assert problems(result.diagnostics) == [
        ("service/ns/y", "metadata.annotations[dnssync.io/srv-domain]", "SrvTargetIsAlias")
    ]
    assert "RFC 2782" in result.diagnostics[0].message


def test_a_gateway_target_equal_to_a_route_hostname_is_no_self_cname() -> None:
    result = desired_of(
        """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns, annotations: {dnssync.io/target: app.example.com}}
spec: {listeners: [{name: http, port: 80, protocol: HTTP}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: ns}
spec: {hostnames: [app.example.com, other.example.com], parentRefs: [{name: gw}]}
status:
  parents: [{parentRef: {name: gw}, conditions: [{type: Accepted, status: "True"}]}]
"""
    )
    assert sorted(str(k) for k in result.records) == ["other.example.com. CNAME"]
    assert [d.reason for d in result.diagnostics] == ["CnameToItself"]
    assert "CNAME to itself" in result.diagnostics[0].message


@pytest.mark.parametrize(
    ("name", "ns", "field"),
    [
        ("x,external-dns/owner=other", "ns", "metadata.name"),
        ("x=y", "ns", "metadata.name"),
        ('x\\"', "ns", "metadata.name"),
        ("x y", "ns", "metadata.name"),
        ("a/b", "ns", "metadata.name"),
        ("x", "n/s", "metadata.namespace"),
        ("x\\x1b[2J", "ns", "metadata.name"),
    ],
)
def test_a_name_the_ownership_txt_cannot_carry_is_refused(name: str, ns: str, field: str) -> None:
    manifest = svc(name, "{dnssync.io/hostname: x.example.com}", ns=ns).replace(
        f"name: '{name}'", f'name: "{name}"'
    )
    outcome = plan_of(manifest)
    [problem] = outcome.diagnostics
    assert (problem.field, problem.reason) == (field, "UnrecordableName")
    assert "cannot be recorded in an ownership TXT record" in problem.message
    assert change_lines(outcome.plan) == []
