"""An ownership TXT that does not parse exactly is never ours and never an orphan
(issue 13, docs/ownership.md): the record it would own is left alone, creating over it is
refused with the reason, and the TXT itself is never deleted."""

from __future__ import annotations

import pytest

from dnssync.model.names import DomainName
from dnssync.model.records import RecordType, RRset, Text
from dnssync.testing.builders import ownership_txt, rrset
from dnssync.testing.scenarios import plan_of, provider_with

HOSTNAME = "metadata.annotations[dnssync.io/hostname]"
SERVICE = """
---
apiVersion: v1
kind: Service
metadata: {name: x, namespace: ns, annotations: {dnssync.io/hostname: app.example.com}}
spec: {type: LoadBalancer, ports: [{name: https, port: 443}]}
status: {loadBalancer: {ingress: [{ip: 192.0.2.1}]}}
"""
OURS = "heritage=external-dns,external-dns/owner=default,external-dns/resource=service/ns/x"
HOSTILE = [
    "heritage=external-dns,external-dns/owner=other,external-dns/owner=default,"
    "external-dns/resource=service/ns/x",
    "heritage=external-dns,external-dns/owner= default ,external-dns/resource=service/ns/x",
    "heritage=external-dns,external-dns/owner=default,external-dns/resource=a/b/c,"
    "external-dns/resource=service/ns/x",
    "heritage=external-dns, external-dns/owner=default",
    '""heritage=external-dns,external-dns/owner=default""',
]


def txt(name: str, *values: str) -> RRset:
    return RRset.of(DomainName.parse(name), RecordType.TXT, 300, [Text.of(v) for v in values])


@pytest.mark.parametrize("content", HOSTILE)
def test_a_foreign_record_under_an_untrusted_txt_is_never_updated(content: str) -> None:
    foreign = rrset("app.example.com", "A", "198.51.100.7")
    provider = provider_with(existing=[foreign, txt("a-app.example.com", content)])
    outcome = plan_of(SERVICE, provider=provider)
    assert outcome.plan.changes == ()
    [problem] = outcome.diagnostics
    assert (problem.subject, problem.field, problem.reason) == (
        "service/ns/x",
        HOSTNAME,
        "NotOwned",
    )
    assert "a-app.example.com. cannot be trusted" in problem.message


@pytest.mark.parametrize("content", HOSTILE)
def test_creating_beside_an_untrusted_txt_is_refused_with_the_reason(content: str) -> None:
    provider = provider_with(existing=[txt("a-app.example.com", content)])
    outcome = plan_of(SERVICE, provider=provider)
    assert outcome.plan.changes == ()
    [problem] = outcome.diagnostics
    assert "cannot create app.example.com. A: its ownership TXT" in problem.message
    assert "cannot be trusted" in problem.message


@pytest.mark.parametrize("content", HOSTILE)
def test_an_untrusted_txt_is_never_deleted_as_an_orphan(content: str) -> None:
    # Nothing desired, nothing at app.example.com: a TXT of ours would be an orphan.
    provider = provider_with(existing=[txt("a-app.example.com", content)])
    assert plan_of("", provider=provider).plan.changes == ()
    provider = provider_with(existing=[txt("a-app.example.com", OURS)])
    [change] = plan_of("", provider=provider).plan.changes
    assert change.action.value == "delete"  # the control: our own orphan does go


def test_our_value_beside_an_untrusted_one_is_contested_so_not_ours() -> None:
    foreign = rrset("app.example.com", "A", "198.51.100.7")
    provider = provider_with(existing=[foreign, txt("a-app.example.com", OURS, HOSTILE[0])])
    outcome = plan_of(SERVICE, provider=provider)
    assert outcome.plan.changes == ()
    assert "cannot be trusted" in outcome.diagnostics[0].message


def test_a_pre_v012_untrusted_txt_at_the_name_is_not_ours_either() -> None:
    foreign = rrset("app.example.com", "A", "198.51.100.7")
    provider = provider_with(existing=[foreign, txt("app.example.com", HOSTILE[1])])
    outcome = plan_of(SERVICE, provider=provider)
    assert outcome.plan.changes == ()
    assert "app.example.com. cannot be trusted" in outcome.diagnostics[0].message


def test_the_control_exact_content_of_ours_is_updated() -> None:
    ours = rrset("app.example.com", "A", "198.51.100.7")
    provider = provider_with(
        existing=[ours, ownership_txt("app.example.com", "A", "service/ns/x", "default")]
    )
    [change] = plan_of(SERVICE, provider=provider).plan.changes
    assert change.action.value == "update"
