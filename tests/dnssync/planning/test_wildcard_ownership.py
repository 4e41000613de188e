"""Wildcard records in a zone: their ownership TXT in both ExternalDNS forms, taken over
with the same owner id; a replacement that makes two records share one TXT is refused."""

from __future__ import annotations

from dnssync.engine import EngineSettings
from dnssync.ownership.txt import TxtRegistry
from dnssync.planning.planner import PlanSettings
from dnssync.testing.builders import ownership_txt, rrset
from dnssync.testing.scenarios import change_lines, plan_of, problems, provider_with

HOSTNAME = "metadata.annotations[dnssync.io/hostname]"
TXT = '"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}"'


def svc(name: str, hostname: str, ingress: str = "[{ip: 203.0.113.5}]") -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: web
  annotations: {{dnssync.io/hostname: '{hostname}'}}
spec: {{type: LoadBalancer, ports: [{{port: 443}}]}}
status: {{loadBalancer: {{ingress: {ingress}}}}}
"""


def settings(replacement: str = "") -> EngineSettings:
    return EngineSettings(
        plan=PlanSettings(registry=TxtRegistry("default", wildcard_replacement=replacement))
    )


def test_wildcard_is_created_with_its_txt_at_a_star_name() -> None:
    outcome = plan_of(svc("apps", "*.apps.example.com"))
    assert not outcome.diagnostics
    assert change_lines(outcome.plan) == [
        "create *.apps.example.com. A 203.0.113.5",
        "create a-*.apps.example.com. TXT "
        + TXT.format(owner="default", resource="service/web/apps"),
    ]


def test_wildcard_with_a_replacement() -> None:
    outcome = plan_of(svc("apps", "*.apps.example.com"), settings=settings("wildcard"))
    assert change_lines(outcome.plan) == [
        "create *.apps.example.com. A 203.0.113.5",
        "create a-wildcard.apps.example.com. TXT "
        + TXT.format(owner="default", resource="service/web/apps"),
    ]


def test_externaldns_wildcard_is_taken_over_in_either_form() -> None:
    for replacement in ("", "wc"):
        provider = provider_with(
            existing=[
                rrset("*.apps.example.com", "A", "203.0.113.5"),
                ownership_txt(
                    "*.apps.example.com",
                    "A",
                    "service/web/apps",
                    owner_id="default",
                    wildcard_replacement=replacement,
                ),
            ]
        )
        outcome = plan_of(
            svc("apps", "*.apps.example.com"), provider=provider, settings=settings(replacement)
        )
        assert change_lines(outcome.plan) == [], replacement
        assert outcome.plan.zones[0].owned_records == 1
        # Gone from the source: the record and its TXT are deleted, never left as orphans.
        gone = plan_of(
            svc("other", "other.example.com"), provider=provider, settings=settings(replacement)
        )
        star = replacement or "*"
        assert change_lines(gone.plan) == [
            "delete *.apps.example.com. A 203.0.113.5",
            f"delete a-{star}.apps.example.com. TXT "
            + TXT.format(owner="default", resource="service/web/apps"),
            "create other.example.com. A 203.0.113.5",
            "create a-other.example.com. TXT "
            + TXT.format(owner="default", resource="service/web/other"),
        ], replacement


def test_wildcard_of_another_owner_is_left_alone() -> None:
    provider = provider_with(
        existing=[
            rrset("*.apps.example.com", "A", "198.51.100.1"),
            ownership_txt("*.apps.example.com", "A", "service/x/y", owner_id="other"),
        ]
    )
    outcome = plan_of(svc("apps", "*.apps.example.com"), provider=provider)
    assert change_lines(outcome.plan) == []
    assert problems(outcome.diagnostics) == [("service/web/apps", HOSTNAME, "NotOwned")]
    assert "is owned by 'other'" in outcome.diagnostics[0].message


def test_replacement_shared_with_a_real_name_is_refused() -> None:
    both = svc("apps", "*.apps.example.com") + svc("wc", "wc.apps.example.com")
    outcome = plan_of(both, settings=settings("wc"))
    assert change_lines(outcome.plan) == []
    assert sorted(problems(outcome.diagnostics)) == [
        ("service/web/apps", HOSTNAME, "OwnershipNameInvalid"),
        ("service/web/wc", HOSTNAME, "OwnershipNameInvalid"),
    ]
    assert "choose a replacement that no published name uses" in outcome.diagnostics[0].message


def test_shared_txt_never_makes_someone_elses_record_ours() -> None:
    """wc.apps (written by hand) and our *.apps share a-wc.apps: neither is touched."""
    provider = provider_with(
        existing=[
            rrset("*.apps.example.com", "A", "203.0.113.5"),
            rrset("wc.apps.example.com", "A", "198.51.100.7"),
            ownership_txt(
                "*.apps.example.com",
                "A",
                "service/web/apps",
                owner_id="default",
                wildcard_replacement="wc",
            ),
        ]
    )
    outcome = plan_of(svc("other", "other.example.com"), provider=provider, settings=settings("wc"))
    assert change_lines(outcome.plan) == [
        "create other.example.com. A 203.0.113.5",
        "create a-other.example.com. TXT "
        + TXT.format(owner="default", resource="service/web/other"),
    ]
