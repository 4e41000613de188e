"""The diff of a zone: desired records + provider records + ownership -> change groups."""

from __future__ import annotations

from dnssync.engine import EngineSettings
from dnssync.model.changes import Action
from dnssync.model.names import DomainName
from dnssync.model.records import RecordType, RRset, Text
from dnssync.ownership.txt import TxtRegistry
from dnssync.planning.planner import PlanSettings, Policy
from dnssync.providers.inmemory import InMemoryProvider
from dnssync.testing.builders import ownership_txt, rrset
from dnssync.testing.scenarios import (
    change_lines,
    converge,
    plan_of,
    problems,
    provider_with,
    snapshot_of,
)

HOSTNAME = "metadata.annotations[dnssync.io/hostname]"
TXT = "heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}"


def svc(
    name: str, hostname: str, ingress: str, extra: str = "", ports: str = "[{port: 443}]"
) -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: krb
  annotations: {{dnssync.io/hostname: '{hostname}'{extra}}}
spec: {{type: LoadBalancer, ports: {ports}}}
status: {{loadBalancer: {{ingress: {ingress}}}}}
"""


KERBEROS = svc(
    "kdc-tcp",
    "kdc-tcp.example.com",
    "[{ip: 203.0.113.10}]",
    ", dnssync.io/srv-domain: example.com",
    "[{name: kerberos, port: 88, protocol: TCP}]",
) + svc(
    "kdc-udp",
    "kdc-udp.example.com",
    "[{ip: 203.0.113.11}]",
    ", dnssync.io/srv-domain: example.com",
    "[{name: kerberos, port: 88, protocol: UDP}]",
)


def owned(name: str, rtype: str, resource: str, owner: str = "default") -> RRset:
    return ownership_txt(name, rtype, resource, owner_id=owner)


def test_kerberos_worked_example_four_records_and_four_txt() -> None:
    outcome = plan_of(KERBEROS)
    assert not outcome.diagnostics
    tcp = '"' + TXT.format(owner="default", resource="service/krb/kdc-tcp") + '"'
    udp = '"' + TXT.format(owner="default", resource="service/krb/kdc-udp") + '"'
    assert change_lines(outcome.plan) == [
        "create _kerberos._tcp.example.com. SRV 0 100 88 kdc-tcp.example.com.",
        f"create srv-_kerberos._tcp.example.com. TXT {tcp}",
        "create _kerberos._udp.example.com. SRV 0 100 88 kdc-udp.example.com.",
        f"create srv-_kerberos._udp.example.com. TXT {udp}",
        "create kdc-tcp.example.com. A 203.0.113.10",
        f"create a-kdc-tcp.example.com. TXT {tcp}",
        "create kdc-udp.example.com. A 203.0.113.11",
        f"create a-kdc-udp.example.com. TXT {udp}",
    ]
    (zone_plan,) = outcome.plan.zones
    assert [len(g.changes) for g in zone_plan.groups] == [2, 2, 2, 2]
    for group in zone_plan.groups:
        record, txt = group.changes
        assert txt.rtype is RecordType.TXT
        assert record.owner_resource == txt.owner_resource


def test_aws_example_cnames_and_txt() -> None:
    outcome = plan_of(
        svc("web", "web.example.com", "[{hostname: lb.elb.amazonaws.com}]"),
    )
    assert change_lines(outcome.plan) == [
        "create web.example.com. CNAME lb.elb.amazonaws.com.",
        'create cname-web.example.com. TXT "'
        + TXT.format(owner="default", resource="service/krb/web")
        + '"',
    ]


def test_owner_id_and_prefix_in_txt() -> None:
    settings = EngineSettings(
        plan=PlanSettings(registry=TxtRegistry("blue", "dnssync-%{record_type}."))
    )
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), settings=settings)
    assert change_lines(outcome.plan) == [
        "create web.example.com. A 192.0.2.1",
        'create dnssync-a.web.example.com. TXT "'
        + TXT.format(owner="blue", resource="service/krb/web")
        + '"',
    ]


def test_nothing_to_do_when_in_step() -> None:
    provider = provider_with(
        existing=[
            rrset("web.example.com", "A", "192.0.2.1"),
            owned("web.example.com", "A", "service/krb/web"),
        ]
    )
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    assert change_lines(outcome.plan) == []
    assert not outcome.plan.has_changes
    assert outcome.plan.zones[0].owned_records == 1


def test_unowned_record_is_never_changed() -> None:
    provider = provider_with(existing=[rrset("web.example.com", "A", "192.0.2.9")])
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    assert change_lines(outcome.plan) == []
    assert problems(outcome.diagnostics) == [("service/krb/web", HOSTNAME, "NotOwned")]
    assert "is not owned by dnssync" in outcome.diagnostics[0].message


def test_unowned_record_with_the_same_data_is_reported_as_such() -> None:
    provider = provider_with(existing=[rrset("web.example.com", "A", "192.0.2.1")])
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    assert change_lines(outcome.plan) == []
    assert "same data but without an ownership record" in outcome.diagnostics[0].message


def test_record_of_another_owner_is_never_changed() -> None:
    provider = provider_with(
        existing=[
            rrset("web.example.com", "A", "192.0.2.9"),
            owned("web.example.com", "A", "service/x/y", owner="green"),
        ]
    )
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    assert change_lines(outcome.plan) == []
    assert problems(outcome.diagnostics) == [("service/krb/web", HOSTNAME, "NotOwned")]
    assert "'green'" in outcome.diagnostics[0].message


def test_records_of_others_are_never_deleted() -> None:
    provider = provider_with(
        existing=[
            rrset("manual.example.com", "A", "192.0.2.7"),
            rrset("green.example.com", "A", "192.0.2.8"),
            owned("green.example.com", "A", "service/x/y", owner="green"),
            rrset("orphan.example.com", "CNAME", "x.example.net."),
            owned("orphan-theirs.example.com", "A", "service/x/z", owner="green"),
        ]
    )
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    assert [line.split(" ")[:3] for line in change_lines(outcome.plan)] == [
        ["create", "web.example.com.", "A"],
        ["create", "a-web.example.com.", "TXT"],
    ]


def test_owned_record_updated_alone_when_the_txt_is_right() -> None:
    provider = provider_with(
        existing=[
            rrset("web.example.com", "A", "192.0.2.1", ttl=60),
            owned("web.example.com", "A", "service/krb/web"),
        ]
    )
    outcome = plan_of(
        svc("web", "web.example.com", "[{ip: 192.0.2.2}, {ip: 192.0.2.1}]"), provider=provider
    )
    (change,) = outcome.plan.changes
    assert change.action is Action.UPDATE
    assert change.old == rrset("web.example.com", "A", "192.0.2.1", ttl=60)
    assert change.new == rrset("web.example.com", "A", "192.0.2.1", "192.0.2.2")


def test_ttl_change_is_an_update() -> None:
    provider = provider_with(
        existing=[
            rrset("web.example.com", "A", "192.0.2.1"),
            owned("web.example.com", "A", "service/krb/web"),
        ]
    )
    outcome = plan_of(
        svc("web", "web.example.com", "[{ip: 192.0.2.1}]", ", dnssync.io/ttl: '60'"),
        provider=provider,
    )
    assert change_lines(outcome.plan) == ["update web.example.com. A 192.0.2.1"]
    assert outcome.plan.changes[0].new is not None and outcome.plan.changes[0].new.ttl == 60


def test_new_owner_resource_rewrites_the_txt_in_the_same_group() -> None:
    provider = provider_with(
        existing=[
            rrset("web.example.com", "A", "192.0.2.1"),
            owned("web.example.com", "A", "service/old/web"),
        ]
    )
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    (group,) = outcome.plan.zones[0].groups
    (change,) = group.changes
    assert change.action is Action.UPDATE
    assert change.name == DomainName.parse("a-web.example.com")
    assert change.new is not None
    assert change.new.values == (Text.of(TXT.format(owner="default", resource="service/krb/web")),)


def test_owned_record_no_longer_wanted_is_deleted_with_its_txt() -> None:
    txt = owned("gone.example.com", "A", "service/krb/gone")
    provider = provider_with(existing=[rrset("gone.example.com", "A", "192.0.2.5"), txt])
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    groups = outcome.plan.zones[0].groups
    delete = next(g for g in groups if g.action is Action.DELETE)
    assert [(c.action, c.name.text, c.rtype) for c in delete.changes] == [
        (Action.DELETE, "gone.example.com", RecordType.A),
        (Action.DELETE, "a-gone.example.com", RecordType.TXT),
    ]
    assert {c.owner_resource for c in delete.changes} == {"service/krb/gone"}


def test_legacy_txt_is_read_as_ownership() -> None:
    legacy = RRset.of(
        DomainName.parse("web.example.com"),
        RecordType.TXT,
        300,
        [Text.of(TXT.format(owner="default", resource="service/krb/web"))],
    )
    provider = provider_with(existing=[rrset("web.example.com", "A", "192.0.2.9"), legacy])
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    # Taken over: updated, and the typed TXT is written in the same group.
    (group,) = outcome.plan.zones[0].groups
    assert [(c.action.value, c.name.text, c.rtype.value) for c in group.changes] == [
        ("update", "web.example.com", "A"),
        ("create", "a-web.example.com", "TXT"),
    ]


def test_legacy_txt_of_another_owner() -> None:
    legacy = RRset.of(
        DomainName.parse("web.example.com"),
        RecordType.TXT,
        300,
        [Text.of(TXT.format(owner="green", resource="service/x/web"))],
    )
    provider = provider_with(existing=[rrset("web.example.com", "A", "192.0.2.9"), legacy])
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    assert not outcome.plan.has_changes
    assert problems(outcome.diagnostics) == [("service/krb/web", HOSTNAME, "NotOwned")]


def test_legacy_txt_does_not_own_aaaa() -> None:
    legacy = RRset.of(
        DomainName.parse("web.example.com"),
        RecordType.TXT,
        300,
        [Text.of(TXT.format(owner="default", resource="service/krb/web"))],
    )
    provider = provider_with(existing=[rrset("web.example.com", "AAAA", "2001:db8::9"), legacy])
    outcome = plan_of(svc("web", "web.example.com", "[{ip: '2001:db8::1'}]"), provider=provider)
    assert not outcome.plan.has_changes
    assert [d.reason for d in outcome.diagnostics] == ["NotOwned"]


def test_legacy_owned_record_deleted_takes_its_legacy_txt_along() -> None:
    legacy = RRset.of(
        DomainName.parse("gone.example.com"),
        RecordType.TXT,
        300,
        [Text.of(TXT.format(owner="default", resource="service/krb/gone"))],
    )
    provider = provider_with(existing=[rrset("gone.example.com", "A", "192.0.2.9"), legacy])
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    delete = next(g for g in outcome.plan.zones[0].groups if g.action is Action.DELETE)
    assert [(c.action.value, c.name.text, c.rtype.value) for c in delete.changes] == [
        ("delete", "gone.example.com", "A"),
        ("delete", "gone.example.com", "TXT"),
    ]


def test_legacy_txt_sharing_its_rrset_keeps_the_other_values() -> None:
    legacy = RRset.of(
        DomainName.parse("gone.example.com"),
        RecordType.TXT,
        300,
        [Text.of(TXT.format(owner="default", resource="service/krb/gone")), Text.of("v=spf1 -all")],
    )
    provider = provider_with(existing=[rrset("gone.example.com", "A", "192.0.2.9"), legacy])
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    delete = next(g for g in outcome.plan.zones[0].groups if g.action is Action.DELETE)
    record, txt = delete.changes
    assert (record.action, record.rtype) == (Action.DELETE, RecordType.A)
    assert txt.action is Action.UPDATE
    assert txt.new is not None and txt.new.values == (Text.of("v=spf1 -all"),)


def test_orphan_ownership_txt_of_ours_is_cleaned_up() -> None:
    provider = provider_with(
        existing=[
            owned("gone.example.com", "A", "service/krb/gone"),
            owned("theirs.example.com", "A", "service/x/y", owner="green"),
        ]
    )
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    assert change_lines(outcome.plan)[0] == (
        'delete a-gone.example.com. TXT "'
        + TXT.format(owner="default", resource="service/krb/gone")
        + '"'
    )
    assert len(outcome.plan.changes) == 3


def test_our_orphan_txt_is_reused_when_the_record_comes_back() -> None:
    provider = provider_with(existing=[owned("web.example.com", "A", "service/krb/web")])
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    assert change_lines(outcome.plan) == ["create web.example.com. A 192.0.2.1"]


def test_create_refused_when_the_txt_name_holds_other_data() -> None:
    provider = provider_with(
        existing=[
            RRset.of(DomainName.parse("a-web.example.com"), RecordType.TXT, 300, [Text.of("hello")])
        ]
    )
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    assert not outcome.plan.has_changes
    assert problems(outcome.diagnostics) == [("service/krb/web", HOSTNAME, "NotOwned")]
    assert "a-web.example.com." in outcome.diagnostics[0].message


def test_create_refused_when_another_owner_claims_the_name() -> None:
    provider = provider_with(existing=[owned("web.example.com", "A", "service/x/y", "green")])
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    assert not outcome.plan.has_changes
    assert "claimed by owner 'green'" in outcome.diagnostics[0].message


def test_cname_refused_beside_foreign_records() -> None:
    provider = provider_with(existing=[rrset("web.example.com", "TXT", "v=spf1 -all")])
    outcome = plan_of(
        svc("web", "web.example.com", "[{hostname: lb.elb.amazonaws.com}]"), provider=provider
    )
    assert not outcome.plan.has_changes
    assert "cannot create CNAME web.example.com." in outcome.diagnostics[0].message


def test_address_refused_beside_a_foreign_cname() -> None:
    provider = provider_with(existing=[rrset("web.example.com", "CNAME", "elsewhere.example.net")])
    outcome = plan_of(svc("web", "web.example.com", "[{ip: '2001:db8::1'}]"), provider=provider)
    assert not outcome.plan.has_changes
    assert "is a CNAME not owned by dnssync" in outcome.diagnostics[0].message


def test_lb_moving_from_hostname_to_ip_swaps_cname_for_a() -> None:
    provider = provider_with(
        existing=[
            rrset("web.example.com", "CNAME", "lb.elb.amazonaws.com"),
            owned("web.example.com", "CNAME", "service/krb/web"),
        ]
    )
    snapshot = snapshot_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"))
    plan = converge(provider, snapshot, EngineSettings())
    assert sorted(change_lines(plan)) == sorted(
        [
            "delete web.example.com. CNAME lb.elb.amazonaws.com.",
            'delete cname-web.example.com. TXT "'
            + TXT.format(owner="default", resource="service/krb/web")
            + '"',
            "create web.example.com. A 192.0.2.1",
            'create a-web.example.com. TXT "'
            + TXT.format(owner="default", resource="service/krb/web")
            + '"',
        ]
    )
    assert not converge(provider, snapshot, EngineSettings()).has_changes


class AliasProvider(InMemoryProvider):
    name = "inmemory-alias"
    supports_alias = True


APEX_LB = svc("apex", "example.com", "[{hostname: lb.elb.amazonaws.com}]")


def test_apex_cname_is_an_error_without_aliases() -> None:
    outcome = plan_of(APEX_LB, svc("web", "web.example.com", "[{ip: 192.0.2.1}]"))
    assert problems(outcome.diagnostics) == [("service/krb/apex", HOSTNAME, "ApexCname")]
    assert outcome.diagnostics[0].severity.value == "Error"
    assert [line.split(" ")[1] for line in change_lines(outcome.plan)] == [
        "web.example.com.",
        "a-web.example.com.",
    ]


def test_apex_alias_needs_a_dotted_txt_prefix() -> None:
    provider = AliasProvider((DomainName.parse("example.com"),))
    outcome = plan_of(APEX_LB, provider=provider)
    assert not outcome.plan.has_changes
    assert problems(outcome.diagnostics) == [
        ("service/krb/apex", HOSTNAME, "OwnershipNameInvalid"),
        ("service/krb/apex", HOSTNAME, "OwnershipNameInvalid"),
    ]
    assert "--txt-prefix" in outcome.diagnostics[0].message


def test_apex_alias_with_a_dotted_txt_prefix() -> None:
    provider = AliasProvider((DomainName.parse("example.com"),))
    settings = EngineSettings(
        plan=PlanSettings(registry=TxtRegistry("default", "dnssync-%{record_type}."))
    )
    outcome = plan_of(APEX_LB, provider=provider, settings=settings)
    resource = '"' + TXT.format(owner="default", resource="service/krb/apex") + '"'
    assert change_lines(outcome.plan) == [
        "create example.com. A ALIAS lb.elb.amazonaws.com.",
        f"create dnssync-a.example.com. TXT {resource}",
        "create example.com. AAAA ALIAS lb.elb.amazonaws.com.",
        f"create dnssync-aaaa.example.com. TXT {resource}",
    ]
    plan = converge(provider, snapshot_of(APEX_LB), settings)
    assert plan.has_changes
    assert not converge(provider, snapshot_of(APEX_LB), settings).has_changes


def test_apex_a_record_ownership_needs_a_prefix() -> None:
    apex_ip = svc("apex", "example.com", "[{ip: 192.0.2.1}]")
    outcome = plan_of(apex_ip)
    assert not outcome.plan.has_changes
    assert problems(outcome.diagnostics) == [("service/krb/apex", HOSTNAME, "OwnershipNameInvalid")]
    settings = EngineSettings(
        plan=PlanSettings(registry=TxtRegistry("default", "dnssync-%{record_type}."))
    )
    assert change_lines(plan_of(apex_ip, settings=settings).plan)[:2] == [
        "create example.com. A 192.0.2.1",
        'create dnssync-a.example.com. TXT "'
        + TXT.format(owner="default", resource="service/krb/apex")
        + '"',
    ]


def test_63_octet_ownership_label_is_refused_before_writing() -> None:
    long_label = "k" * 62
    outcome = plan_of(
        svc("long", f"{long_label}.example.com", "[{ip: 192.0.2.1}]"),
        svc("web", "web.example.com", "[{ip: 192.0.2.2}]"),
    )
    assert problems(outcome.diagnostics) == [("service/krb/long", HOSTNAME, "OwnershipNameInvalid")]
    assert "63 octets" in outcome.diagnostics[0].message
    assert "--txt-prefix" in outcome.diagnostics[0].message
    assert all(long_label not in line for line in change_lines(outcome.plan))
    assert len(outcome.plan.changes) == 2


def test_names_outside_every_zone_are_reported() -> None:
    outcome = plan_of(
        svc("web", "web.example.org, web.example.com", "[{ip: 192.0.2.1}]"),
    )
    assert problems(outcome.diagnostics) == [("service/krb/web", HOSTNAME, "OutsideZones")]
    assert "web.example.org." in outcome.diagnostics[0].message
    assert "example.com." in outcome.diagnostics[0].message
    assert len(outcome.plan.changes) == 2


def test_most_specific_zone_wins() -> None:
    provider = provider_with(zones=("example.com", "sub.example.com"))
    outcome = plan_of(
        svc("a", "a.sub.example.com", "[{ip: 192.0.2.1}]"),
        svc("b", "b.example.com", "[{ip: 192.0.2.2}]"),
        provider=provider,
    )
    zones = {c.name.text: c.zone.text for c in outcome.plan.changes}
    assert zones == {
        "a.sub.example.com": "sub.example.com",
        "a-a.sub.example.com": "sub.example.com",
        "b.example.com": "example.com",
        "a-b.example.com": "example.com",
    }


def legacy_txt(name: str, owner: str = "default", *extra: str) -> RRset:
    values = [Text.of(TXT.format(owner=owner, resource="service/krb/web")), *map(Text.of, extra)]
    return RRset.of(DomainName.parse(name), RecordType.TXT, 300, values)


def test_cname_replaces_our_legacy_txt_in_the_same_group() -> None:
    provider = provider_with(existing=[legacy_txt("web.example.com")])
    snapshot = snapshot_of(svc("web", "web.example.com", "[{hostname: lb.elb.amazonaws.com}]"))
    plan = converge(provider, snapshot, EngineSettings())
    (group,) = plan.zones[0].groups
    assert [(c.action.value, c.name.text, c.rtype.value) for c in group.changes] == [
        ("create", "web.example.com", "CNAME"),
        ("create", "cname-web.example.com", "TXT"),
        ("delete", "web.example.com", "TXT"),
    ]
    assert not converge(provider, snapshot, EngineSettings()).has_changes


def test_cname_refused_beside_a_legacy_txt_of_another_owner_or_with_other_data() -> None:
    for existing in (
        legacy_txt("web.example.com", "green"),
        legacy_txt("web.example.com", "default", "v=spf1 -all"),
    ):
        outcome = plan_of(
            svc("web", "web.example.com", "[{hostname: lb.elb.amazonaws.com}]"),
            provider=provider_with(existing=[existing]),
        )
        assert not outcome.plan.has_changes
        assert "cannot create CNAME web.example.com.: the name already holds TXT" in (
            outcome.diagnostics[0].message
        )


def test_upsert_only_does_not_create_beside_our_cname_it_may_not_delete() -> None:
    provider = provider_with(
        existing=[
            rrset("web.example.com", "CNAME", "lb.elb.amazonaws.com"),
            owned("web.example.com", "CNAME", "service/krb/web"),
        ]
    )
    outcome = plan_of(
        svc("web", "web.example.com", "[{ip: 192.0.2.1}]"),
        provider=provider,
        settings=EngineSettings(plan=PlanSettings(policy=Policy.UPSERT_ONLY)),
    )
    assert not outcome.plan.has_changes
    assert "is still our CNAME" in outcome.diagnostics[0].message


def test_typed_txt_name_holding_other_data_is_never_overwritten() -> None:
    provider = provider_with(
        existing=[
            rrset("web.example.com", "A", "192.0.2.1"),
            legacy_txt("web.example.com"),
            rrset("a-web.example.com", "TXT", "v=spf1 -all"),
        ]
    )
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.2}]"), provider=provider)
    assert change_lines(outcome.plan) == ["update web.example.com. A 192.0.2.2"]
    assert [d.reason for d in outcome.diagnostics] == ["OwnershipNameTaken"]


def test_ownership_txt_claimed_by_two_owners_is_not_ours() -> None:
    both = RRset.of(
        DomainName.parse("a-web.example.com"),
        RecordType.TXT,
        300,
        [
            Text.of(TXT.format(owner="default", resource="service/krb/web")),
            Text.of(TXT.format(owner="green", resource="service/x/web")),
        ],
    )
    provider = provider_with(existing=[rrset("web.example.com", "A", "192.0.2.9"), both])
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    assert not outcome.plan.has_changes
    assert "'green'" in outcome.diagnostics[0].message


def test_orphan_txt_sharing_its_rrset_keeps_the_other_values() -> None:
    shared = RRset.of(
        DomainName.parse("a-gone.example.com"),
        RecordType.TXT,
        300,
        [Text.of(TXT.format(owner="default", resource="service/krb/gone")), Text.of("v=spf1 -all")],
    )
    provider = provider_with(existing=[shared])
    snapshot = snapshot_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"))
    plan = converge(provider, snapshot, EngineSettings())
    orphan = next(c for c in plan.changes if c.name.text == "a-gone.example.com")
    assert orphan.action is Action.UPDATE
    assert orphan.new is not None and orphan.new.values == (Text.of("v=spf1 -all"),)
    assert not converge(provider, snapshot, EngineSettings()).has_changes


def test_create_refused_when_the_ownership_name_is_a_cname() -> None:
    provider = provider_with(existing=[rrset("a-web.example.com", "CNAME", "x.example.net")])
    outcome = plan_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"), provider=provider)
    assert not outcome.plan.has_changes
    assert "its ownership name a-web.example.com. is a CNAME" in outcome.diagnostics[0].message


def test_legacy_migration_converges_in_one_plan() -> None:
    provider = provider_with(
        existing=[rrset("web.example.com", "A", "192.0.2.1"), legacy_txt("web.example.com")]
    )
    snapshot = snapshot_of(svc("web", "web.example.com", "[{ip: 192.0.2.1}]"))
    plan = converge(provider, snapshot, EngineSettings())
    assert change_lines(plan) == [
        'create a-web.example.com. TXT "'
        + TXT.format(owner="default", resource="service/krb/web")
        + '"'
    ]
    # The old TXT stays beside its record; nothing more to do.
    assert not converge(provider, snapshot, EngineSettings()).has_changes
    # When the record goes, both TXTs go with it.
    plan = converge(provider, snapshot_of(""), EngineSettings(plan=PlanSettings(force=True)))
    assert sorted((c.action.value, c.name.text, c.rtype.value) for c in plan.changes) == [
        ("delete", "a-web.example.com", "TXT"),
        ("delete", "web.example.com", "A"),
        ("delete", "web.example.com", "TXT"),
    ]
    assert provider.records(DomainName.parse("example.com")) == ()
