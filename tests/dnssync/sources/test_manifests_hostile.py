"""One hostile document never stops the others (alias bombs, deep nesting, odd `List`s,
huge files), and YAML surprises are reported, never silently converted (octal-looking
numbers, yes/no booleans, duplicate keys)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnssync.model.diagnostics import Severity
from dnssync.sources.manifests import read_manifests
from dnssync.sources.objects import NamespaceObject, ServiceObject
from dnssync.sources.snapshot import SourceSnapshot
from dnssync.sources.yaml_input import Limits
from dnssync.testing.scenarios import snapshot_of

GOOD = """\
apiVersion: v1
kind: Service
metadata: {name: good, namespace: web, annotations: {dnssync.io/hostname: good.example.com}}
spec: {type: LoadBalancer, ports: [{port: 443}]}
status: {loadBalancer: {ingress: [{ip: 192.0.2.1}]}}
"""


def svc(name: str, annotations: str, labels: str = "{}") -> str:
    return (
        "apiVersion: v1\nkind: Service\n"
        f"metadata: {{name: {name}, namespace: web, annotations: {annotations},"
        f" labels: {labels}}}\n"
        "spec: {type: LoadBalancer, ports: [{port: 443}]}\n"
        "status: {loadBalancer: {ingress: [{ip: 192.0.2.2}]}}\n"
    )


def alias_bomb(levels: int = 9) -> str:
    lines = ["kind: Service", "metadata:", "  name: bomb", "  annotations:"]
    lines.append('    a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]')
    for level in range(1, levels):
        refs = ",".join([f"*a{level - 1}"] * 10)
        lines.append(f"    a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def errors(snapshot: SourceSnapshot) -> list[tuple[str, str]]:
    """(subject, the whole line as printed) of each Error."""
    return [(d.subject, str(d)) for d in snapshot.diagnostics if d.severity is Severity.ERROR]


def read(*documents: str) -> SourceSnapshot:
    return snapshot_of("---\n".join(documents), names=["all.yaml"])


def object_names(snapshot: SourceSnapshot) -> list[str]:
    return sorted(str(o.ref) for o in snapshot.objects if not isinstance(o, NamespaceObject))


@pytest.mark.parametrize(
    ("hostile", "fragment"),
    [
        pytest.param(alias_bomb(), "line 17: expands to more than", id="alias-bomb"),
        pytest.param(
            "kind: Service\nmetadata: {name: deep, annotations: {x: "
            + "[" * 300
            + "]" * 300
            + "}}\n",
            "line 8: nests deeper than 128 levels",
            id="deep-flow-annotation",
        ),
        pytest.param(
            "kind: Service\nmetadata: {name: deep, annotations: {x: "
            + "[" * 100000
            + "]" * 100000
            + "}}\n",
            "line 8: while increasing flow level exceeded maximum nesting depth",
            id="very-deep-flow-annotation",
        ),
        pytest.param(
            "kind: Service\nmetadata:\n  name: deep\n  annotations:\n    x:\n"
            + "".join("  " * (3 + i) + f"k{i}:\n" for i in range(200)),
            "nests deeper than 128 levels",
            id="deep-block-nesting",
        ),
        pytest.param(
            "kind: Service\nmetadata: &m {name: loop, labels: *m}\n",
            "alias *m refers to a node that contains it",
            id="recursive-alias",
        ),
        pytest.param(
            "kind: Service\nmetadata: {name: dup}\nspec: {type: LoadBalancer}\nspec: {}\n",
            "line 10: duplicate key 'spec'",
            id="duplicate-top-level-key",
        ),
        pytest.param(
            "kind: Service\nmetadata:\n  name: dup\n  annotations:\n"
            "    dnssync.io/hostname: a.example.com\n    dnssync.io/hostname: b.example.com\n",
            "line 12: duplicate key 'dnssync.io/hostname'",
            id="duplicate-annotation",
        ),
        pytest.param(
            "kind: Service\nmetadata: {name: x, annotations: {a: !!python/object:os.system x}}\n",
            "could not determine a constructor for the tag",
            id="python-tag",
        ),
        pytest.param(
            "kind: Service\nmetadata: {name: x, annotations: {a: " + "9" * 5000 + "}}\n",
            "Exceeds the limit (4300 digits)",
            id="huge-integer",
        ),
        pytest.param(
            "kind: Service\nmetadata: {name: [oops\n", "cannot be read: line 9:", id="syntax-error"
        ),
        pytest.param(
            "kind: List\nitems: oops\n",
            "items: expected a list of objects, got 'oops'",
            id="list-non-list",
        ),
        pytest.param(
            "kind: List\nitems: [7]\n",
            "items[0]): is not a Kubernetes object (a mapping) but 7",
            id="list-non-object-item",
        ),
        pytest.param(
            "kind: [Service]\nmetadata: {name: x}\n",
            "(document 2): kind: is a list, not a string",
            id="non-string-kind",
        ),
        pytest.param("just a string\n", "is not a Kubernetes object", id="scalar-document"),
    ],
)
def test_a_hostile_document_is_an_error_and_the_others_are_read(
    hostile: str, fragment: str
) -> None:
    snapshot = read(GOOD, hostile, GOOD.replace("good", "after"))
    assert object_names(snapshot) == ["service/web/after", "service/web/good"]
    assert not snapshot.complete
    ((subject, message),) = errors(snapshot)
    assert subject.startswith("all.yaml (document 2")
    assert fragment in message
    assert message.endswith("no deletes this run")


def test_a_syntax_error_hides_no_later_document() -> None:
    snapshot = read(GOOD, "a: [\n", "b: {\n", GOOD.replace("good", "after"))
    assert object_names(snapshot) == ["service/web/after", "service/web/good"]
    assert [s for s, _ in errors(snapshot)] == ["all.yaml (document 2)", "all.yaml (document 3)"]


def test_list_items_are_read_and_a_bad_item_is_named() -> None:
    snapshot = read(
        "apiVersion: v1\nkind: List\nitems:\n"
        "- {kind: Service, metadata: {name: a, namespace: web},"
        " spec: {type: LoadBalancer, ports: [{port: 1}]}}\n"
        "- 42\n"
        "- {kind: ServiceList, items: [{kind: Service, metadata: {name: b, namespace: web},"
        " spec: {type: LoadBalancer, ports: [{port: 1}]}}]}\n"
    )
    assert object_names(snapshot) == ["service/web/a", "service/web/b"]
    assert errors(snapshot) == [
        (
            "all.yaml (document 1, items[1])",
            "all.yaml (document 1, items[1]): is not a Kubernetes object (a mapping) but 42;"
            " no deletes this run",
        )
    ]


def test_files_over_the_size_limit_are_errors(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "huge.yaml").write_text(GOOD + "#" * 5000 + "\n")
    snapshot = read_manifests(tmp_path, limits=Limits(file_bytes=4096))
    assert object_names(snapshot) == ["service/web/good"]
    assert errors(snapshot) == [
        (
            "huge.yaml",
            f"huge.yaml: is {len(GOOD) + 5001} bytes, more than the limit of 4096 bytes;"
            " no deletes this run",
        )
    ]


def test_documents_over_the_size_limit_are_errors(tmp_path: Path) -> None:
    (tmp_path / "all.yaml").write_text(GOOD + "---\n" + GOOD.replace("good", "big") + "#" * 3000)
    snapshot = read_manifests(tmp_path, limits=Limits(document_bytes=2048))
    assert object_names(snapshot) == ["service/web/good"]
    ((subject, message),) = errors(snapshot)
    assert subject == "all.yaml (document 2)"
    assert "more than the limit of 2048 bytes" in message


# -- YAML 1.1 surprises in annotations and labels --------------------------------------------

A = "metadata.annotations"


@pytest.mark.parametrize(
    ("annotations", "field", "fragment"),
    [
        pytest.param(
            "{dnssync.io/hostname: x.example.com, dnssync.io/ttl: 0300}",
            f"{A}[dnssync.io/ttl]",
            "is the integer 192 (YAML reads an unquoted 0300 as octal 192)",
            id="octal-ttl",
        ),
        pytest.param(
            "{dnssync.io/hostname: x.example.com, dnssync.io/ttl: 300}",
            f"{A}[dnssync.io/ttl]",
            "is the integer 300",
            id="number-ttl",
        ),
        pytest.param(
            "{dnssync.io/hostname: x.example.com, dnssync.io/controller: on}",
            f"{A}[dnssync.io/controller]",
            "is the boolean True",
            id="on-boolean",
        ),
        pytest.param(
            "{dnssync.io/hostname: x.example.com, prometheus.io/scrape: yes}",
            f"{A}[prometheus.io/scrape]",
            "is the boolean True",
            id="foreign-yes",
        ),
        pytest.param(
            "{dnssync.io/hostname: x.example.com, example.io/flag: n}",
            f"{A}[example.io/flag]",
            "is the boolean False",
            id="kubectl-n-boolean",
        ),
        pytest.param(
            "{dnssync.io/hostname: x.example.com, example.io/ratio: 1.5}",
            f"{A}[example.io/ratio]",
            "is the number 1.5",
            id="float",
        ),
        pytest.param(
            "{dnssync.io/hostname: x.example.com, example.io/nested: {a: [1, 2]}}",
            f"{A}[example.io/nested]",
            "is a dict, not a string",
            id="mapping-value",
        ),
        pytest.param(
            "{dnssync.io/hostname: x.example.com, 42: x}",
            A,
            "key 42 is not a string",
            id="number-key",
        ),
        pytest.param("[a, b]", A, "is a list, not a map", id="annotations-not-a-map"),
    ],
)
def test_non_string_annotation_refuses_the_object_and_keeps_its_records(
    annotations: str, field: str, fragment: str
) -> None:
    snapshot = read(GOOD, svc("x", annotations))
    assert object_names(snapshot) == ["service/web/good"]
    # As the API server would refuse the object: its records are kept, deletes elsewhere go on.
    assert snapshot.complete
    assert snapshot.unreadable == frozenset({"service/web/x"})
    (problem,) = snapshot.diagnostics
    assert problem.severity is Severity.WARNING
    assert (problem.subject, problem.field) == ("service/web/x in all.yaml (document 2)", field)
    assert fragment in problem.message
    assert problem.message.endswith("quote the value") or "not a" in problem.message


def test_quoted_values_and_kubectl_strings_are_strings() -> None:
    # Quoted numbers, timestamps, base-60 looking and `=` stay strings, as kubectl reads them.
    snapshot = read(
        svc(
            "x",
            "{dnssync.io/hostname: x.example.com, dnssync.io/ttl: '0300',"
            " example.io/date: 2026-12-02, example.io/clock: 1:20, example.io/eq: =}",
        )
    )
    (service,) = snapshot.objects
    assert isinstance(service, ServiceObject)
    assert dict(service.annotations)["dnssync.io/ttl"] == "0300"
    assert snapshot.diagnostics == ()


def test_null_annotation_is_read_as_empty_with_a_warning() -> None:
    snapshot = read(svc("x", "{dnssync.io/hostname: x.example.com, example.io/empty: }"))
    assert object_names(snapshot) == ["service/web/x"]
    (problem,) = snapshot.diagnostics
    assert (problem.field, problem.message) == (
        f"{A}[example.io/empty]",
        "is null: read as the empty string",
    )


def test_non_string_label_refuses_the_object() -> None:
    snapshot = read(svc("x", "{dnssync.io/hostname: x.example.com}", "{version: 1.0}"))
    assert object_names(snapshot) == []
    (problem,) = snapshot.diagnostics
    assert (problem.field, problem.reason) == ("metadata.labels[version]", "InvalidLabel")


def test_namespace_with_non_string_label_forbids_deletes() -> None:
    # Routes select namespaces by label: an unreadable namespace may hide an attachment.
    snapshot = read(GOOD, "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {x: 1}}\n")
    assert not snapshot.complete


def test_annotation_filter_never_stringifies_foreign_values() -> None:
    from dnssync.sources.objects import LabelSelector

    # A large (alias-expanded, within the limits) foreign value on an object the filter
    # looks at: refused by type, never turned into a string.
    big = (
        "{dnssync.io/hostname: x.example.com, example.io/big: &b ["
        + ",".join(["xxxxxxxxxx"] * 1000)
        + "], example.io/big2: ["
        + ",".join(["*b"] * 1000)
        + "]}"
    )
    snapshot = snapshot_of(
        GOOD + "---\n" + svc("x", big),
        names=["all.yaml"],
        annotation_filter=LabelSelector(match_expressions=(("team", "Exists", ()),)),
    )
    assert snapshot.unreadable == frozenset({"service/web/x"})
    assert all(len(d.message) < 400 for d in snapshot.diagnostics)
