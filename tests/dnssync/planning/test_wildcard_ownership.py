"""Wildcard records in a zone: their ownership TXT in both ExternalDNS forms, taken over
with the same owner id; a replacement that makes two records share one TXT is refused."""

from __future__ import annotations

from collections.abc import Sequence

from dnssync.engine import EngineSettings, ProviderReader, check_plan
from dnssync.model.names import DomainName
from dnssync.model.records import MANAGED_TYPES, RRset
from dnssync.ownership.txt import TxtRegistry
from dnssync.planning.planner import PlanSettings
from dnssync.providers.base import Provider
from dnssync.rules.state import DesiredState
from dnssync.testing.builders import ownership_txt, rrset
from dnssync.testing.scenarios import (
    change_lines,
    plan_of,
    problems,
    provider_with,
    snapshot_of,
)

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


class ScopedReader(ProviderReader):
    """Returns only the records at the asked names and their ownership TXT names, as the
    daemon's cache does for a scoped plan."""

    def __init__(self, provider: Provider, registry: TxtRegistry) -> None:
        super().__init__(provider)
        self.registry = registry
        self.asked: list[frozenset[DomainName] | None] = []

    def records(self, zone: DomainName, names: frozenset[DomainName] | None) -> Sequence[RRset]:
        self.asked.append(names)
        everything = super().records(zone, None)
        if names is None:
            return everything
        wanted = set(names) | {
            self.registry.txt_name(n, t, zone) for n in names for t in MANAGED_TYPES
        }
        return [r for r in everything if r.name in wanted]


def test_a_scoped_plan_sees_the_name_that_shares_the_txt() -> None:
    """The daemon plans only the names an event touched; a wildcard's scope takes in the
    name its replacement spells, so the shared TXT is refused there too."""
    provider = provider_with(existing=[rrset("wc.apps.example.com", "A", "198.51.100.7")])
    engine = settings("wc")
    desired = DesiredState.build(
        snapshot_of(svc("apps", "*.apps.example.com")).objects, engine.rules
    )
    reader = ScopedReader(provider, engine.plan.registry)
    star = DomainName.parse("*.apps.example.com")
    outcome = check_plan(desired, reader, engine, scope=frozenset({star}))
    assert reader.asked == [frozenset({star, DomainName.parse("wc.apps.example.com")})]
    assert change_lines(outcome.plan) == []
    assert problems(outcome.diagnostics) == [("service/web/apps", HOSTNAME, "OwnershipNameInvalid")]


def test_a_replaced_wildcard_txt_is_no_orphan_without_the_flag() -> None:
    """ExternalDNS ran with --txt-wildcard-replacement wc, dnssync without it: a-wc.apps
    cannot be told from the TXT of a deleted wc.apps record, so it stays (and *.apps is
    not ours: never changed)."""
    txt = ownership_txt(
        "*.apps.example.com", "A", "service/web/apps", owner_id="default", wildcard_replacement="wc"
    )
    provider = provider_with(existing=[rrset("*.apps.example.com", "A", "203.0.113.5"), txt])
    outcome = plan_of(svc("other", "other.example.com"), provider=provider)
    assert change_lines(outcome.plan) == [
        "create other.example.com. A 203.0.113.5",
        "create a-other.example.com. TXT "
        + TXT.format(owner="default", resource="service/web/other"),
    ]
    # Without the wildcard beside it, the same TXT is an orphan of ours and goes.
    provider = provider_with(existing=[txt])
    outcome = plan_of(svc("other", "other.example.com"), provider=provider)
    assert "delete a-wc.apps.example.com. TXT " + TXT.format(
        owner="default", resource="service/web/apps"
    ) in change_lines(outcome.plan)
