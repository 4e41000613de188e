"""Addresses from status fields and the target annotation, parsed strictly (issue 13)."""

from __future__ import annotations

import ipaddress

import pytest

from dnssync.model.names import DomainName
from dnssync.sources.addresses import parse_hostname_target, parse_ip
from dnssync.testing.scenarios import plan_of, snapshot_of


@pytest.mark.parametrize(
    ("text", "address"),
    [("192.0.2.1", "192.0.2.1"), ("2001:DB8::1", "2001:db8::1"), ("::ffff:192.0.2.1", None)],
)
def test_ips(text: str, address: str | None) -> None:
    assert parse_ip(text) == ipaddress.ip_address(address or text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("fe80::1%eth0", "zone id"),
        ("fe80::1%", "zone id"),
        (" 192.0.2.1", "not an IP address"),
        ("\uff11\uff19\uff12.0.2.1", "not an IP address"),
        ("010.0.0.1", "not an IP address"),
        ("127.1", "not an IP address"),
        ("", "not an IP address"),
    ],
)
def test_not_ips(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_ip(text)


@pytest.mark.parametrize(
    "text", ["lb.example.net", "a1b2.elb.amazonaws.com.", "x-0x7f.example.com", "0x7f.example"]
)
def test_hostname_targets(text: str) -> None:
    assert parse_hostname_target(text) == DomainName.parse(text)


@pytest.mark.parametrize(
    "text",
    ["127.1", "010.000.000.001", "3405803777", "0x7f.1", "0X7F.0.0.1", "lb.example.42", "a..b"],
)
def test_not_hostname_targets(text: str) -> None:
    with pytest.raises(ValueError):
        parse_hostname_target(text)


def service(ingress: str, name: str = "x", hostname: str = "x.example.com") -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: ns, annotations: {{dnssync.io/hostname: {hostname}}}}}
spec: {{type: LoadBalancer, ports: [{{name: https, port: 443}}]}}
status: {{loadBalancer: {{ingress: {ingress}}}}}
"""


GATEWAY = """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns, annotations: {dnssync.io/hostname: gw.example.com}}
spec: {listeners: [{name: http, port: 80, protocol: HTTP}]}
status: {addresses: [{value: 192.0.2.9}, {value: 'fe80::1%eth0'}]}
"""


@pytest.mark.parametrize(
    ("manifest", "field"),
    [
        (service("[{ip: 'fe80::1%eth0'}]"), "status.loadBalancer.ingress[0].ip"),
        (service("[{ip: 192.0.2.1}, {ip: 'fe80::1%25eth0'}]"), "status.loadBalancer.ingress[1].ip"),
        (GATEWAY, "status.addresses[1].value"),
    ],
)
def test_a_scoped_ipv6_in_status_is_refused_per_object(manifest: str, field: str) -> None:
    snapshot = snapshot_of(manifest)
    [problem] = snapshot.diagnostics
    assert problem.field == field
    assert "zone id" in problem.message
    # The object is unreadable: its records are kept, the others still planned.
    outcome = plan_of(manifest + service("[{ip: 192.0.2.7}]", "good", "good.example.com"))
    assert {c.name.text for c in outcome.plan.changes} == {"good.example.com", "a-good.example.com"}
