"""Policies, the safety threshold and never-delete-on-failed-source (docs/safety.md)."""

from __future__ import annotations

import pytest

from dnssync.engine import EngineSettings
from dnssync.model.changes import Action
from dnssync.model.names import DomainName
from dnssync.model.records import RRset
from dnssync.planning.planner import DomainFilter, PlanSettings, Policy
from dnssync.testing.builders import ownership_txt, rrset
from dnssync.testing.scenarios import change_lines, plan_of, provider_with

N = DomainName.parse


def svc(name: str, ip: str, hostname: str | None = None) -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: krb
  annotations: {{dnssync.io/hostname: {hostname or name + ".example.com"}}}
spec: {{type: LoadBalancer, ports: [{{port: 443}}]}}
status: {{loadBalancer: {{ingress: [{{ip: {ip}}}]}}}}
"""


def owned_records(count: int, prefix: str = "r") -> list[RRset]:
    found = []
    for i in range(count):
        name = f"{prefix}{i}.example.com"
        found.append(rrset(name, "A", f"192.0.2.{i + 1}"))
        found.append(ownership_txt(name, "A", f"service/krb/{prefix}{i}", owner_id="default"))
    return found


def services(count: int, prefix: str = "r", changed: int = 0) -> str:
    """Services matching owned_records; the first ``changed`` have a new IP."""
    return "".join(
        svc(f"{prefix}{i}", f"198.51.100.{i + 1}" if i < changed else f"192.0.2.{i + 1}")
        for i in range(count)
    )


def settings(**plan: object) -> EngineSettings:
    return EngineSettings(plan=PlanSettings(**plan))  # type: ignore[arg-type]


def actions(outcome: object) -> list[tuple[str, str]]:
    plan = getattr(outcome, "plan")  # noqa: B009
    return sorted((c.action.value, c.name.text) for c in plan.changes if c.rtype.value != "TXT")


POLICY_ZONE = [
    rrset("keep.example.com", "A", "192.0.2.1"),
    ownership_txt("keep.example.com", "A", "service/krb/keep", owner_id="default"),
    rrset("move.example.com", "A", "192.0.2.2"),
    ownership_txt("move.example.com", "A", "service/krb/move", owner_id="default"),
    rrset("gone.example.com", "A", "192.0.2.3"),
    ownership_txt("gone.example.com", "A", "service/krb/gone", owner_id="default"),
    ownership_txt("orphan.example.com", "A", "service/krb/orphan", owner_id="default"),
]
POLICY_SOURCES = svc("keep", "192.0.2.1") + svc("move", "192.0.2.20") + svc("new", "192.0.2.4")


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            Policy.SYNC,
            [
                ("create", "new.example.com"),
                ("delete", "gone.example.com"),
                ("update", "move.example.com"),
            ],
        ),
        (Policy.UPSERT_ONLY, [("create", "new.example.com"), ("update", "move.example.com")]),
        (Policy.CREATE_ONLY, [("create", "new.example.com")]),
    ],
)
def test_policies(policy: Policy, expected: list[tuple[str, str]]) -> None:
    outcome = plan_of(
        POLICY_SOURCES,
        provider=provider_with(existing=POLICY_ZONE),
        settings=settings(policy=policy),
    )
    assert actions(outcome) == expected
    orphan_deleted = any(
        c.action is Action.DELETE and c.name.text == "a-orphan.example.com"
        for c in outcome.plan.changes
    )
    assert orphan_deleted is (policy is Policy.SYNC)
    assert not outcome.unsafe


@pytest.mark.parametrize(
    ("owned", "kept", "changed", "percent", "unsafe"),
    [
        (10, 7, 0, 30, False),  # 3 of 10 deleted: 30%, not more than 30%
        (10, 6, 0, 30, True),  # 4 of 10 deleted: 40%
        (10, 10, 4, 30, True),  # 4 of 10 updated
        (10, 8, 2, 30, True),  # 2 deleted + 2 updated
        (10, 10, 3, 30, False),
        (10, 6, 0, 40, False),
        (10, 6, 0, 0, True),
        (10, 10, 1, 0, True),
        (9, 1, 0, 30, False),  # fewer than 10 owned: no threshold
        (20, 13, 0, 30, True),  # 7 of 20 = 35%
        (20, 14, 0, 30, False),  # 6 of 20 = 30%
    ],
)
def test_max_change_percent(
    owned: int, kept: int, changed: int, percent: int, unsafe: bool
) -> None:
    provider = provider_with(existing=owned_records(owned))
    outcome = plan_of(
        services(kept, changed=changed) + svc("fresh", "192.0.2.200"),
        provider=provider,
        settings=settings(max_change_percent=float(percent)),
    )
    assert bool(outcome.unsafe) is unsafe
    if unsafe:
        (problem,) = outcome.unsafe
        assert "zone example.com." in problem
        assert f"of {owned} owned records" in problem
        assert "--max-change-percent" in problem and "--force" in problem
    forced = plan_of(
        services(kept, changed=changed),
        provider=provider_with(existing=owned_records(owned)),
        settings=settings(max_change_percent=float(percent), force=True),
    )
    assert not forced.unsafe


def test_creates_and_txt_rewrites_do_not_count() -> None:
    existing = [rrset(f"r{i}.example.com", "A", f"192.0.2.{i + 1}") for i in range(10)] + [
        ownership_txt(f"r{i}.example.com", "A", f"service/old/r{i}", owner_id="default")
        for i in range(10)
    ]
    outcome = plan_of(
        services(10) + "".join(svc(f"n{i}", f"192.0.2.{100 + i}") for i in range(30)),
        provider=provider_with(existing=existing),
    )
    assert not outcome.unsafe
    assert outcome.plan.summary() == {"create": 60, "update": 10, "delete": 0}


def test_empty_source_while_owning_records_is_refused() -> None:
    outcome = plan_of("", provider=provider_with(existing=owned_records(2)))
    (problem,) = outcome.unsafe
    assert "returned no records while dnssync owns 2" in problem
    assert "--force" in problem
    forced = plan_of(
        "", provider=provider_with(existing=owned_records(2)), settings=settings(force=True)
    )
    assert not forced.unsafe
    assert forced.plan.summary()["delete"] == 4


def test_empty_source_and_nothing_owned_is_fine() -> None:
    outcome = plan_of(
        "", provider=provider_with(existing=[rrset("x.example.com", "A", "192.0.2.1")])
    )
    assert not outcome.unsafe
    assert not outcome.plan.has_changes


def test_broken_file_means_no_deletes_at_all() -> None:
    provider = provider_with(existing=owned_records(3) + POLICY_ZONE)
    outcome = plan_of(
        svc("r0", "198.51.100.1") + svc("new", "192.0.2.4"),
        "kind: Service\nmetadata: {name: [oops\n",
        provider=provider,
    )
    assert actions(outcome) == [("create", "new.example.com"), ("update", "r0.example.com")]
    assert all(c.action is not Action.DELETE for c in outcome.plan.changes)
    assert next(d.reason for d in outcome.diagnostics) == "BrokenManifest"
    assert not outcome.unsafe


def test_object_failing_projection_keeps_its_records() -> None:
    provider = provider_with(existing=owned_records(3))
    broken_r1 = """
---
apiVersion: v1
kind: Service
metadata: {name: r1, namespace: krb}
spec: {type: LoadBalancer, ports: [{port: not-a-number}]}
"""
    outcome = plan_of(svc("r0", "192.0.2.1") + broken_r1, provider=provider)
    # r1 exists but cannot be read: kept; r2 is gone from the source: deleted.
    assert actions(outcome) == [("delete", "r2.example.com")]
    assert [(d.subject, d.field) for d in outcome.diagnostics] == [
        ("service/krb/r1 in m00.yaml (document 2)", "spec.ports[0].port")
    ]


def test_object_with_a_bad_annotation_keeps_its_records() -> None:
    provider = provider_with(existing=owned_records(3))
    bad_ttl = svc("r1", "192.0.2.99").replace(
        "dnssync.io/hostname:", "dnssync.io/ttl: soon, dnssync.io/hostname:"
    )
    outcome = plan_of(svc("r0", "192.0.2.1") + bad_ttl, provider=provider)
    # r1's records depend on the bad TTL: neither updated to 192.0.2.99 nor deleted.
    assert actions(outcome) == [("delete", "r2.example.com")]
    assert [(d.subject, d.field, d.reason) for d in outcome.diagnostics] == [
        ("service/krb/r1", "metadata.annotations[dnssync.io/ttl]", "InvalidAnnotation")
    ]


def test_domain_filters() -> None:
    provider = provider_with(
        zones=("example.com", "example.org"),
        existing=owned_records(1, prefix="internal-"),
    )
    sources = (
        svc("a", "192.0.2.1", "a.example.com")
        + svc("b", "192.0.2.2", "b.dev.example.com")
        + svc("c", "192.0.2.3", "c.example.org")
    )
    outcome = plan_of(
        sources,
        provider=provider,
        settings=settings(
            domain_filter=DomainFilter(include=(N("example.com"),), exclude=(N("dev.example.com"),))
        ),
    )
    assert actions(outcome) == [
        ("create", "a.example.com"),
        ("delete", "internal-0.example.com"),
    ]
    # Names filtered out are not "outside every zone": no warning about them.
    assert not outcome.diagnostics
    assert [z.zone.text for z in outcome.plan.zones] == ["example.com"]


def test_excluded_domain_records_are_never_deleted() -> None:
    provider = provider_with(existing=owned_records(2, prefix="x") + owned_records(1))
    outcome = plan_of(
        svc("r0", "192.0.2.1"),
        provider=provider,
        settings=settings(domain_filter=DomainFilter(exclude=(N("x0.example.com"),))),
    )
    assert actions(outcome) == [("delete", "x1.example.com")]


def test_change_lines_are_ordered_by_name_within_a_zone() -> None:
    outcome = plan_of(svc("b", "192.0.2.2") + svc("a", "192.0.2.1"))
    assert [line.split(" ")[1] for line in change_lines(outcome.plan)] == [
        "a.example.com.",
        "a-a.example.com.",
        "b.example.com.",
        "a-b.example.com.",
    ]


def test_excluded_domain_orphan_txt_is_left_alone() -> None:
    provider = provider_with(
        existing=[
            ownership_txt("x0.example.com", "A", "service/krb/x0", owner_id="default"),
            *owned_records(1),
        ]
    )
    outcome = plan_of(
        svc("r0", "192.0.2.1"),
        provider=provider,
        settings=settings(domain_filter=DomainFilter(exclude=(N("x0.example.com"),))),
    )
    assert not outcome.plan.has_changes
