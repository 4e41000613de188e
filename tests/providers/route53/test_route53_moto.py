"""The Route53 provider against moto's Route53 on loopback (real HTTP, boto3's own chain)."""

from __future__ import annotations

import pytest
from dnssync_route53.batching import lower_bound
from dnssync_route53.options import Settings, TagFilter
from dnssync_route53.provider import Route53Provider

from dnssync.errors import ProviderError
from dnssync.model.changes import ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import Alias, RecordType, RRset, Text
from dnssync.providers.registry import load
from dnssync.testing.builders import create, delete, ownership_txt, rrset, update
from testinfra.moto_server import MotoRoute53
from tests.providers.route53.r53_helpers import make_provider

ZONE = DomainName.parse("example.com")


def _change(aws: MotoRoute53, zone_id: str, *changes: dict[str, object]) -> None:
    aws.client().change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Changes": list(changes)}
    )


def _create(name: str, rtype: str, *values: str, ttl: int = 300) -> dict[str, object]:
    return {
        "Action": "CREATE",
        "ResourceRecordSet": {
            "Name": name,
            "Type": rtype,
            "TTL": ttl,
            "ResourceRecords": [{"Value": v} for v in values],
        },
    }


# -- registration and credentials chain -------------------------------------------------------


def test_registered_under_the_entry_point_group() -> None:
    assert load("route53") is Route53Provider
    assert Route53Provider.supports_alias


def test_endpoint_and_credentials_come_from_the_environment(
    aws: MotoRoute53, example_zone: str
) -> None:
    provider = Route53Provider.create({})  # AWS_ENDPOINT_URL_ROUTE_53 + AWS_* env only
    assert provider.zones() == (ZONE,)
    assert provider.hosted_zone(ZONE).id == example_zone
    assert provider.hosted_zone_by_id(f"/hostedzone/{example_zone}").name == ZONE


def test_missing_credentials_is_a_clear_error(
    aws: MotoRoute53, example_zone: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(ProviderError, match="no AWS credentials found"):
        make_provider().zones()


def test_unreachable_endpoint_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-value")
    monkeypatch.setenv("AWS_ENDPOINT_URL_ROUTE_53", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    provider = make_provider()
    with pytest.raises(ProviderError, match="cannot reach Route53") as caught:
        provider.zones()
    assert "very-secret-value" not in str(caught.value)
    assert provider.requests.counts[("list_zones", "error")] == 1


# -- zones -----------------------------------------------------------------------------------


def test_zone_type_and_tag_filters(aws: MotoRoute53) -> None:
    aws.create_zone("public.test", tags={"team": "dns", "env": "prod"})
    aws.create_zone("private.test", private=True, tags={"team": "dns"})
    aws.create_zone("other.test", tags={"team": "web"})
    names = lambda p: [z.text for z in p.zones()]  # noqa: E731
    assert names(make_provider()) == ["other.test", "private.test", "public.test"]
    assert names(make_provider(Settings(zone_type="public"))) == ["other.test", "public.test"]
    assert names(make_provider(Settings(zone_type="private"))) == ["private.test"]
    tagged = make_provider(Settings(zone_tags=TagFilter((("team", "dns"),))))
    assert names(tagged) == ["private.test", "public.test"]
    assert tagged.requests.counts[("list_tags", "ok")] == 1  # 3 zones, one request (<= 10)
    both = Settings(zone_type="public", zone_tags=TagFilter((("team", "dns"), ("env", None))))
    assert names(make_provider(both)) == ["public.test"]


def test_zones_are_cached(aws: MotoRoute53, example_zone: str) -> None:
    provider = make_provider()
    provider.zones()
    provider.records(ZONE)
    provider.apply(ZONE, [create(ZONE, rrset("a.example.com", "A", "192.0.2.1"))])
    assert provider.requests.counts[("list_zones", "ok")] == 1


def test_two_zones_of_one_name_are_refused_with_advice(aws: MotoRoute53) -> None:
    aws.create_zone("split.test")
    aws.create_zone("split.test", private=True)
    provider = make_provider()
    assert provider.zones() == (DomainName.parse("split.test"),)
    with pytest.raises(ProviderError, match="--aws-zone-type"):
        provider.records(DomainName.parse("split.test"))
    public = make_provider(Settings(zone_type="public"))
    assert public.records(DomainName.parse("split.test")) == ()


def test_unknown_zone_is_an_error(aws: MotoRoute53, example_zone: str) -> None:
    with pytest.raises(ProviderError, match=r"no Route53 hosted zone example\.org\."):
        make_provider().records(DomainName.parse("example.org"))


# -- listing and normalisation ------------------------------------------------------------------


def test_listing_normalises_what_route53_returns(aws: MotoRoute53, example_zone: str) -> None:
    _change(
        aws,
        example_zone,
        _create("*.Example.COM.", "A", "192.0.2.7"),
        _create("Web.example.com", "CNAME", "LB-1.Example.NET."),
        _create("_sip._tcp.example.com.", "SRV", "10 60 5060 SIP.example.com."),
        _create("txt.example.com.", "TXT", '"a \\"quoted\\" value" "second\\055part"', '"x"'),
        _create("v6.example.com.", "AAAA", "2001:0db8:0000::0001"),
        _create("mail.example.com.", "MX", "10 mx.example.com."),
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": "example.com.",
                "Type": "A",
                "AliasTarget": {
                    "HostedZoneId": "Z35SXDOTRQ7X7K",
                    "DNSName": "dualstack.My-LB-1.us-east-1.elb.amazonaws.com",
                    "EvaluateTargetHealth": True,
                },
            },
        },
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": "weighted.example.com.",
                "Type": "A",
                "SetIdentifier": "blue",
                "Weight": 10,
                "TTL": 60,
                "ResourceRecords": [{"Value": "192.0.2.9"}],
            },
        },
    )
    assert any(r["Name"].startswith("\\052") for r in aws.record_sets(example_zone))
    held = {str(r.key): r for r in make_provider().records(ZONE)}
    assert held["*.example.com. A"].value_texts() == ["192.0.2.7"]
    assert held["web.example.com. CNAME"].value_texts() == ["lb-1.example.net."]
    assert held["_sip._tcp.example.com. SRV"].value_texts() == ["10 60 5060 sip.example.com."]
    assert held["txt.example.com. TXT"].values == (
        Text((b'a "quoted" value', b"second-part")),
        Text.of("x"),
    )
    assert held["v6.example.com. AAAA"].value_texts() == ["2001:db8::1"]
    apex = held["example.com. A"]
    assert apex.values == (Alias(DomainName.parse("my-lb-1.us-east-1.elb.amazonaws.com")),)
    assert apex.ttl == 300
    alias = apex.values[0]
    assert isinstance(alias, Alias)
    assert (alias.hosted_zone_id, alias.evaluate_target_health) == ("Z35SXDOTRQ7X7K", True)
    assert "mail.example.com. MX" not in held  # not a managed type
    assert "weighted.example.com. A" not in held  # routing policies are not dnssync's
    assert not any(k.endswith((" NS", " SOA")) for k in held)


def test_listing_pages_through_300_at_a_time(aws: MotoRoute53, example_zone: str) -> None:
    for start in range(0, 700, 350):
        _change(
            aws,
            example_zone,
            *(_create(f"h{i}.example.com.", "A", "192.0.2.1") for i in range(start, start + 350)),
        )
    provider = make_provider()
    records = provider.records(ZONE)
    assert len(records) == 700
    assert len({r.key for r in records}) == 700
    # 702 sets with NS and SOA: pages of 300, 300 and 102.
    assert provider.requests.counts[("list", "ok")] == 3


# -- writing -----------------------------------------------------------------------------------


def test_update_is_delete_of_what_was_read_plus_create(aws: MotoRoute53, example_zone: str) -> None:
    provider = make_provider()
    old = rrset("up.example.com", "A", "192.0.2.1", "192.0.2.2", ttl=300)
    provider.apply(ZONE, [create(ZONE, old)])
    # Someone else wrote the values in another order; Route53 keeps their order.
    aws.client().change_resource_record_sets(
        HostedZoneId=example_zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "DELETE",
                    "ResourceRecordSet": _create("up.example.com.", "A", "192.0.2.1", "192.0.2.2")[
                        "ResourceRecordSet"
                    ],
                },
                _create("up.example.com.", "A", "192.0.2.2", "192.0.2.1"),
            ]
        },
    )
    held = {r.key: r for r in provider.records(ZONE)}[old.key]
    assert held == old
    new = rrset("up.example.com", "A", "192.0.2.3", ttl=60)
    result = provider.apply(ZONE, [update(ZONE, held, new)])
    assert result.ok, [f.message for f in result.failed]
    assert {r.key: r for r in provider.records(ZONE)}[new.key] == new


def test_concurrent_change_is_detected_not_overwritten(aws: MotoRoute53, example_zone: str) -> None:
    provider = make_provider()
    record = rrset("race.example.com", "A", "192.0.2.1")
    txt = ownership_txt("race.example.com", "A", "service/ns/race")
    provider.apply(ZONE, [create(ZONE, record, txt)])
    seen = {r.key: r for r in provider.records(ZONE)}[record.key]
    _change(  # another writer changes the record after our read
        aws,
        example_zone,
        {
            "Action": "DELETE",
            "ResourceRecordSet": _create("race.example.com.", "A", "192.0.2.1")[
                "ResourceRecordSet"
            ],
        },
        _create("race.example.com.", "A", "192.0.2.99"),
    )
    result = provider.apply(ZONE, [update(ZONE, seen, rrset("race.example.com", "A", "192.0.2.2"))])
    assert not result.applied
    (failure,) = result.failed
    assert failure.conflict
    assert "race.example.com. A" in failure.message
    assert "do not match the current values" in failure.message
    held = {r.key: r for r in provider.records(ZONE)}
    assert held[record.key].value_texts() == ["192.0.2.99"]


def test_wildcard_round_trips(aws: MotoRoute53, example_zone: str) -> None:
    provider = make_provider()
    star = rrset("*.apps.example.com", "A", "192.0.2.8")
    txt = ownership_txt("*.apps.example.com", "A", "service/web/apps")
    assert txt.name.text == "a-*.apps.example.com"
    assert provider.apply(ZONE, [create(ZONE, star, txt)]).ok
    held = provider.records(ZONE)
    assert star in held and txt in held
    assert provider.apply(ZONE, [delete(ZONE, star, txt)]).ok
    held = provider.records(ZONE)
    assert star not in held and txt not in held


def test_wildcard_names_come_back_as_octal_escapes(aws: MotoRoute53, example_zone: str) -> None:
    """Route53 lists '*' as \\052, in the wildcard label and inside a label alike."""
    _change(
        aws,
        example_zone,
        _create("\\052.apps.example.com.", "A", "192.0.2.8"),
        _create(
            "a-\\052.apps.example.com.",
            "TXT",
            '"heritage=external-dns,external-dns/owner=contract,'
            'external-dns/resource=service/web/apps"',
        ),
    )
    held = {r.key: r for r in make_provider().records(ZONE)}
    star = rrset("*.apps.example.com", "A", "192.0.2.8")
    txt = ownership_txt("*.apps.example.com", "A", "service/web/apps")
    assert held[star.key] == star
    assert held[txt.key] == txt


def test_apex_alias_for_load_balancers(aws: MotoRoute53, example_zone: str) -> None:
    alb = DomainName.parse("web-123.eu-west-1.elb.amazonaws.com")
    nlb = DomainName.parse("net-abc.elb.us-west-2.amazonaws.com")
    a = RRset.of(ZONE, RecordType.A, 300, [Alias(alb)])
    aaaa = RRset.of(ZONE, RecordType.AAAA, 300, [Alias(alb)])
    txt = ownership_txt("a-apex.example.com", "TXT", "service/web/web")
    provider = make_provider(Settings(evaluate_target_health=False))
    result = provider.apply(ZONE, [create(ZONE, a, txt), create(ZONE, aaaa)])
    assert result.ok, [f.message for f in result.failed]
    raw = {(r["Name"], r["Type"]): r for r in aws.record_sets(example_zone)}
    assert raw[("example.com.", "A")]["AliasTarget"] == {
        "HostedZoneId": "Z32O12XQLNTSW2",
        "DNSName": "web-123.eu-west-1.elb.amazonaws.com.",
        "EvaluateTargetHealth": False,
    }
    assert "TTL" not in raw[("example.com.", "A")]
    held = {r.key: r for r in provider.records(ZONE)}
    assert held[a.key] == a and held[aaaa.key] == aaaa  # the plan after it is empty
    # Moving to a network LB: delete exactly what was read, create the new alias.
    moved = RRset.of(ZONE, RecordType.A, 300, [Alias(nlb)])
    assert provider.apply(ZONE, [update(ZONE, held[a.key], moved)]).ok
    raw = {(r["Name"], r["Type"]): r for r in aws.record_sets(example_zone)}
    assert raw[("example.com.", "A")]["AliasTarget"]["HostedZoneId"] == "Z18D5FSROUN65G"
    assert provider.apply(ZONE, [delete(ZONE, held[aaaa.key])]).ok


def test_alias_to_a_host_that_is_no_load_balancer_is_reported(
    aws: MotoRoute53, example_zone: str
) -> None:
    bad = RRset.of(ZONE, RecordType.A, 300, [Alias(DomainName.parse("lb.example.net"))])
    good = rrset("fine.example.com", "A", "192.0.2.5")
    result = make_provider().apply(ZONE, [create(ZONE, bad), create(ZONE, good)])
    assert [g.primary.name.text for g in result.applied] == ["fine.example.com"]
    (failure,) = result.failed
    assert "example.com. A" in failure.message
    assert "not an AWS load balancer hostname" in failure.message


def test_a_group_too_big_for_any_batch_is_reported(aws: MotoRoute53, example_zone: str) -> None:
    limits = Settings().limits
    small = Settings(limits=type(limits)(changes=1000, values=3, characters=32000))
    big = rrset("big.example.com", "A", *(f"192.0.2.{i}" for i in range(1, 5)))
    result = make_provider(small).apply(ZONE, [create(ZONE, big)])
    (failure,) = result.failed
    assert "4 values (limit 3)" in failure.message
    assert make_provider().records(ZONE) == ()


def test_cname_replaced_by_a_records_across_batches(aws: MotoRoute53, example_zone: str) -> None:
    """Deletes go in earlier batches than creates, even when the batches are tiny."""
    provider = make_provider(Settings(limits=type(Settings().limits)(changes=2)))
    cname = rrset("switch.example.com", "CNAME", "lb.example.net.")
    cname_txt = ownership_txt("switch.example.com", "CNAME", "service/ns/s")
    provider.apply(ZONE, [create(ZONE, cname, cname_txt)])
    a = rrset("switch.example.com", "A", "192.0.2.4")
    a_txt = ownership_txt("switch.example.com", "A", "service/ns/s")
    result = provider.apply(ZONE, [create(ZONE, a, a_txt), delete(ZONE, cname, cname_txt)])
    assert result.ok, [f.message for f in result.failed]
    assert len(aws.change_requests(example_zone)) == 3
    held = {r.key: r for r in provider.records(ZONE)}
    assert held[a.key] == a and cname.key not in held


def test_bad_groups_are_isolated_and_the_rest_applied(aws: MotoRoute53, example_zone: str) -> None:
    provider = make_provider()
    taken = [rrset(f"taken{i}.example.com", "A", "192.0.2.1") for i in range(2)]
    provider.apply(ZONE, [create(ZONE, t) for t in taken])
    aws.batches.clear()
    provider.requests.reset()
    groups = []
    for i in range(200):
        record = rrset(f"n{i}.example.com", "A", "198.51.100.1")
        groups.append(create(ZONE, record, ownership_txt(record.name.text, "A", f"service/n/{i}")))
    bad = [create(ZONE, rrset(f"taken{i}.example.com", "A", "192.0.2.2")) for i in range(2)]
    groups[50:50] = [bad[0]]
    groups[150:150] = [bad[1]]
    result = provider.apply(ZONE, groups)
    assert len(result.applied) == 200
    assert {f.group for f in result.failed} == set(bad)
    assert all("but it already exists" in f.message for f in result.failed)
    assert all(f.conflict for f in result.failed)
    # One rejected batch, the good rest in one, each suspect alone: 4 requests, not a bisection.
    assert provider.requests.counts[("change", "rejected")] == 3
    assert provider.requests.total("change") == 4
    assert len(aws.change_requests(example_zone)) == 4


def test_five_thousand_records_in_the_fewest_batches(aws: MotoRoute53, example_zone: str) -> None:
    provider = make_provider()
    groups: list[ChangeGroup] = []
    for i in range(5000):
        record = rrset(f"host-{i:04d}.example.com", "A", f"10.{i // 250}.{i % 250}.1")
        txt = ownership_txt(record.name.text, "A", f"service/bulk/host-{i:04d}", owner_id="bulk")
        groups.append(create(ZONE, record, txt))
    prepared = [provider._prepare(provider.hosted_zone(ZONE), g) for g in groups]
    fewest = lower_bound(prepared, provider.settings.limits)
    result = provider.apply(ZONE, groups)
    assert result.ok and len(result.applied) == 5000
    requests = aws.change_requests(example_zone)
    assert provider.requests.total("change") == len(requests) == fewest
    assert all(b.accepted and b.characters <= 32000 and b.changes <= 1000 for b in requests)
    held = provider.records(ZONE)
    assert len(held) == 10000
    # Read back exactly as written: a second plan would be empty.
    assert set(held) == {c.new for g in groups for c in g}
    print(
        f"5000 records: {len(requests)} ChangeResourceRecordSets requests "
        f"(lower bound {fewest}); sizes {[(b.changes, b.characters) for b in requests]}; "
        f"list requests {provider.requests.counts[('list', 'ok')]}"
    )


def test_alias_ttl_only_update_sends_nothing(aws: MotoRoute53, example_zone: str) -> None:
    """Route53 aliases have no TTL; a desired TTL other than 300 must not cause churn."""
    lb = DomainName.parse("web-1.us-east-1.elb.amazonaws.com")
    provider = make_provider()
    assert provider.apply(ZONE, [create(ZONE, RRset.of(ZONE, RecordType.A, 60, [Alias(lb)]))]).ok
    held = {r.key: r for r in provider.records(ZONE)}
    listed = held[next(k for k in held if k.rtype is RecordType.A)]
    assert listed.ttl == 300
    aws.batches.clear()
    provider.requests.reset()
    wanted = RRset.of(ZONE, RecordType.A, 60, [Alias(lb)])
    group = update(ZONE, listed, wanted)
    result = provider.apply(ZONE, [group])
    assert result.applied == (group,)
    assert provider.requests.total("change") == 0 and not aws.change_requests()
