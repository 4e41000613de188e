"""The manifest source: a folder of multi-document YAML, status taken as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnssync.errors import SourceError
from dnssync.model.diagnostics import Severity
from dnssync.sources.manifests import read_manifests
from dnssync.sources.objects import (
    GatewayObject,
    NamespaceObject,
    Port,
    Protocol,
    RouteObject,
    ServiceObject,
)
from dnssync.testing.scenarios import problems, snapshot_of

SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: {name}
  annotations: {{dnssync.io/hostname: {name}.example.com, unrelated.io/x: z}}
spec:
  type: LoadBalancer
  ports: [{{name: kerberos, port: 88, protocol: UDP}}, {{port: 464}}]
status:
  loadBalancer:
    ingress: [{{ip: 192.0.2.1}}, {{hostname: lb.example.net}}]
"""


def refs(snapshot: object) -> list[str]:
    objects = getattr(snapshot, "objects", ())
    return sorted(str(o.ref) for o in objects if not isinstance(o, NamespaceObject))


def test_reads_every_yaml_and_yml_file_recursively(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SERVICE.format(name="a"))
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "b.yml").write_text(SERVICE.format(name="b"))
    (tmp_path / "sub" / "deeper" / "c.yaml").write_text(SERVICE.format(name="c"))
    (tmp_path / "notes.txt").write_text(SERVICE.format(name="ignored"))
    (tmp_path / "d.json").write_text("{}")
    snapshot = read_manifests(tmp_path)
    assert refs(snapshot) == ["service/default/a", "service/default/b", "service/default/c"]
    assert snapshot.complete
    assert not snapshot.diagnostics


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a directory"):
        read_manifests(tmp_path / "missing")


def test_multi_document_and_lists() -> None:
    snapshot = snapshot_of(
        "---\n"
        + SERVICE.format(name="a")
        + "---\n---\n"
        + SERVICE.format(name="b")
        + """
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Service, metadata: {name: c, namespace: other},
     spec: {type: LoadBalancer, ports: [{port: 80}]}}
"""
    )
    assert refs(snapshot) == ["service/default/a", "service/default/b", "service/other/c"]
    assert snapshot.complete


def test_service_projection_takes_status_as_written() -> None:
    snapshot = snapshot_of(SERVICE.format(name="kdc"))
    (service,) = snapshot.objects
    assert isinstance(service, ServiceObject)
    assert service.ports == (
        Port(88, Protocol.UDP, "kerberos"),
        Port(464, Protocol.TCP, None),
    )
    assert [str(a.ip) if a.ip else a.hostname for a in service.addresses] == [
        "192.0.2.1",
        "lb.example.net",
    ]
    # Only the annotations the rules read are kept (small informer cache).
    assert service.annotations == (("dnssync.io/hostname", "kdc.example.com"),)


def test_non_load_balancer_services_are_skipped_silently() -> None:
    snapshot = snapshot_of(
        "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {type: ClusterIP}\n"
    )
    assert snapshot.objects == ()
    assert snapshot.diagnostics == ()


def test_gateway_and_routes_projection() -> None:
    snapshot = snapshot_of(
        """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  listeners:
    - name: udp
      port: 88
      protocol: UDP
      allowedRoutes: {namespaces: {from: All}, kinds: [{kind: UDPRoute}]}
status:
  addresses: [{value: 192.0.2.1}, {type: Hostname, value: gw.example.net}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: UDPRoute
metadata: {name: kdc, namespace: krb}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: udp}]
status:
  parents:
    - parentRef: {name: gw, namespace: infra, sectionName: udp}
      conditions: [{type: Accepted, status: "True"}]
    - parentRef: {name: other, namespace: infra}
      conditions: [{type: Accepted, status: "False"}]
"""
    )
    gateway, route = snapshot.objects
    assert isinstance(gateway, GatewayObject)
    assert isinstance(route, RouteObject)
    (listener,) = gateway.listeners
    assert (listener.name, listener.port, listener.protocol) == ("udp", 88, "UDP")
    assert listener.allowed_kinds == ("udproute",)
    assert [a.hostname or str(a.ip) for a in gateway.addresses] == ["192.0.2.1", "gw.example.net"]
    assert [(p.name, p.namespace, p.section_name) for p in route.accepted_parents] == [
        ("gw", "infra", "udp")
    ]


def test_broken_yaml_is_reported_and_marks_the_snapshot_incomplete() -> None:
    snapshot = snapshot_of(
        SERVICE.format(name="good"),
        "kind: Service\nmetadata: {name: [unclosed\n",
        names=["good.yaml", "broken.yaml"],
    )
    assert refs(snapshot) == ["service/default/good"]
    assert not snapshot.complete
    (problem,) = snapshot.diagnostics
    assert problem.subject == "broken.yaml (document 1)"
    assert problem.message.startswith("cannot be read: line 3: ")
    assert problem.severity is Severity.ERROR
    assert problem.reason == "BrokenManifest"
    assert "no deletes" in problem.message


def test_file_that_is_not_utf8_is_broken(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(SERVICE.format(name="good"))
    (tmp_path / "latin1.yaml").write_bytes(b"kind: Service\nmetadata: {name: caf\xe9}\n")
    snapshot = read_manifests(tmp_path)
    assert refs(snapshot) == ["service/default/good"]
    assert not snapshot.complete
    assert problems(snapshot.diagnostics) == [("latin1.yaml", "", "BrokenManifest")]


def test_unknown_kind_is_reported_and_the_rest_read() -> None:
    snapshot = snapshot_of(
        SERVICE.format(name="good")
        + "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
        + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n",
        names=["all.yaml"],
    )
    assert refs(snapshot) == ["service/default/good"]
    assert snapshot.complete
    assert problems(snapshot.diagnostics) == [("all.yaml (document 2)", "kind", "UnknownKind")]
    assert "'Widget'" in snapshot.diagnostics[0].message


def test_document_that_is_not_an_object() -> None:
    snapshot = snapshot_of(
        SERVICE.format(name="good") + "---\n- just\n- a list\n", names=["odd.yaml"]
    )
    assert refs(snapshot) == ["service/default/good"]
    assert problems(snapshot.diagnostics) == [("odd.yaml (document 2)", "", "BrokenManifest")]
    # It may have been an object we publish: nothing may be deleted on its account.
    assert not snapshot.complete


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (
            "kind: Service\nmetadata: {name: bad, namespace: krb}\n"
            "spec: {type: LoadBalancer, ports: [{port: 99999}]}\n",
            "spec.ports[0].port",
        ),
        (
            "kind: Service\nmetadata: {name: bad, namespace: krb}\n"
            "spec: {type: LoadBalancer, ports: [{port: 88, protocol: ICMP}]}\n",
            "spec.ports[0].protocol",
        ),
        (
            "kind: Service\nmetadata: {name: bad, namespace: krb}\n"
            "spec: {type: LoadBalancer}\nstatus: {loadBalancer: {ingress: [{ip: 300.1.1.1}]}}\n",
            "status.loadBalancer.ingress[0].ip",
        ),
        (
            "kind: Service\nmetadata: {name: bad, namespace: krb}\nspec: [1, 2]\n",
            "spec",
        ),
        (
            "kind: Gateway\nmetadata: {name: bad, namespace: krb}\n"
            "spec: {listeners: [{port: 80, protocol: HTTP}]}\n",
            "spec.listeners[0].name",
        ),
        (
            "kind: Gateway\nmetadata: {name: bad, namespace: krb}\n"
            "spec: {listeners: [{name: l, port: 80, protocol: HTTP,"
            " allowedRoutes: {namespaces: {from: Nowhere}}}]}\n",
            "spec.listeners[0].allowedRoutes.namespaces.from",
        ),
        (
            "kind: Gateway\nmetadata: {name: bad, namespace: krb}\n"
            "status: {addresses: [{type: NamedAddress, value: x}]}\n",
            "status.addresses[0].type",
        ),
        (
            "kind: HTTPRoute\nmetadata: {name: bad, namespace: krb}\n"
            "spec: {parentRefs: [{namespace: x}]}\n",
            "spec.parentRefs[0].name",
        ),
    ],
)
def test_object_failing_projection_is_unreadable_not_absent(document: str, field: str) -> None:
    snapshot = snapshot_of(SERVICE.format(name="good"), document, names=["good.yaml", "bad.yaml"])
    assert refs(snapshot) == ["service/default/good"]
    # The object exists: its records are kept, while deletes elsewhere go on.
    assert snapshot.complete
    kind = document.split("\n", 1)[0].removeprefix("kind: ").lower()
    assert snapshot.unreadable == frozenset({f"{kind}/krb/bad"})
    (problem,) = snapshot.diagnostics
    assert problem.subject == f"{kind}/krb/bad in bad.yaml (document 1)"
    assert problem.field == field
    assert problem.reason == "InvalidObject"


def test_object_without_a_name_makes_the_snapshot_incomplete() -> None:
    snapshot = snapshot_of(
        "kind: Service\nmetadata: {namespace: krb}\nspec: {type: LoadBalancer}\n",
        names=["anon.yaml"],
    )
    assert not snapshot.complete
    assert problems(snapshot.diagnostics) == [
        ("anon.yaml (document 1)", "metadata.name", "InvalidObject")
    ]
    # It may be any object we publish: an Error, so plan exits 1.
    assert snapshot.diagnostics[0].severity is Severity.ERROR


def test_namespace_defaults_and_namespace_objects() -> None:
    snapshot = snapshot_of(
        SERVICE.format(name="a")
        + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: apps, labels: {team: x}}\n"
    )
    service, namespace = snapshot.objects
    assert isinstance(service, ServiceObject) and service.ref.namespace == "default"
    assert namespace == NamespaceObject("apps", (("team", "x"),))
