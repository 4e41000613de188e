"""Traefik routes in the incremental desired state: a change of a Traefik Service or of a
route re-evaluates only the Traefik routes and changes exactly the names they publish."""

from __future__ import annotations

from dnssync.model.names import DomainName
from dnssync.rules.evaluate import key_of
from dnssync.rules.settings import RuleSettings
from dnssync.rules.state import Delta, DesiredState
from dnssync.rules.traefik import TraefikSettings
from dnssync.sources.objects import SourceObject
from dnssync.testing.scenarios import desired_lines, snapshot_of
from tests.dnssync.rules.traefik_manifests import (
    KDC_TCP,
    KDC_UDP,
    service,
    tcp_route,
    udp_route,
    udp_service,
)

N = DomainName.parse
SETTINGS = RuleSettings(
    traefik=TraefikSettings((("traefik", "traefik"), ("traefik", "traefik-udp")))
)
WEB = """
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: apps, annotations: {dnssync.io/hostname: web.example.com}}
spec: {type: LoadBalancer, ports: [{name: http, port: 80}]}
status: {loadBalancer: {ingress: [{ip: 192.0.2.1}]}}
"""


def objects(*manifests: str) -> list[SourceObject]:
    snapshot = snapshot_of(*manifests)
    assert not snapshot.diagnostics, [str(d) for d in snapshot.diagnostics]
    return list(snapshot.objects)


def cluster() -> list[SourceObject]:
    return objects(
        service(),
        udp_service(),
        tcp_route(annotations=KDC_TCP),
        udp_route(annotations=KDC_UDP),
        WEB,
    )


def put(state: DesiredState, *manifests: str) -> Delta:
    return state.apply({key_of(o): o for o in objects(*manifests)})


def test_a_traefik_service_event_changes_exactly_its_routes_names() -> None:
    state = DesiredState.build(cluster(), SETTINGS)
    delta = put(state, udp_service(ingress="[{ip: 203.0.113.9}]"))
    # The Service and the two Traefik routes that read it; not the unrelated Service.
    assert delta.evaluated == 3
    assert delta.names == {N("kdc-udp.example.com")}
    assert delta.objects == {("ingressrouteudp", "apps", "kdc-udp")}
    assert "kdc-udp.example.com. 300 A 203.0.113.9" in desired_lines(state.result())


def test_a_traefik_service_gaining_a_hostname_moves_the_srv_target() -> None:
    state = DesiredState.build(cluster(), SETTINGS)
    delta = put(state, service(ingress="[{hostname: lb.example.net}]"))
    assert delta.names == {N("kdc-tcp.example.com"), N("_kerberos._tcp.example.com")}
    lines = desired_lines(state.result())
    assert "_kerberos._tcp.example.com. 300 SRV 0 100 88 lb.example.net." in lines
    assert "kdc-tcp.example.com. 300 CNAME lb.example.net." in lines


def test_an_unrelated_service_event_evaluates_only_itself() -> None:
    state = DesiredState.build(cluster(), SETTINGS)
    delta = put(state, WEB.replace("192.0.2.1", "192.0.2.2"))
    assert delta.evaluated == 1
    assert delta.names == {N("web.example.com")}


def test_a_traefik_service_created_late_publishes_the_waiting_routes() -> None:
    state = DesiredState.build(
        objects(tcp_route(annotations=KDC_TCP), udp_route(annotations=KDC_UDP)), SETTINGS
    )
    assert desired_lines(state.result()) == []
    delta = put(state, udp_service())
    assert delta.names == {N("kdc-udp.example.com"), N("_kerberos._udp.example.com")}
    delta = state.apply({("service", "traefik", "traefik-udp"): None})
    assert delta.names == {N("kdc-udp.example.com"), N("_kerberos._udp.example.com")}
    assert desired_lines(state.result()) == []


def test_a_route_event_evaluates_only_the_route() -> None:
    state = DesiredState.build(cluster(), SETTINGS)
    delta = put(state, tcp_route("[websecure]", annotations=KDC_TCP))
    assert delta.evaluated == 1
    assert delta.names == {N("_kerberos._tcp.example.com"), N("_websecure._tcp.example.com")}
    assert (
        state.result()
        == DesiredState.build(
            [
                *cluster()[:2],
                *objects(tcp_route("[websecure]", annotations=KDC_TCP)),
                *cluster()[3:],
            ],
            SETTINGS,
        ).result()
    )
