"""Occluded names (RFC 1034 4.2.1, RFC 6672): nothing is planned at or below a delegation,
or below a DNAME, and NS/DNAME are never changed."""

from __future__ import annotations

import pytest

from dnssync.daemon.cache import ProviderCache
from dnssync.model.changes import Plan
from dnssync.model.names import DomainName
from dnssync.model.records import RecordType, RRset
from dnssync.model.refs import ObjectRef
from dnssync.ownership.txt import TxtRegistry
from dnssync.planning.occlusion import ZoneCuts
from dnssync.planning.planner import PlanSettings, build_plan
from dnssync.rules.merge import Contribution, DesiredRecord, MergeResult
from dnssync.testing.builders import name, ownership_txt, rrset
from dnssync.testing.scenarios import provider_with

ZONE = name("example.com")
REF = ObjectRef("service", "web", "app")
FIELD = "metadata.annotations[dnssync.io/hostname]"
DELEGATION = rrset("sub.example.com", "NS", "ns1.example.net.", "ns2.example.net.")
DNAME = rrset("legacy.example.com", "DNAME", "example.net.")
APEX_NS = rrset("example.com", "NS", "ns1.example.com.")


@pytest.mark.parametrize(
    ("label", "cut"),
    [
        ("example.com", None),
        ("www.example.com", None),
        ("sub.example.com", "the delegation sub.example.com. (NS)"),
        ("a.b.sub.example.com", "the delegation sub.example.com. (NS)"),
        ("notsub.example.com", None),
        ("legacy.example.com", None),  # the DNAME owner itself is not occluded
        ("x.legacy.example.com", "the DNAME at legacy.example.com."),
        ("deep.x.sub.example.com", "the delegation sub.example.com. (NS)"),
    ],
)
def test_which_names_are_occluded(label: str, cut: str | None) -> None:
    inner = rrset("x.sub.example.com", "NS", "ns.example.net.")  # below the outer one
    cuts = ZoneCuts(ZONE, [APEX_NS, DELEGATION, DNAME, inner])
    found = cuts.occluding(name(label))
    assert (found.describe() if found else None) == cut


def test_a_dname_at_the_apex_occludes_everything_below_it() -> None:
    cuts = ZoneCuts(ZONE, [rrset("example.com", "DNAME", "example.net.")])
    assert cuts.occluding(ZONE) is None
    found = cuts.occluding(name("www.example.com"))
    assert found is not None and found.name == ZONE


def want(*rrsets: RRset) -> MergeResult:
    return MergeResult(
        records={r.key: DesiredRecord(r, (Contribution(REF, FIELD),)) for r in rrsets}
    )


def plan(existing: list[RRset], wanted: MergeResult, registry: TxtRegistry) -> Plan:
    provider = provider_with(("example.com",), existing)
    return build_plan(wanted, provider.zones(), provider.records, PlanSettings(registry=registry))


def test_records_under_a_cut_are_refused_with_a_warning_naming_object_and_cut() -> None:
    result = plan(
        [DELEGATION, DNAME],
        want(
            rrset("x.sub.example.com", "A", "192.0.2.1"),
            rrset("sub.example.com", "A", "192.0.2.2"),
            rrset("x.legacy.example.com", "CNAME", "lb.example.net."),
            rrset("legacy.example.com", "A", "192.0.2.3"),  # beside a DNAME: fine
        ),
        TxtRegistry("me"),
    )
    assert sorted(str(c.key) for c in result.changes) == [
        "a-legacy.example.com. TXT",
        "legacy.example.com. A",
    ]
    occluded = sorted(
        (d.subject, d.field, d.severity.value, d.message)
        for d in result.diagnostics
        if d.reason == "Occluded"
    )
    assert [o[:3] for o in occluded] == [("service/web/app", FIELD, "Warning")] * 3
    assert occluded[0][3] == (
        "sub.example.com. A is not written: sub.example.com. A is occluded by the delegation "
        "sub.example.com. (NS) in zone example.com.; records there are not served by this "
        "zone (publish the name in the zone it is delegated to, or outside the DNAME)"
    )
    assert "occluded by the DNAME at legacy.example.com." in occluded[1][3]


def test_a_cname_beside_a_dname_is_refused() -> None:
    cname = rrset("legacy.example.com", "CNAME", "x.example.net.")
    result = plan([DNAME], want(cname), TxtRegistry("me"))
    assert not result.has_changes
    (problem,) = result.diagnostics
    assert "the name already holds DNAME" in problem.message


def test_our_records_under_a_new_delegation_are_neither_updated_nor_deleted() -> None:
    registry = TxtRegistry("me")
    old = rrset("old.sub.example.com", "A", "192.0.2.9")
    kept = rrset("kept.sub.example.com", "A", "192.0.2.8")
    point = rrset("sub.example.com", "A", "192.0.2.7")  # at the delegation point itself
    existing = [
        DELEGATION,
        old,
        ownership_txt(old.name.text, "A", "service/web/app", "me"),
        kept,
        ownership_txt(kept.name.text, "A", "service/web/app", "me"),
        point,
        # Its typed TXT is a sibling of the delegation, so not occluded: it must stay too.
        ownership_txt(point.name.text, "A", "service/web/gone", "me"),
    ]
    result = plan(existing, want(rrset("kept.sub.example.com", "A", "192.0.2.1")), registry)
    assert not result.has_changes
    assert result.zones[0].owned_records == 0


def test_an_occluded_ownership_name_refuses_the_record() -> None:
    registry = TxtRegistry("me", prefix="own-%{record_type}.")
    assert registry.txt_name(ZONE, RecordType.A, ZONE) == name("own-a.example.com")
    delegated = rrset("own-a.example.com", "NS", "ns.example.net.")
    result = plan([delegated], want(rrset("example.com", "A", "192.0.2.1")), registry)
    assert not result.has_changes
    (problem,) = result.diagnostics
    assert "the ownership TXT own-a.example.com. is occluded by the delegation" in problem.message


def test_the_planner_never_writes_ns_or_dname() -> None:
    result = plan(
        [],
        want(
            rrset("deleg.example.com", "NS", "ns.example.net."),
            rrset("alias.example.com", "DNAME", "example.net."),
        ),
        TxtRegistry("me"),
    )
    assert not result.has_changes
    assert sorted(d.message for d in result.diagnostics) == [
        "alias.example.com. DNAME: dnssync never writes DNAME records",
        "deleg.example.com. NS: dnssync never writes NS records",
    ]


def test_the_daemon_cache_gives_targeted_plans_the_cuts_above_their_names() -> None:
    cache = ProviderCache()
    cache.replace(ZONE, [APEX_NS, DELEGATION, DNAME, rrset("x.example.com", "A", "192.0.2.1")])
    found = cache.around(
        ZONE, [DomainName.parse("a.b.sub.example.com"), name("x.legacy.example.com")], TxtRegistry()
    )
    assert {str(r.key) for r in found} == {
        "sub.example.com. NS",
        "legacy.example.com. DNAME",
        "example.com. NS",
    }
