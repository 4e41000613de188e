"""ingress-nginx in the incremental desired state: a change of a ConfigMap, of the
controller Service or of a backend re-evaluates only the backends and reports exactly the
names whose records changed."""

from __future__ import annotations

import ipaddress

from dnssync.model.names import DomainName
from dnssync.model.refs import ObjectRef
from dnssync.rules.evaluate import key_of
from dnssync.rules.settings import RuleSettings
from dnssync.rules.state import Delta, DesiredState
from dnssync.sources.ingress_nginx import IngressNginxSettings, parse_stream_services
from dnssync.sources.objects import (
    Address,
    BackendServiceObject,
    Port,
    Protocol,
    ServiceObject,
    SourceObject,
    StreamServicesObject,
)
from dnssync.testing.scenarios import desired_lines

N = DomainName.parse
NS = "ingress-nginx"
SETTINGS = RuleSettings(
    ingress_nginx=IngressNginxSettings.parse(
        f"{NS}/controller", f"{NS}/tcp-services", f"{NS}/udp-services"
    )
)
TCP, UDP = Protocol.TCP, Protocol.UDP


def controller(ip: str, *ports: tuple[int, Protocol]) -> ServiceObject:
    return ServiceObject(
        ObjectRef("service", NS, "controller"),
        (),
        (),
        tuple(Port(p, proto) for p, proto in ports),
        (Address(ip=ipaddress.ip_address(ip)),),
    )


def configmap(name: str, **data: str) -> StreamServicesObject:
    return parse_stream_services(
        ObjectRef("configmap", NS, name), {k.removeprefix("p"): v for k, v in data.items()}
    )


def backend(
    namespace: str, name: str, host: str, *ports: tuple[str, int, Protocol]
) -> BackendServiceObject:
    return BackendServiceObject(
        ObjectRef("service", namespace, name),
        (("dnssync.io/hostname", host), ("dnssync.io/srv-domain", "example.com")),
        (),
        tuple(Port(p, proto, n) for n, p, proto in ports),
    )


def world() -> list[SourceObject]:
    return [
        controller("203.0.113.1", (53, TCP), (53, UDP), (5432, TCP)),
        configmap("tcp-services", p53="dns/coredns:53", p5432="db/pg:5432"),
        configmap("udp-services", p53="dns/coredns:dns"),
        backend("dns", "coredns", "ns1.example.com", ("dns", 53, UDP), ("dns-tcp", 53, TCP)),
        backend("db", "pg", "db.example.com", ("postgresql", 5432, TCP)),
        # Annotated but named by no entry: never published, never warned about.
        backend("web", "internal", "internal.example.com", ("http", 80, TCP)),
    ]


def put(state: DesiredState, *objects: SourceObject) -> Delta:
    return state.apply({key_of(obj): obj for obj in objects})


def test_the_full_build() -> None:
    state = DesiredState.build(world(), SETTINGS)
    assert desired_lines(state.result()) == [
        "_dns-tcp._tcp.example.com. 300 SRV 0 100 53 ns1.example.com.",
        "_dns._udp.example.com. 300 SRV 0 100 53 ns1.example.com.",
        "_postgresql._tcp.example.com. 300 SRV 0 100 5432 db.example.com.",
        "db.example.com. 300 A 203.0.113.1",
        "ns1.example.com. 300 A 203.0.113.1",
    ]
    assert state.diagnostics() == []


def test_a_configmap_edit_changes_exactly_its_names() -> None:
    state = DesiredState.build(world(), SETTINGS)
    delta = put(state, configmap("udp-services"))  # the UDP entry goes
    assert delta.names == {N("_dns._udp.example.com")}
    # The ConfigMap and the backends that read it (not the unrelated ones elsewhere).
    assert delta.evaluated == 1 + 3


def test_a_controller_status_change_moves_every_address_and_only_those() -> None:
    state = DesiredState.build(world(), SETTINGS)
    delta = put(state, controller("203.0.113.2", (53, TCP), (53, UDP), (5432, TCP)))
    assert delta.names == {N("ns1.example.com"), N("db.example.com")}


def test_a_port_closed_on_the_controller_drops_its_records_with_a_warning() -> None:
    state = DesiredState.build(world(), SETTINGS)
    delta = put(state, controller("203.0.113.1", (53, TCP), (53, UDP)))
    assert delta.names == {N("db.example.com"), N("_postgresql._tcp.example.com")}
    assert [(d.subject, d.reason) for d in state.diagnostics()] == [
        ("service/db/pg", "PortNotOnController")
    ]


def test_a_new_entry_picks_up_a_backend_that_was_not_exposed() -> None:
    state = DesiredState.build(world(), SETTINGS)
    opened = controller("203.0.113.1", (53, TCP), (53, UDP), (5432, TCP), (8080, TCP))
    put(state, opened)
    delta = put(
        state,
        configmap(
            "tcp-services", p53="dns/coredns:53", p5432="db/pg:5432", p8080="web/internal:http"
        ),
    )
    assert delta.names == {N("internal.example.com"), N("_http._tcp.example.com")}


def test_a_backend_edit_touches_only_its_names() -> None:
    state = DesiredState.build(world(), SETTINGS)
    delta = put(state, backend("db", "pg", "pg.example.com", ("postgresql", 5432, TCP)))
    assert delta.evaluated == 1
    assert delta.names == {
        N("db.example.com"),
        N("pg.example.com"),
        N("_postgresql._tcp.example.com"),
    }
