"""The webhook provider against a small fake server: negotiation, errors, retries, bodies.

The fake (testinfra/webhook_fake.py) keeps endpoints like ExternalDNS's in-memory provider
and can be told to misbehave; every request it sees is logged, so the tests count them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from dnssync_webhook.provider import WebhookProvider

from dnssync.errors import ConfigError, ProviderError
from dnssync.model.changes import ChangeGroup
from dnssync.model.names import DomainName
from dnssync.testing.builders import create, delete, ownership_txt, rrset, update
from testinfra.lifecycle import free_tcp_port
from testinfra.webhook_fake import FakeWebhook
from tests.providers.webhook.webhook_helpers import ZONE, Pauses, endpoint, make_provider

ZONE_NAME = DomainName.parse(ZONE)


@pytest.fixture
def fake() -> Iterator[FakeWebhook]:
    with FakeWebhook(domain_filter={"include": [ZONE]}) as server:
        yield server


@pytest.fixture
def pauses() -> Pauses:
    return Pauses()


@pytest.fixture
def provider(fake: FakeWebhook, pauses: Pauses) -> Iterator[WebhookProvider]:
    p = make_provider(fake.url, sleep=pauses)
    yield p
    p.close()


def a_group(i: int, resource: str = "service/ns/x") -> ChangeGroup:
    record = rrset(f"host{i}.{ZONE}", "A", f"198.51.100.{i % 250}")
    return create(ZONE_NAME, record, ownership_txt(record.name.text, "A", resource))


# --------------------------------------------------------------------------- negotiation


def test_negotiation_sends_the_media_type_and_reads_the_zones(
    fake: FakeWebhook, provider: WebhookProvider
) -> None:
    assert provider.zones() == (ZONE_NAME,)
    assert provider.zones() == (ZONE_NAME,)
    assert fake.count("GET", "/") == 1  # once, on first use


def test_wrong_media_type_is_refused_clearly(pauses: Pauses) -> None:
    with FakeWebhook(domain_filter={"include": [ZONE]}, media_type="application/json") as fake:
        provider = make_provider(fake.url, sleep=pauses)
        with pytest.raises(ProviderError, match=r"'application/json', not the ExternalDNS webhook"):
            provider.zones()
        assert fake.count("GET", "/") == 1


def test_version_mismatch_names_both_versions(pauses: Pauses) -> None:
    newer = "application/external.dns.webhook+json;version=2"
    with FakeWebhook(domain_filter={"include": [ZONE]}, media_type=newer) as fake:
        provider = make_provider(fake.url, sleep=pauses)
        with pytest.raises(ProviderError, match=r"speaks version 2 .*dnssync speaks version 1"):
            provider.zones()


def test_negotiation_4xx_is_not_retried_and_its_text_is_shown(
    fake: FakeWebhook, provider: WebhookProvider, pauses: Pauses
) -> None:
    fake.fail("GET", "/", 403, "forbidden: the API token has expired")
    with pytest.raises(ProviderError, match=r"403 Forbidden: forbidden: the API token has expired"):
        provider.zones()
    assert fake.count("GET", "/") == 1
    assert pauses.pauses == []


def test_5xx_is_retried_with_backoff_and_counted(
    fake: FakeWebhook, provider: WebhookProvider, pauses: Pauses
) -> None:
    fake.fail("GET", "/", 503, "starting up", times=2)
    assert provider.zones() == (ZONE_NAME,)
    assert fake.count("GET", "/") == 3
    assert provider.requests.counts[("negotiate", "http_503")] == 2
    assert provider.requests.counts[("negotiate", "ok")] == 1
    assert len(pauses.pauses) == 2 and pauses.pauses[1] > pauses.pauses[0] / 2


def test_5xx_forever_gives_up_after_the_bounded_tries(
    fake: FakeWebhook, provider: WebhookProvider
) -> None:
    fake.fail("GET", "/records", 502, "bad gateway", times=100)
    provider.zones()
    with pytest.raises(
        ProviderError, match=r"502 Bad Gateway: bad gateway \(gave up after 5 tries\)"
    ):
        provider.records(ZONE_NAME)
    assert fake.count("GET", "/records") == 5


def test_nothing_listening_is_a_clear_error(pauses: Pauses) -> None:
    provider = make_provider(f"http://127.0.0.1:{free_tcp_port()}", sleep=pauses, attempts=3)
    with pytest.raises(ProviderError, match=r"GET / failed: .*(refused|Connection)"):
        provider.zones()
    assert provider.requests.counts[("negotiate", "connection_error")] == 3


def test_timeouts_are_bounded(pauses: Pauses) -> None:
    with FakeWebhook(domain_filter={"include": [ZONE]}, delay=20) as fake:
        provider = make_provider(
            fake.url, sleep=pauses, read_timeout=0.2, write_timeout=0.2, attempts=2
        )
        started = time.monotonic()
        with pytest.raises(ProviderError, match=r"timed out after 0.4s"):
            provider.zones()
        # Both tries gave up long before the server would have answered.
        assert time.monotonic() - started < 20
        assert provider.requests.counts[("negotiate", "timeout")] == 2


def test_an_empty_filter_needs_zones(pauses: Pauses) -> None:
    with FakeWebhook(domain_filter={}) as fake:
        with pytest.raises(ConfigError, match=r"empty domain filter.*--zone"):
            make_provider(fake.url, sleep=pauses).zones()
        assert make_provider(fake.url, [ZONE], sleep=pauses).zones() == (ZONE_NAME,)


# --------------------------------------------------------------------------- reading


def test_4xx_body_text_is_surfaced_truncated(fake: FakeWebhook, provider: WebhookProvider) -> None:
    fake.fail("GET", "/records", 400, "invalid zone: " + "x" * 2000)
    with pytest.raises(ProviderError) as caught:
        provider.records(ZONE_NAME)
    message = str(caught.value)
    assert "GET /records answered 400 Bad Request: invalid zone: xxx" in message
    assert message.endswith("... (truncated)") and len(message) < 500
    assert fake.count("GET", "/records") == 1


def test_body_that_is_not_json_is_an_error(fake: FakeWebhook, provider: WebhookProvider) -> None:
    fake.fail("GET", "/records", 200, "<html>proxy login</html>")
    with pytest.raises(ProviderError, match=r"GET /records answered a body that is not JSON"):
        provider.records(ZONE_NAME)


def test_answer_over_the_body_limit_is_refused(fake: FakeWebhook, pauses: Pauses) -> None:
    fake.put(*(endpoint(f"h{i}.{ZONE}", "A", "192.0.2.1") for i in range(100)))
    provider = make_provider(fake.url, sleep=pauses, max_body_bytes=2048, attempts=1)
    with pytest.raises(ProviderError, match=r"larger than 2048 bytes"):
        provider.records(ZONE_NAME)


def test_records_outside_the_zone_or_filter_and_other_types_are_left_out(
    fake: FakeWebhook, provider: WebhookProvider
) -> None:
    fake.put(
        endpoint(f"a.{ZONE}", "A", "192.0.2.1", ttl=60),
        endpoint(f"mail.{ZONE}", "MX", "10 mx.example.net"),
        endpoint("a.elsewhere.test", "A", "192.0.2.2"),
    )
    assert provider.records(ZONE_NAME) == (rrset(f"a.{ZONE}", "A", "192.0.2.1", ttl=60),)


def test_one_listing_serves_each_zone_once(pauses: Pauses) -> None:
    with FakeWebhook(domain_filter={"include": ["a.test", "b.test"]}) as fake:
        provider = make_provider(fake.url, sleep=pauses)
        for zone in provider.zones():
            provider.records(zone)
        assert fake.count("GET", "/records") == 1
        provider.records(DomainName.parse("a.test"))  # a second read reads again
        assert fake.count("GET", "/records") == 2


def test_unreadable_endpoint_blocks_only_its_own_key(
    fake: FakeWebhook, provider: WebhookProvider
) -> None:
    fake.put(endpoint(f"bad.{ZONE}", "A", "not-an-ip"), endpoint(f"ok.{ZONE}", "A", "192.0.2.1"))
    assert [r.name.text for r in provider.records(ZONE_NAME)] == [f"ok.{ZONE}"]
    result = provider.apply(ZONE_NAME, [create(ZONE_NAME, rrset(f"bad.{ZONE}", "A", "192.0.2.9"))])
    assert not result.applied
    assert "cannot be read" in result.failed[0].message


# --------------------------------------------------------------------------- writing


def test_a_record_and_its_txt_travel_in_one_request(
    fake: FakeWebhook, provider: WebhookProvider
) -> None:
    group = a_group(1)
    result = provider.apply(ZONE_NAME, [group])
    assert result.ok
    posts = [r for r in fake.requests if (r.method, r.path) == ("POST", "/records")]
    assert len(posts) == 1
    assert {e["dnsName"] for e in posts[0].body["create"]} == {f"host1.{ZONE}", f"a-host1.{ZONE}"}


def test_configured_body_limit_splits_large_change_sets(fake: FakeWebhook, pauses: Pauses) -> None:
    provider = make_provider(fake.url, sleep=pauses, max_body_bytes=4096)
    groups = [a_group(i) for i in range(200)]
    assert provider.apply(ZONE_NAME, groups).ok
    posts = [r for r in fake.requests if (r.method, r.path) == ("POST", "/records")]
    assert all(r.size <= 4096 for r in posts)
    sent = sum(len(r.body["create"]) for r in posts)
    assert sent == 400  # every record and TXT once
    # each body holds whole groups: a record with its TXT
    for post in posts:
        names = {e["dnsName"] for e in post.body["create"]}
        assert all(f"a-{n}" in names for n in names if not n.startswith("a-"))
    assert len(posts) <= 1 + sum(r.size for r in posts) // (4096 // 2)


def test_413_leads_to_smaller_requests(pauses: Pauses) -> None:
    with FakeWebhook(domain_filter={"include": [ZONE]}, max_body=8192) as fake:
        provider = make_provider(fake.url, sleep=pauses)
        assert provider.apply(ZONE_NAME, [a_group(i) for i in range(150)]).ok
        statuses = [r.status for r in fake.requests if r.path == "/records" and r.method == "POST"]
        assert 413 in statuses
        assert statuses.count(413) <= 8  # halving, not one try per group
        assert provider.body_limit <= 8192
        assert len(fake.endpoints()) == 300
        # What was learned holds for the next apply: no 413 any more.
        fake.reset_requests()
        assert provider.apply(ZONE_NAME, [a_group(i) for i in range(150, 250)]).ok
        assert {r.status for r in fake.requests if r.method == "POST"} == {204}
        assert all(r.size <= 8192 for r in fake.requests if r.method == "POST")
        assert pauses.pauses == []  # a 413 is split at once, not retried after a pause


def test_4xx_isolates_the_refused_group_and_applies_the_rest(
    fake: FakeWebhook, provider: WebhookProvider
) -> None:
    fake.reject("host3.", 422, "host3.example.test: target not allowed by this backend")
    groups = [a_group(i) for i in range(8)]
    result = provider.apply(ZONE_NAME, groups)
    assert [f.group for f in result.failed] == [groups[3]]
    assert (
        "422 Unprocessable Entity: host3.example.test: target not allowed"
        in result.failed[0].message
    )
    assert len(result.applied) == 7
    held = {e["dnsName"] for e in fake.endpoints()}
    assert f"host3.{ZONE}" not in held and f"host4.{ZONE}" in held
    # Halving: 1 + 2 + 2 + 2 bodies for 8 groups, never one per group plus retries.
    assert fake.count("POST", "/records") <= 7


def test_a_refused_wildcard_txt_name_suggests_the_replacement_flag(
    fake: FakeWebhook, provider: WebhookProvider
) -> None:
    """A backend that takes '*' only as a wildcard label (as PowerDNS's API or Azure do)."""
    fake.reject("a-*.", 422, "Name 'a-*.apps.example.test.' contains unsupported characters")
    star = rrset(f"*.apps.{ZONE}", "A", "192.0.2.9")
    txt = ownership_txt(star.name.text, "A", "service/ns/apps")
    plain = a_group(1)
    result = provider.apply(ZONE_NAME, [create(ZONE_NAME, star, txt), plain])
    assert [f.group.primary.key for f in result.failed] == [star.key]
    message = result.failed[0].message
    assert "contains unsupported characters" in message
    assert "--txt-wildcard-replacement" in message and f"a-*.apps.{ZONE}." in message
    assert list(result.applied) == [plain]
    held = {e["dnsName"] for e in fake.endpoints()}
    assert f"*.apps.{ZONE}" not in held
    # With a replacement the TXT name has no '*', and the backend takes it.
    replaced = ownership_txt(
        star.name.text, "A", "service/ns/apps", wildcard_replacement="wildcard"
    )
    assert provider.apply(ZONE_NAME, [create(ZONE_NAME, star, replaced)]).ok
    held = {e["dnsName"] for e in fake.endpoints()}
    assert {f"*.apps.{ZONE}", f"a-wildcard.apps.{ZONE}"} <= held


def test_whole_request_4xx_raises_when_nothing_was_applied(
    fake: FakeWebhook, provider: WebhookProvider, pauses: Pauses
) -> None:
    fake.fail("POST", "/records", 401, "unauthorized", times=10)
    with pytest.raises(ProviderError, match=r"401 Unauthorized: unauthorized"):
        provider.apply(ZONE_NAME, [a_group(i) for i in range(4)])
    assert fake.count("POST", "/records") == 1
    assert pauses.pauses == []


def test_5xx_on_apply_rereads_and_resends_what_is_missing(
    fake: FakeWebhook, provider: WebhookProvider, pauses: Pauses
) -> None:
    fake.fail("POST", "/records", 503, "busy")
    assert provider.apply(ZONE_NAME, [a_group(1), a_group(2)]).ok
    assert provider.requests.counts[("apply", "http_503")] == 1
    assert fake.count("GET", "/records") == 2  # the pre-check and the re-read
    assert len(pauses.pauses) == 1
    assert len(fake.endpoints()) == 4


def test_5xx_after_the_server_applied_is_not_sent_again(
    fake: FakeWebhook, provider: WebhookProvider
) -> None:
    fake.fail_after_applying()
    result = provider.apply(ZONE_NAME, [a_group(1), a_group(2)])
    assert result.ok and len(result.applied) == 2
    assert fake.count("POST", "/records") == 1


def test_5xx_forever_fails_each_group_in_bounded_requests(
    fake: FakeWebhook, provider: WebhookProvider
) -> None:
    fake.fail("POST", "/records", 500, "internal error", times=1000)
    groups = [a_group(i) for i in range(6)]
    result = provider.apply(ZONE_NAME, groups)
    assert not result.applied and len(result.failed) == 6
    assert all("500 Internal Server Error: internal error" in f.message for f in result.failed)
    # At most 5 tries plus 3 halvings (6 groups) get a 5xx; then every group is reported.
    assert fake.count("POST", "/records") == 5 + 3


def test_deletes_at_names_of_creates_go_first(fake: FakeWebhook, provider: WebhookProvider) -> None:
    cname = rrset(f"switch.{ZONE}", "CNAME", "lb.example.net.")
    assert provider.apply(ZONE_NAME, [create(ZONE_NAME, cname)]).ok
    provider.records(ZONE_NAME)
    fake.reset_requests()
    a = rrset(f"switch.{ZONE}", "A", "192.0.2.90")
    assert provider.apply(ZONE_NAME, [create(ZONE_NAME, a), delete(ZONE_NAME, cname)]).ok
    posts = [r.body for r in fake.requests if r.method == "POST"]
    assert [sorted(p) for p in posts] == [["delete"], ["create"]]


def test_stale_group_is_a_conflict_and_nothing_is_sent(
    fake: FakeWebhook, provider: WebhookProvider
) -> None:
    fake.put(endpoint(f"a.{ZONE}", "A", "192.0.2.1", ttl=300))
    believed = rrset(f"a.{ZONE}", "A", "192.0.2.2")
    result = provider.apply(
        ZONE_NAME, [update(ZONE_NAME, believed, rrset(f"a.{ZONE}", "A", "192.0.2.3"))]
    )
    assert result.failed[0].conflict
    assert "is now 192.0.2.1 (TTL 300)" in result.failed[0].message
    assert fake.count("POST", "/records") == 0


def test_update_keeps_labels_provider_specific_and_set_identifier(
    fake: FakeWebhook, provider: WebhookProvider
) -> None:
    extras = {
        "setIdentifier": "blue",
        "labels": {"owner": "x", "resource": "service/ns/a"},
        "providerSpecific": [{"name": "webhook/proxied", "value": "true"}],
    }
    fake.put(endpoint(f"a.{ZONE}", "A", "192.0.2.1", ttl=300, **extras))
    (held,) = provider.records(ZONE_NAME)
    new = held.with_values([rrset(f"a.{ZONE}", "A", "192.0.2.7").values[0]])
    assert provider.apply(ZONE_NAME, [update(ZONE_NAME, held, new)]).ok
    (stored,) = fake.endpoints()
    assert stored["targets"] == ["192.0.2.7"]
    assert {k: stored[k] for k in extras} == extras
    (post,) = [r.body for r in fake.requests if r.method == "POST"]
    assert post["updateOld"][0]["targets"] == ["192.0.2.1"]  # the server's own endpoint


def test_routing_policy_endpoints_are_shown_but_never_written(
    fake: FakeWebhook, provider: WebhookProvider
) -> None:
    fake.put(
        endpoint(f"w.{ZONE}", "A", "192.0.2.1", setIdentifier="eu"),
        endpoint(f"w.{ZONE}", "A", "192.0.2.2", setIdentifier="us"),
    )
    (seen,) = provider.records(ZONE_NAME)
    assert seen.value_texts() == ["192.0.2.1", "192.0.2.2"]
    result = provider.apply(ZONE_NAME, [delete(ZONE_NAME, seen)])
    assert "routing policies" in result.failed[0].message
    assert fake.count("POST", "/records") == 0


def test_names_outside_the_filter_are_refused(pauses: Pauses) -> None:
    with FakeWebhook(domain_filter={"include": [ZONE], "exclude": [f"dev.{ZONE}"]}) as fake:
        provider = make_provider(fake.url, sleep=pauses)
        result = provider.apply(
            ZONE_NAME, [create(ZONE_NAME, rrset(f"x.dev.{ZONE}", "A", "192.0.2.1"))]
        )
        assert "outside the webhook's domain filter" in result.failed[0].message
        assert fake.count("POST", "/records") == 0


# --------------------------------------------------------------------------- adjusting


def test_adjust_returns_what_the_webhook_would_store(fake: FakeWebhook, pauses: Pauses) -> None:
    fake.state.adjust["recordTTL"] = 60
    provider = make_provider(fake.url, sleep=pauses)
    desired = (rrset(f"a.{ZONE}", "A", "192.0.2.1"), rrset(f"b.{ZONE}", "A", "192.0.2.2"))
    assert provider.adjust(desired) == tuple(r.with_ttl(60) for r in desired)
    assert provider.adjust(desired) == tuple(r.with_ttl(60) for r in desired)
    assert fake.count("POST", "/adjustendpoints") == 1  # remembered
    third = rrset(f"c.{ZONE}", "A", "192.0.2.3")
    provider.adjust((*desired, third))
    (last,) = [r.body for r in fake.requests if r.path == "/adjustendpoints"][1:]
    assert [e["dnsName"] for e in last] == [f"c.{ZONE}"]  # only what is new


def test_adjust_drops_what_the_webhook_leaves_out(fake: FakeWebhook, pauses: Pauses) -> None:
    fake.fail("POST", "/adjustendpoints", 200, "[]")
    provider = make_provider(fake.url, sleep=pauses)
    assert provider.adjust((rrset(f"a.{ZONE}", "A", "192.0.2.1"),)) == ()


def test_adjust_5xx_is_an_error_not_silence(fake: FakeWebhook, pauses: Pauses) -> None:
    fake.fail("POST", "/adjustendpoints", 500, "boom", times=10)
    provider = make_provider(fake.url, sleep=pauses, attempts=2)
    with pytest.raises(ProviderError, match=r"500 Internal Server Error: boom"):
        provider.adjust((rrset(f"a.{ZONE}", "A", "192.0.2.1"),))


def test_adjust_413_splits_too(pauses: Pauses) -> None:
    with FakeWebhook(
        domain_filter={"include": [ZONE]}, max_body=4096, adjust={"recordTTL": 60}
    ) as fake:
        provider = make_provider(fake.url, sleep=pauses)
        desired = tuple(rrset(f"h{i}.{ZONE}", "A", f"192.0.2.{i}") for i in range(100))
        assert provider.adjust(desired) == tuple(r.with_ttl(60) for r in desired)
        posts = [r for r in fake.requests if r.path == "/adjustendpoints"]
        assert {r.status for r in posts} == {200, 413}
        assert all(r.size <= 4096 for r in posts if r.status == 200)
        assert provider.body_limit <= 4096


def test_zone_cuts_are_listed_apex_ns_is_not(fake: FakeWebhook, provider: WebhookProvider) -> None:
    fake.put(
        endpoint(ZONE, "NS", "ns1.example.net", "ns2.example.net"),
        endpoint(f"sub.{ZONE}", "NS", "ns1.sub.example.net."),
        endpoint(f"old.{ZONE}", "DNAME", "new.example.net"),
    )
    held = {str(r.key) for r in provider.records(ZONE_NAME)}
    assert held == {f"sub.{ZONE}. NS", f"old.{ZONE}. DNAME"}


def test_an_unreadable_zone_cut_fails_the_read(
    fake: FakeWebhook, provider: WebhookProvider
) -> None:
    fake.put(endpoint(f"sub.{ZONE}", "NS", "not a name"))
    with pytest.raises(ProviderError, match=r"zone cut .* cannot be read"):
        provider.records(ZONE_NAME)
