"""Namespace, label-selector and annotation filters on sources (docs/sources/service.md)."""

from __future__ import annotations

import pytest

from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.sources.filters import ObjectFilter, parse_selector
from dnssync.sources.objects import LabelSelector
from dnssync.testing.scenarios import desired_lines, snapshot_of


@pytest.mark.parametrize(
    ("text", "selector"),
    [
        ("app=kdc", LabelSelector((("app", "kdc"),))),
        ("app==kdc, tier = edge", LabelSelector((("app", "kdc"), ("tier", "edge")))),
        ("app!=kdc", LabelSelector((), (("app", "NotIn", ("kdc",)),))),
        ("env in (prod, staging)", LabelSelector((), (("env", "In", ("prod", "staging")),))),
        ("env notin (dev)", LabelSelector((), (("env", "NotIn", ("dev",)),))),
        ("public", LabelSelector((), (("public", "Exists", ()),))),
        ("!internal", LabelSelector((), (("internal", "DoesNotExist", ()),))),
        (
            "env in (a,b),app=x,!y",
            LabelSelector((("app", "x"),), (("env", "In", ("a", "b")), ("y", "DoesNotExist", ()))),
        ),
    ],
)
def test_parse_selector(text: str, selector: LabelSelector) -> None:
    assert parse_selector(text) == selector


@pytest.mark.parametrize("text", ["", " , "])
def test_empty_selector(text: str) -> None:
    with pytest.raises(ValueError, match="empty selector"):
        parse_selector(text)


@pytest.mark.parametrize(
    ("text", "labels", "matches"),
    [
        ("app=kdc", {"app": "kdc"}, True),
        ("app=kdc", {"app": "web"}, False),
        ("app=kdc", {}, False),
        ("app!=kdc", {}, True),
        ("app!=kdc", {"app": "kdc"}, False),
        ("env in (prod,staging)", {"env": "staging"}, True),
        ("env in (prod,staging)", {}, False),
        ("env notin (dev)", {}, True),
        ("env notin (dev)", {"env": "dev"}, False),
        ("public", {"public": ""}, True),
        ("!internal", {"internal": "yes"}, False),
    ],
)
def test_selector_matches(text: str, labels: dict[str, str], matches: bool) -> None:
    assert parse_selector(text).matches(labels) is matches


def svc(name: str, namespace: str, labels: str, annotations: str) -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
  labels: {labels}
  annotations: {annotations}
spec: {{type: LoadBalancer, ports: [{{port: 443}}]}}
status: {{loadBalancer: {{ingress: [{{ip: 192.0.2.1}}]}}}}
"""


OBJECTS = (
    svc(
        "a", "prod", "{team: red}", "{dnssync.io/hostname: a.example.com, dnssync.io/public: 'yes'}"
    )
    + svc("b", "prod", "{team: blue}", "{dnssync.io/hostname: b.example.com}")
    + svc("c", "dev", "{team: red}", "{dnssync.io/hostname: c.example.com, dnssync.io/ttl: bad}")
)


@pytest.mark.parametrize(
    ("object_filter", "names"),
    [
        (ObjectFilter(), ["a", "b", "c"]),
        (ObjectFilter(namespaces=("prod",)), ["a", "b"]),
        (ObjectFilter(namespaces=("dev", "prod")), ["a", "b", "c"]),
        (ObjectFilter(label_selector=parse_selector("team=red")), ["a", "c"]),
        (
            ObjectFilter(namespaces=("prod",), label_selector=parse_selector("team=red")),
            ["a"],
        ),
    ],
)
def test_object_filter(object_filter: ObjectFilter, names: list[str]) -> None:
    result = desired_records(
        snapshot_of(OBJECTS).objects, RuleSettings(object_filter=object_filter)
    )
    published = [line.split(".")[0] for line in desired_lines(result)]
    assert published == [n for n in names if n != "c"]
    # Problems are reported only for objects that publish.
    assert bool(result.diagnostics) is ("c" in names)


def test_annotation_filter_on_any_annotation() -> None:
    objects = svc(
        "a", "prod", "{}", "{dnssync.io/hostname: a.example.com, example.com/expose: 'yes'}"
    ) + svc("b", "prod", "{}", "{dnssync.io/hostname: b.example.com}")
    selector = parse_selector("example.com/expose=yes")
    snapshot = snapshot_of(objects, annotation_filter=selector)
    result = desired_records(
        snapshot.objects, RuleSettings(object_filter=ObjectFilter(annotation_selector=selector))
    )
    assert desired_lines(result) == ["a.example.com. 300 A 192.0.2.1"]


def test_annotation_filter_keeps_gateways_for_their_routes() -> None:
    objects = """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec: {listeners: [{name: http, port: 80, protocol: HTTP}]}
status: {addresses: [{value: 192.0.2.9}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: ns, annotations: {expose: 'yes'}}
spec: {hostnames: [app.example.com], parentRefs: [{name: gw}]}
status:
  parents: [{parentRef: {name: gw}, conditions: [{type: Accepted, status: "True"}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: hidden, namespace: ns}
spec: {hostnames: [hidden.example.com], parentRefs: [{name: gw}]}
status:
  parents: [{parentRef: {name: gw}, conditions: [{type: Accepted, status: "True"}]}]
"""
    snapshot = snapshot_of(objects, annotation_filter=parse_selector("expose=yes"))
    assert [str(o.ref) for o in snapshot.objects] == ["gateway/ns/gw", "httproute/ns/app"]
    result = desired_records(snapshot.objects, RuleSettings())
    assert desired_lines(result) == ["app.example.com. 300 A 192.0.2.9"]
