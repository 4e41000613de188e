"""Ingress rules (docs/sources/ingress.md): a table of manifests and their exact records.

Cases mirror those of ExternalDNS's own ingress source tests (source/ingress_test.go,
v0.23.0): rules and tls hosts, the hostname annotation, ``ingress-hostname-source``, the
``--ingress-class`` filter on spec.ingressClassName or the legacy annotation, and Ingresses
of several namespaces merged at one name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.rules.ingresses import IngressSettings
from dnssync.sources.filters import ObjectFilter
from dnssync.sources.manifests import read_manifests
from dnssync.testing.scenarios import desired_lines, problems, snapshot_of

EDNS = "external-dns.alpha.kubernetes.io/"


def ing(
    name: str,
    *,
    rules: tuple[str, ...] = (),
    tls: tuple[tuple[str, ...], ...] = (),
    annotations: str = "{}",
    status: str = "[{ip: 192.0.2.1}]",
    namespace: str = "web",
    class_name: str | None = None,
) -> str:
    """One Ingress document; ``annotations`` and ``status`` are YAML flow text."""
    rule_text = "[" + ", ".join(f"{{host: {h!r}}}" for h in rules) + "]"
    tls_text = "[" + ", ".join("{hosts: [" + ", ".join(map(repr, t)) + "]}" for t in tls) + "]"
    class_line = f"\n  ingressClassName: {class_name}" if class_name is not None else ""
    return f"""
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: {namespace}
  annotations: {annotations}
spec:{class_line}
  rules: {rule_text}
  tls: {tls_text}
status:
  loadBalancer:
    ingress: {status}
"""


@dataclass(frozen=True)
class Case:
    id: str
    manifest: str
    records: list[str]
    warnings: list[tuple[str, str, str]] = field(default_factory=list)
    settings: RuleSettings = field(default_factory=RuleSettings)


CLASSES = RuleSettings(object_filter=ObjectFilter(ingress_classes=("public", "dmz")))

CASES = [
    Case(
        "one-rule-host-one-lb-hostname",
        ing("a", rules=("foo.example.org",), status="[{hostname: lb.example.net}]"),
        ["foo.example.org. 300 CNAME lb.example.net."],
    ),
    Case(
        "one-rule-host-ipv4-and-ipv6",
        ing("a", rules=("foo.example.org",), status="[{ip: 192.0.2.1}, {ip: '2001:db8::1'}]"),
        ["foo.example.org. 300 A 192.0.2.1", "foo.example.org. 300 AAAA 2001:db8::1"],
    ),
    Case("no-rule-host", ing("a", rules=("",)), []),
    Case("no-status-yet", ing("a", rules=("foo.example.org",), status="[]"), []),
    Case(
        "tls-hosts-are-names-too",
        ing("a", rules=("foo.example.org",), tls=(("foo.example.org", "bar.example.org"),)),
        ["bar.example.org. 300 A 192.0.2.1", "foo.example.org. 300 A 192.0.2.1"],
    ),
    Case(
        "multiple-tls-blocks",
        ing("a", tls=(("a.example.org",), ("b.example.org", "c.example.org"))),
        [
            "a.example.org. 300 A 192.0.2.1",
            "b.example.org. 300 A 192.0.2.1",
            "c.example.org. 300 A 192.0.2.1",
        ],
    ),
    Case(
        "rules-and-hostname-annotation",
        ing(
            "a",
            rules=("foo.example.org",),
            annotations=f"{{{EDNS}hostname: 'bar.example.org, baz.example.org'}}",
        ),
        [
            "bar.example.org. 300 A 192.0.2.1",
            "baz.example.org. 300 A 192.0.2.1",
            "foo.example.org. 300 A 192.0.2.1",
        ],
    ),
    Case(
        "defined-hosts-only",
        ing(
            "a",
            rules=("foo.example.org",),
            annotations=f"{{{EDNS}hostname: bar.example.org, "
            f"{EDNS}ingress-hostname-source: defined-hosts-only}}",
        ),
        ["foo.example.org. 300 A 192.0.2.1"],
    ),
    Case(
        "annotation-only-any-case",
        ing(
            "a",
            rules=("foo.example.org",),
            tls=(("tls.example.org",),),
            annotations="{external-dns.kubernetes.io/hostname: bar.example.org, "
            "external-dns.kubernetes.io/ingress-hostname-source: Annotation-Only}",
        ),
        ["bar.example.org. 300 A 192.0.2.1"],
    ),
    Case(
        "unknown-hostname-source-publishes-nothing",
        ing(
            "a",
            rules=("foo.example.org",),
            annotations="{dnssync.io/ingress-hostname-source: both}",
        ),
        [],
        [
            (
                "ingress/web/a",
                "metadata.annotations[dnssync.io/ingress-hostname-source]",
                "InvalidAnnotation",
            )
        ],
    ),
    Case(
        "target-annotation-and-ttl",
        ing(
            "a",
            rules=("foo.example.org",),
            annotations=f"{{{EDNS}target: 'lb.example.net', {EDNS}ttl: '1m'}}",
        ),
        ["foo.example.org. 60 CNAME lb.example.net."],
    ),
    Case(
        "ips-win-over-a-hostname",
        ing("a", rules=("foo.example.org",), status="[{ip: 192.0.2.1, hostname: lb.example.net}]"),
        ["foo.example.org. 300 A 192.0.2.1"],
        [("ingress/web/a", "status.loadBalancer.ingress", "MixedAddresses")],
    ),
    Case(
        "same-host-in-two-namespaces-is-merged",
        ing("my-service", rules=("my.example.com",), namespace="old", status="[{ip: 10.0.0.1}]")
        + ing("my-service", rules=("my.example.com",), namespace="new", status="[{ip: 10.0.0.2}]"),
        ["my.example.com. 300 A 10.0.0.1, 10.0.0.2"],
    ),
    Case(
        "srv-domain-is-reported-not-published",
        ing("a", rules=("foo.example.org",), annotations="{dnssync.io/srv-domain: example.org}"),
        ["foo.example.org. 300 A 192.0.2.1"],
        [("ingress/web/a", "metadata.annotations[dnssync.io/srv-domain]", "NoSrvForIngress")],
    ),
    Case(
        "invalid-tls-host-is-skipped-with-a-warning",
        ing("a", rules=("foo.example.org",), tls=(("bad..example.org",),)),
        ["foo.example.org. 300 A 192.0.2.1"],
        [("ingress/web/a", "spec.tls[0].hosts[0]", "InvalidHostname")],
    ),
    Case(
        "other-controller-is-ignored",
        ing("a", rules=("foo.example.org",), annotations=f"{{{EDNS}controller: other}}"),
        [],
    ),
    Case(
        "ingress-class-filter",
        ing("none", tls=(("none.example.org",),), status="[{ip: 1.0.0.0}]")
        + ing("pub", tls=(("example.org",),), status="[{ip: 1.2.3.4}]", class_name="public")
        + ing("int", tls=(("int.example.org",),), status="[{ip: 2.3.4.5}]", class_name="internal")
        + ing("dmz", tls=(("dmz.example.org",),), status="[{ip: 3.4.5.6}]", class_name="dmz")
        + ing(
            "anno-dmz",
            tls=(("annodmz.example.org",),),
            status="[{ip: 4.5.6.7}]",
            annotations="{kubernetes.io/ingress.class: dmz}",
        )
        + ing(
            "int-anno-dmz",  # spec.ingressClassName wins over the annotation
            tls=(("int-annodmz.example.org",),),
            status="[{ip: 5.6.7.8}]",
            annotations="{kubernetes.io/ingress.class: dmz}",
            class_name="internal",
        )
        + ing(
            "dmz-anno-int",
            tls=(("dmz-annoint.example.org",),),
            status="[{ip: 6.7.8.9}]",
            annotations="{kubernetes.io/ingress.class: internal}",
            class_name="dmz",
        )
        + ing(
            "empty-anno-dmz",
            tls=(("empty-annodmz.example.org",),),
            status="[{ip: 7.8.9.0}]",
            annotations="{kubernetes.io/ingress.class: dmz}",
            class_name="''",
        ),
        [
            "annodmz.example.org. 300 A 4.5.6.7",
            "dmz-annoint.example.org. 300 A 6.7.8.9",
            "dmz.example.org. 300 A 3.4.5.6",
            "empty-annodmz.example.org. 300 A 7.8.9.0",
            "example.org. 300 A 1.2.3.4",
        ],
        settings=CLASSES,
    ),
    Case(
        "ignore-tls-spec",
        ing("a", rules=("foo.example.org",), tls=(("tls.example.org",),)),
        ["foo.example.org. 300 A 192.0.2.1"],
        settings=RuleSettings(ingress=IngressSettings(ignore_tls=True)),
    ),
    Case(
        "ignore-rules-spec",
        ing("a", rules=("foo.example.org",), tls=(("tls.example.org",),)),
        ["tls.example.org. 300 A 192.0.2.1"],
        settings=RuleSettings(ingress=IngressSettings(ignore_rules=True)),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_ingress_rules(case: Case) -> None:
    snapshot = snapshot_of(case.manifest)
    assert not snapshot.diagnostics, [str(d) for d in snapshot.diagnostics]
    result = desired_records(snapshot.objects, case.settings)
    assert desired_lines(result) == sorted(case.records)
    assert problems(result.diagnostics) == sorted(case.warnings)


def test_bad_hostname_source_keeps_the_records_the_ingress_owns() -> None:
    """A bad annotation never deletes what the object published before (design 2)."""
    snapshot = snapshot_of(
        ing("a", rules=("foo.example.org",), annotations=f"{{{EDNS}ingress-hostname-source: x}}")
    )
    result = desired_records(snapshot.objects, RuleSettings())
    assert result.keep == {"ingress/web/a"}


def test_the_ownership_resource_is_ingress_ns_name() -> None:
    """The TXT resource ExternalDNS writes for an Ingress: ``ingress/<ns>/<name>``."""
    snapshot = snapshot_of(ing("a", rules=("foo.example.org",)))
    result = desired_records(snapshot.objects, RuleSettings())
    assert [str(r.owner) for r in result.records.values()] == ["ingress/web/a"]


def test_the_documented_example() -> None:
    """examples/ingress (docs/sources/ingress.md): rule and tls hosts, the ttl annotation."""
    example = Path(__file__).resolve().parents[3] / "examples" / "ingress"
    snapshot = read_manifests(example)
    assert snapshot.complete and not snapshot.diagnostics
    result = desired_records(snapshot.objects, CLASSES)
    assert desired_lines(result) == [
        "shop.example.com. 60 A 203.0.113.20",
        "www.example.com. 60 A 203.0.113.20",
    ]
