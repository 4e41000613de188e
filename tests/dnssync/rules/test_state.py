"""The incremental desired state: what an event re-evaluates and what it reports changed."""

from __future__ import annotations

from dnssync.model.names import DomainName
from dnssync.rules.evaluate import key_of
from dnssync.rules.settings import RuleSettings
from dnssync.rules.state import DesiredState
from dnssync.sources.objects import SourceObject
from dnssync.testing.scenarios import desired_lines
from tests.dnssync.rules.builders import (
    FROM_PROD,
    gateway,
    httproute,
    namespace,
    service,
)

N = DomainName.parse


def state_of(*objects: SourceObject) -> DesiredState:
    return DesiredState.build(objects, RuleSettings())


def put(state: DesiredState, *objects: SourceObject):  # type: ignore[no-untyped-def]
    return state.apply({key_of(obj): obj for obj in objects})


def cluster() -> list[SourceObject]:
    """Two Gateways with two and one routes, an unrelated Service."""
    return [
        gateway("gw1", "infra", "203.0.113.1"),
        gateway("gw2", "infra", "203.0.113.2"),
        httproute("r1", "r1.example.com", ("infra", "gw1")),
        httproute("r2", "r2.example.com", ("infra", "gw1")),
        httproute("r3", "r3.example.com", ("infra", "gw2")),
        service("web", "web.example.com", "192.0.2.1"),
    ]


def test_a_full_build_evaluates_every_object_but_namespaces() -> None:
    state = DesiredState(RuleSettings())
    delta = state.load([*cluster(), namespace("apps")])
    assert delta.evaluated == 6 == state.evaluations
    assert delta.names == {N(f"r{i}.example.com") for i in (1, 2, 3)} | {N("web.example.com")}


def test_one_service_event_evaluates_one_object_and_one_name() -> None:
    state = state_of(*cluster())
    delta = put(state, service("web", "web.example.com", "192.0.2.9"))
    assert delta.evaluated == 1
    assert delta.names == {N("web.example.com")}
    assert delta.objects == {("service", "apps", "web")}
    assert state.records_at(delta.names).popitem()[1].rrset.value_texts() == ["192.0.2.9"]


def test_an_unchanged_object_evaluates_nothing() -> None:
    state = state_of(*cluster())
    delta = put(state, service("web", "web.example.com", "192.0.2.1"))
    assert (delta.evaluated, delta.names, delta.objects) == (0, frozenset(), frozenset())


def test_a_gateway_event_evaluates_the_gateway_and_its_routes_only() -> None:
    state = state_of(*cluster())
    delta = put(state, gateway("gw1", "infra", "203.0.113.9"))
    assert delta.evaluated == 1 + 2  # gw1, r1, r2 (not r3, not the Service)
    assert delta.names == {N("r1.example.com"), N("r2.example.com")}
    assert "r1.example.com. 300 A 203.0.113.9" in desired_lines(state.result())


def test_deleting_a_gateway_takes_its_routes_records_away() -> None:
    state = state_of(*cluster())
    delta = state.apply({("gateway", "infra", "gw1"): None})
    assert delta.evaluated == 2  # its routes; the Gateway itself is gone
    assert delta.names == {N("r1.example.com"), N("r2.example.com")}
    assert desired_lines(state.result()) == [
        "r3.example.com. 300 A 203.0.113.2",
        "web.example.com. 300 A 192.0.2.1",
    ]
    # And back: the routes, still waiting for gw1, attach again.
    delta = put(state, gateway("gw1", "infra", "203.0.113.1"))
    assert delta.evaluated == 3
    assert state.result() == state_of(*cluster()).result()


def test_a_route_moving_to_another_gateway_follows_it() -> None:
    state = state_of(*cluster())
    put(state, httproute("r1", "r1.example.com", ("infra", "gw2")))
    delta = put(state, gateway("gw1", "infra", "203.0.113.7"))
    assert delta.evaluated == 2  # gw1 and r2: r1 no longer reads gw1
    delta = put(state, gateway("gw2", "infra", "203.0.113.8"))
    assert delta.evaluated == 3  # gw2, r1 and r3


def test_namespace_labels_matter_only_to_routes_under_a_selecting_listener() -> None:
    selecting = gateway("gw1", "infra", "203.0.113.1", listeners=(FROM_PROD,))
    objects = [*cluster(), namespace("apps")]
    state = state_of(*objects)
    delta = put(state, namespace("apps", env="prod"))
    assert delta.evaluated == 0  # no listener selects namespaces yet

    state = state_of(*cluster()[1:], selecting, namespace("apps"))
    assert "r1.example.com. 300 A 203.0.113.1" not in desired_lines(state.result())
    delta = put(state, namespace("apps", env="prod"))
    assert delta.evaluated == 2  # r1 and r2 (on gw1); r3's gw2 takes all namespaces
    assert delta.names == {N("r1.example.com"), N("r2.example.com")}
    assert "r1.example.com. 300 A 203.0.113.1" in desired_lines(state.result())
    delta = put(state, namespace("infra", env="prod"))
    assert delta.evaluated == 0  # no route of gw1 lives there


def test_an_srv_whose_target_becomes_refused_is_merged_again() -> None:
    kdc = service("kdc", "kdc.example.com", "192.0.2.1", srv_domain="example.com")
    state = state_of(kdc)
    assert "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc.example.com." in desired_lines(
        state.result()
    )
    # Another object makes kdc.example.com a CNAME conflict: the SRV must go too.
    clash = service("lb", "kdc.example.com", "lb.example.net")
    delta = put(state, clash)
    assert delta.evaluated == 1
    assert delta.names == {N("kdc.example.com"), N("_kerberos._tcp.example.com")}
    assert desired_lines(state.result()) == []
    assert {d.reason for d in state.diagnostics()} == {"CnameConflict", "SrvTargetConflict"}
    # And back when the conflict goes.
    delta = state.apply({key_of(clash): None})
    assert delta.names == {N("kdc.example.com"), N("_kerberos._tcp.example.com")}
    assert state.result() == state_of(kdc).result()
    assert state.diagnostics() == []


def test_a_bad_annotation_keeps_the_object_and_reports_it() -> None:
    state = state_of(*cluster())
    bad = service("web", "web.example.com", "192.0.2.1", annotations={"dnssync.io/ttl": "soon"})
    delta = put(state, bad)
    assert delta.diagnostics_changed
    assert state.keep == {"service/apps/web"}
    assert delta.names == {N("web.example.com")}  # its record is no longer desired...
    assert [d.reason for d in state.diagnostics()] == ["InvalidAnnotation"]
    delta = put(state, service("web", "web.example.com", "192.0.2.1"))
    assert state.keep == set() and state.diagnostics() == []
    assert delta.names == {N("web.example.com")}
