"""The provider contract: one pytest suite that every provider must pass.

Subclass :class:`ProviderContract` in your provider's tests and supply two fixtures:

``zone``
    a :class:`DomainName` the provider manages;
``provider``
    a fresh provider instance managing ``zone``, holding none of the names the suite uses
    (the suite writes under ``contract-*`` names in the zone).

Example::

    class TestMyProvider(ProviderContract):
        @pytest.fixture
        def zone(self) -> DomainName: ...
        @pytest.fixture
        def provider(self, zone) -> Iterator[Provider]: ...

A provider may report a conflict either by raising ``ProviderConflictError`` or by
returning it as a failed group in the ``ApplyResult``; both are accepted, but the zone
must be left exactly as it was.

Zone cuts: ``records()`` lists the NS sets below the apex and the DNAME sets (read only:
the planner never changes them, and plans nothing at or below a delegation or below a
DNAME). The suite writes them through ``apply`` to set them up; a provider whose service
has no DNAME sets ``cut_types = ("NS",)``.
"""

from __future__ import annotations

from typing import ClassVar

import pytest

from dnssync.errors import ProviderConflictError
from dnssync.model.changes import ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import RecordKey, RecordType, RRset
from dnssync.model.refs import ObjectRef
from dnssync.ownership.txt import TxtRegistry
from dnssync.planning.planner import PlanSettings, build_plan
from dnssync.providers.base import Provider
from dnssync.rules.merge import Contribution, DesiredRecord, MergeResult
from dnssync.testing.builders import create, delete, ownership_txt, rrset, update


def _index(provider: Provider, zone: DomainName) -> dict[RecordKey, RRset]:
    return {r.key: r for r in provider.records(zone)}


def _apply_ok(provider: Provider, zone: DomainName, *groups: ChangeGroup) -> None:
    result = provider.apply(zone, list(groups))
    assert not result.failed, [f.message for f in result.failed]
    assert len(result.applied) == len(groups)


def _apply_conflict(provider: Provider, zone: DomainName, group: ChangeGroup) -> None:
    try:
        result = provider.apply(zone, [group])
    except ProviderConflictError:
        return
    assert not result.applied, "a conflicting group was applied"
    assert result.failed and result.failed[0].message


class ProviderContract:
    """Behaviour every provider owes the planner."""

    # Zone-cut types the provider's service can hold (Route53 and Cloud DNS have no DNAME).
    cut_types: ClassVar[tuple[str, ...]] = ("NS", "DNAME")
    # Whether the service stores a '*' inside a label (``a-*.apps``, the default ownership
    # TXT name of a wildcard). One that refuses it must say so, naming the flag
    # --txt-wildcard-replacement, and store the replaced name instead.
    literal_star_names: ClassVar[bool] = True

    def n(self, zone: DomainName, label: str) -> str:
        return f"{label}.{zone.text}"

    def test_zone_is_listed(self, provider: Provider, zone: DomainName) -> None:
        assert zone in provider.zones()

    def test_each_type_round_trips(self, provider: Provider, zone: DomainName) -> None:
        sets = [
            rrset(self.n(zone, "contract-a"), "A", "192.0.2.1", "192.0.2.2"),
            rrset(self.n(zone, "contract-aaaa"), "AAAA", "2001:db8::1"),
            rrset(self.n(zone, "contract-cname"), "CNAME", "lb-1.elb.example.net."),
            rrset(
                self.n(zone, "_contract._tcp"),
                "SRV",
                f"0 100 88 contract-a.{zone.fqdn}",
                f"10 50 750 contract-aaaa.{zone.fqdn}",
            ),
        ]
        groups = [
            create(zone, s, ownership_txt(s.name.text, s.rtype.value, "service/ns/x")) for s in sets
        ]
        _apply_ok(provider, zone, *groups)
        held = _index(provider, zone)
        for group in groups:
            for change in group:
                assert held.get(change.key) == change.new, change.key

    def test_ipv6_is_canonical(self, provider: Provider, zone: DomainName) -> None:
        record = rrset(self.n(zone, "contract-v6"), "AAAA", "2001:0db8:0000::0001")
        _apply_ok(provider, zone, create(zone, record))
        held = _index(provider, zone)[record.key]
        assert held.value_texts() == ["2001:db8::1"]

    def test_long_and_quoted_txt_round_trips(self, provider: Provider, zone: DomainName) -> None:
        long_text = "k=" + "x" * 300
        record = rrset(self.n(zone, "contract-txt"), "TXT", long_text)
        quoted = rrset(
            self.n(zone, "contract-quoted"), "TXT", '"a \\"quoted\\" value, with=commas"'
        )
        _apply_ok(provider, zone, create(zone, record), create(zone, quoted))
        held = _index(provider, zone)
        assert held[record.key] == record
        assert held[quoted.key] == quoted

    def test_update_changes_values_and_ttl(self, provider: Provider, zone: DomainName) -> None:
        old = rrset(self.n(zone, "contract-up"), "A", "192.0.2.10", ttl=300)
        _apply_ok(provider, zone, create(zone, old))
        new = rrset(self.n(zone, "contract-up"), "A", "192.0.2.11", "192.0.2.12", ttl=60)
        _apply_ok(provider, zone, update(zone, old, new))
        assert _index(provider, zone)[new.key] == new

    def test_delete_removes_record_and_its_txt(self, provider: Provider, zone: DomainName) -> None:
        record = rrset(self.n(zone, "contract-del"), "A", "192.0.2.20")
        txt = ownership_txt(record.name.text, "A", "service/ns/del")
        _apply_ok(provider, zone, create(zone, record, txt))
        _apply_ok(provider, zone, delete(zone, record, txt))
        held = _index(provider, zone)
        assert record.key not in held
        assert txt.key not in held

    def test_create_over_existing_is_a_conflict(self, provider: Provider, zone: DomainName) -> None:
        first = rrset(self.n(zone, "contract-dup"), "A", "192.0.2.30")
        _apply_ok(provider, zone, create(zone, first))
        second = rrset(self.n(zone, "contract-dup"), "A", "192.0.2.31")
        _apply_conflict(provider, zone, create(zone, second))
        assert _index(provider, zone)[first.key] == first

    def test_stale_update_is_a_conflict(self, provider: Provider, zone: DomainName) -> None:
        current = rrset(self.n(zone, "contract-stale"), "A", "192.0.2.40")
        _apply_ok(provider, zone, create(zone, current))
        believed = rrset(self.n(zone, "contract-stale"), "A", "192.0.2.41")
        wanted = rrset(self.n(zone, "contract-stale"), "A", "192.0.2.42")
        _apply_conflict(provider, zone, update(zone, believed, wanted))
        assert _index(provider, zone)[current.key] == current

    def test_stale_delete_is_a_conflict(self, provider: Provider, zone: DomainName) -> None:
        current = rrset(self.n(zone, "contract-sdel"), "A", "192.0.2.50")
        _apply_ok(provider, zone, create(zone, current))
        believed = rrset(self.n(zone, "contract-sdel"), "A", "192.0.2.51")
        _apply_conflict(provider, zone, delete(zone, believed))
        assert _index(provider, zone)[current.key] == current

    def test_group_is_all_or_nothing(self, provider: Provider, zone: DomainName) -> None:
        taken = rrset(self.n(zone, "contract-taken"), "A", "192.0.2.60")
        _apply_ok(provider, zone, create(zone, taken))
        fresh = rrset(self.n(zone, "contract-fresh"), "A", "192.0.2.61")
        clash = rrset(self.n(zone, "contract-taken"), "A", "192.0.2.62")
        _apply_conflict(provider, zone, create(zone, fresh, clash))
        held = _index(provider, zone)
        assert fresh.key not in held
        assert held[taken.key] == taken

    def test_good_groups_apply_beside_a_bad_one(self, provider: Provider, zone: DomainName) -> None:
        taken = rrset(self.n(zone, "contract-busy"), "A", "192.0.2.70")
        _apply_ok(provider, zone, create(zone, taken))
        good = [rrset(self.n(zone, f"contract-ok{i}"), "A", f"192.0.2.{80 + i}") for i in range(3)]
        bad = create(zone, rrset(self.n(zone, "contract-busy"), "A", "192.0.2.79"))
        try:
            result = provider.apply(zone, [create(zone, g) for g in good] + [bad])
        except ProviderConflictError:
            pytest.fail("one bad group must not stop the good ones")
        assert len(result.failed) == 1
        assert result.failed[0].group == bad
        held = _index(provider, zone)
        assert all(held.get(g.key) == g for g in good)

    def test_many_records_in_one_apply(self, provider: Provider, zone: DomainName) -> None:
        groups = []
        for i in range(150):
            record = rrset(self.n(zone, f"contract-bulk{i}"), "A", f"198.51.100.{i}")
            groups.append(
                create(zone, record, ownership_txt(record.name.text, "A", f"service/ns/b{i}"))
            )
        _apply_ok(provider, zone, *groups)
        held = _index(provider, zone)
        assert all(c.new == held.get(c.key) for g in groups for c in g)

    def test_replace_cname_by_a_in_one_apply(self, provider: Provider, zone: DomainName) -> None:
        cname = rrset(self.n(zone, "contract-switch"), "CNAME", "lb.example.net.")
        _apply_ok(provider, zone, create(zone, cname))
        a = rrset(self.n(zone, "contract-switch"), "A", "192.0.2.90")
        _apply_ok(provider, zone, create(zone, a), delete(zone, cname))
        held = _index(provider, zone)
        assert held.get(a.key) == a
        assert cname.key not in held

    # -- wildcards (docs/ownership.md, "Wildcards") --------------------------------------

    def test_wildcard_and_its_ownership_txt_round_trip(
        self, provider: Provider, zone: DomainName
    ) -> None:
        star = rrset(self.n(zone, "*.contract-wc"), "A", "192.0.2.7")
        cname = rrset(self.n(zone, "*.contract-wcc"), "CNAME", "lb-2.elb.example.net.")
        groups = [
            create(zone, r, ownership_txt(r.name.text, r.rtype.value, "service/ns/wc"))
            for r in (star, cname)
        ]
        assert {c.key.name.text for g in groups for c in g if c.key.rtype is RecordType.TXT} == {
            f"a-*.contract-wc.{zone.text}",
            f"cname-*.contract-wcc.{zone.text}",
        }
        if not self.literal_star_names:
            result = provider.apply(zone, groups)
            assert not result.applied and len(result.failed) == 2
            assert all("--txt-wildcard-replacement" in f.message for f in result.failed)
            assert not {c.key for g in groups for c in g} & set(_index(provider, zone))
            groups = [
                create(
                    zone,
                    r,
                    ownership_txt(
                        r.name.text, r.rtype.value, "service/ns/wc", wildcard_replacement="wc"
                    ),
                )
                for r in (star, cname)
            ]
        _apply_ok(provider, zone, *groups)
        held = _index(provider, zone)
        for group in groups:
            for change in group:
                assert held.get(change.key) == change.new, change.key
        _apply_ok(provider, zone, *(delete(zone, *(c.new for c in g if c.new)) for g in groups))
        assert not {c.key for g in groups for c in g} & set(_index(provider, zone))

    def test_wildcard_is_planned_owned_and_removed(
        self, provider: Provider, zone: DomainName
    ) -> None:
        replacement = "" if self.literal_star_names else "wildcard"
        registry = TxtRegistry("contract", wildcard_replacement=replacement)
        settings = PlanSettings(registry=registry, force=True)
        star = rrset(self.n(zone, "*.contract-wcp"), "A", "192.0.2.8")
        ref = ObjectRef("service", "ns", "wild")
        desired = MergeResult(records={star.key: DesiredRecord(star, (Contribution(ref, "x"),))})
        plan = build_plan(desired, [zone], provider.records, settings)
        txt_name = f"a-{replacement or '*'}.contract-wcp.{zone.fqdn}"
        assert {str(c.key) for c in plan.changes} == {f"{star.name.fqdn} A", f"{txt_name} TXT"}
        for zone_plan in plan.zones:
            result = provider.apply(zone_plan.zone, zone_plan.groups)
            assert result.ok, [f.message for f in result.failed]
        # Read back: the record is ours, so nothing is left to do.
        again = build_plan(desired, [zone], provider.records, settings)
        assert not again.changes, [str(c.key) for c in again.changes]
        gone = build_plan(MergeResult(records={}), [zone], provider.records, settings)
        mine = [c for c in gone.changes if "contract-wcp." in c.key.name.text]
        assert {(str(c.key), c.action.value) for c in mine} == {
            (f"{star.name.fqdn} A", "delete"),
            (f"{txt_name} TXT", "delete"),
        }
        groups = [
            g for z in gone.zones for g in z.groups if "contract-wcp." in g.primary.key.name.text
        ]
        result = provider.apply(zone, groups)
        assert result.ok, [f.message for f in result.failed]
        held = {str(k) for k in _index(provider, zone)}
        assert f"{star.name.fqdn} A" not in held and f"{txt_name} TXT" not in held

    # -- zone cuts (occluded names) -----------------------------------------------------

    def cuts(self, zone: DomainName) -> list[RRset]:
        found = []
        if "NS" in self.cut_types:
            found.append(
                rrset(self.n(zone, "contract-deleg"), "NS", "ns1.example.net.", "ns2.example.net.")
            )
        if "DNAME" in self.cut_types:
            found.append(rrset(self.n(zone, "contract-dname"), "DNAME", "target.example.net."))
        return found

    def test_zone_cuts_are_listed(self, provider: Provider, zone: DomainName) -> None:
        cuts = self.cuts(zone)
        _apply_ok(provider, zone, *(create(zone, c) for c in cuts))
        held = _index(provider, zone)
        for cut in cuts:
            assert held.get(cut.key) == cut
        # The apex NS is no delegation: it is never listed.
        assert RecordKey(zone, RecordType.NS) not in held

    def test_nothing_is_planned_at_or_below_a_cut(
        self, provider: Provider, zone: DomainName
    ) -> None:
        # One of our records below where the delegation is about to be made: it exists,
        # it is ours, it is no longer desired, and still it must not be deleted.
        below = rrset(self.n(zone, "old.contract-deleg"), "A", "192.0.2.99")
        if "NS" in self.cut_types:
            txt = ownership_txt(below.name.text, "A", "service/ns/old")
            _apply_ok(provider, zone, create(zone, below, txt))
        cuts = self.cuts(zone)
        _apply_ok(provider, zone, *(create(zone, c) for c in cuts))
        wanted = [rrset(self.n(zone, "contract-free"), "A", "192.0.2.4")]
        if "NS" in self.cut_types:
            wanted.append(rrset(self.n(zone, "x.contract-deleg"), "A", "192.0.2.1"))
            wanted.append(rrset(self.n(zone, "contract-deleg"), "A", "192.0.2.2"))
        if "DNAME" in self.cut_types:
            wanted.append(rrset(self.n(zone, "x.contract-dname"), "A", "192.0.2.3"))
        ref = ObjectRef("service", "ns", "app")
        desired = MergeResult(
            records={r.key: DesiredRecord(r, (Contribution(ref, "hostname"),)) for r in wanted}
        )
        settings = PlanSettings(registry=TxtRegistry("contract"), force=True)
        plan = build_plan(desired, [zone], provider.records, settings)
        cut_names = [c.name for c in cuts]
        planned = {str(c.key) for c in plan.changes}
        assert planned == {
            f"contract-free.{zone.fqdn} A",
            f"a-contract-free.{zone.fqdn} TXT",
        }
        occluded = [d for d in plan.diagnostics if d.reason == "Occluded"]
        refused = {w.name for w in wanted if any(w.name.is_subdomain_of(n) for n in cut_names)}
        assert len(occluded) == len(refused)
        assert all(d.subject == "service/ns/app" and d.field == "hostname" for d in occluded)
        for result in [provider.apply(z.zone, z.groups) for z in plan.zones if z.groups]:
            assert result.ok, [f.message for f in result.failed]
        held = _index(provider, zone)
        for cut in cuts:
            assert held.get(cut.key) == cut
        if "NS" in self.cut_types:
            assert held.get(below.key) == below
