"""The Google Cloud DNS provider against the fake API: zones, reading, writing, failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dnssync_google.provider import GoogleCloudDnsProvider
from dnssync_google.settings import GoogleSettings

from dnssync.errors import ConfigError, ProviderError
from dnssync.model.names import DomainName
from dnssync.model.records import RecordType, Text
from dnssync.providers import registry
from dnssync.testing.builders import create, delete, ownership_txt, rrset, update
from testinfra.gcdns_fake import FakeCloudDns
from tests.providers.google.gcdns_helpers import PROJECT, ZONE, ZONE_ID, make_provider

Z = DomainName.parse(ZONE)


def _posts(fake: FakeCloudDns) -> list[dict[str, Any]]:
    return [r.body for r in fake.requests if r.operation == "changes.create" and r.status == 200]


# -- registration and options --------------------------------------------------------


def test_registered_under_the_entry_point_group() -> None:
    assert registry.load("google") is GoogleCloudDnsProvider
    flags = [o.flag for o in GoogleCloudDnsProvider.options]
    assert flags == [
        "google-project",
        "google-zone-visibility",
        "google-batch-change-size",
        "google-api-endpoint",
    ]


def test_importing_the_provider_loads_no_google_library() -> None:
    code = (
        "import sys, dnssync_google.provider as p; p.GoogleCloudDnsProvider.options; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'google'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_create_validates_options() -> None:
    provider = GoogleCloudDnsProvider.create(
        {
            "google_project": "p",
            "google_zone_visibility": "private",
            "google_batch_change_size": "50",
            "google_api_endpoint": "http://127.0.0.1:1/",
        }
    )
    assert provider.settings == GoogleSettings("p", "private", 50, "http://127.0.0.1:1")
    assert GoogleCloudDnsProvider.create({}).settings.batch_change_size == 1000
    for bad in (
        {"google_zone_visibility": "internal"},
        {"google_batch_change_size": 0},
        {"google_batch_change_size": "many"},
        {"google_api_endpoint": "dns.example"},
    ):
        with pytest.raises(ConfigError):
            GoogleCloudDnsProvider.create(bad)


# -- zones -----------------------------------------------------------------------------


def _zones(fake: FakeCloudDns) -> None:
    fake.add_zone("pub-a", "a.example.")
    fake.add_zone("pub-b", "B.Example.")
    fake.add_zone("priv-c", "c.internal.", visibility="private")
    fake.add_zone("priv-d", "d.internal.", visibility="private")
    fake.add_zone("peer", "peer.internal.", visibility="private", peeringConfig={"x": 1})
    fake.add_zone("fwd", "fwd.internal.", visibility="private", forwardingConfig={"x": 1})
    fake.add_zone("other-project", "e.example.", project="someone-else")


@pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        (None, ["a.example", "b.example", "c.internal", "d.internal"]),
        ("public", ["a.example", "b.example"]),
        ("private", ["c.internal", "d.internal"]),
    ],
)
def test_zones_are_paged_and_filtered_by_visibility(
    fake: FakeCloudDns, visibility: str | None, expected: list[str]
) -> None:
    _zones(fake)
    provider = make_provider(fake, visibility=visibility)
    assert [z.text for z in provider.zones()] == expected
    assert fake.count("zones.list") == 2  # 6 zones in the project, page size 3
    assert provider.requests.counts[("zones.list", "ok")] == 2


def test_split_horizon_zone_names_need_a_visibility(fake: FakeCloudDns) -> None:
    fake.add_zone("public-example", "example.com.")
    fake.add_zone("private-example", "example.com.", visibility="private")
    with pytest.raises(ProviderError, match="--google-zone-visibility"):
        make_provider(fake).zones()
    private = make_provider(fake, visibility="private")
    assert private.zones() == (Z,)
    private.apply(Z, [create(Z, rrset("web.example.com", "A", "192.0.2.1"))])
    assert fake.rrsets("private-example")[-1]["name"] == "web.example.com."
    assert len(fake.rrsets("public-example")) == 2


def test_unknown_zone_is_a_clear_error(gprovider: Any) -> None:
    with pytest.raises(ProviderError, match=r"nope\.example\. is not a managed zone.*test-project"):
        gprovider.records(DomainName.parse("nope.example"))


# -- reading ---------------------------------------------------------------------------


def test_records_are_read_over_pages_and_normalised(fake: FakeCloudDns, gprovider: Any) -> None:
    put = fake.put_rrset
    put(ZONE_ID, "WEB.Example.COM.", "A", 60, ["192.0.2.2", "192.0.2.1"])
    put(ZONE_ID, "v6.example.com.", "AAAA", 60, ["2001:0DB8:0000::0001"])
    put(ZONE_ID, "alias.example.com.", "CNAME", 60, ["LB.Example.NET."])
    put(ZONE_ID, "_kerberos._udp.example.com.", "SRV", 60, ["0 100 88 KDC.example.com."])
    put(ZONE_ID, "chunks.example.com.", "TXT", 60, ['"abc" "def"', "bare"])
    put(ZONE_ID, "esc.example.com.", "TXT", 60, ['"say \\"hi\\"\\059 ok"'])
    put(ZONE_ID, "mx.example.com.", "MX", 60, ["10 mail.example.com."])
    put(ZONE_ID, "geo.example.com.", "A", 60, [])  # routing policy sets carry no rrdatas
    put(ZONE_ID, "latin.example.com.", "TXT", 60, ['"caf\\233"'])  # any octets, exactly
    held = {(r.name.text, r.rtype): r for r in gprovider.records(Z)}
    assert fake.count("rrsets.list") == 4  # 11 record sets, page size 3
    assert held[("web.example.com", RecordType.A)].value_texts() == ["192.0.2.1", "192.0.2.2"]
    assert held[("web.example.com", RecordType.A)].ttl == 60
    assert held[("v6.example.com", RecordType.AAAA)].value_texts() == ["2001:db8::1"]
    assert held[("alias.example.com", RecordType.CNAME)].value_texts() == ["lb.example.net."]
    srv = held[("_kerberos._udp.example.com", RecordType.SRV)]
    assert srv.value_texts() == ["0 100 88 kdc.example.com."]
    txt = held[("chunks.example.com", RecordType.TXT)]
    assert set(txt.values) == {Text((b"abc", b"def")), Text((b"bare",))}
    esc = held[("esc.example.com", RecordType.TXT)]
    assert esc.values == (Text((b'say "hi"; ok',)),)
    assert held[("latin.example.com", RecordType.TXT)].values == (Text((b"caf\xe9",)),)
    assert set(held) == {
        ("web.example.com", RecordType.A),
        ("v6.example.com", RecordType.AAAA),
        ("alias.example.com", RecordType.CNAME),
        ("_kerberos._udp.example.com", RecordType.SRV),
        ("chunks.example.com", RecordType.TXT),
        ("esc.example.com", RecordType.TXT),
        ("latin.example.com", RecordType.TXT),
    }


def test_update_of_foreign_spelling_deletes_the_exact_server_text(
    fake: FakeCloudDns, gprovider: Any
) -> None:
    """A record written by another tool in non-canonical form still updates cleanly."""
    fake.put_rrset(ZONE_ID, "App.Example.com.", "AAAA", 300, ["2001:0db8:0:0::0001"])
    fake.put_rrset(ZONE_ID, "txt.example.com.", "TXT", 300, ["unquoted"])
    (old_aaaa,) = [r for r in gprovider.records(Z) if r.rtype is RecordType.AAAA]
    (old_txt,) = [r for r in gprovider.records(Z) if r.rtype is RecordType.TXT]
    result = gprovider.apply(
        Z,
        [
            update(Z, old_aaaa, rrset("app.example.com", "AAAA", "2001:db8::2")),
            update(Z, old_txt, rrset("txt.example.com", "TXT", "quoted now")),
        ],
    )
    assert result.ok, result.failed
    (body,) = _posts(fake)
    assert {d["rrdatas"][0] for d in body["deletions"]} == {"2001:0db8:0:0::0001", "unquoted"}
    assert fake.rrset(ZONE_ID, "app.example.com.", "AAAA")["rrdatas"] == ["2001:db8::2"]
    assert fake.rrset(ZONE_ID, "txt.example.com.", "TXT")["rrdatas"] == ['"quoted now"']


# -- writing ---------------------------------------------------------------------------


def test_wire_format_txt_chunks_srv_and_update(fake: FakeCloudDns, gprovider: Any) -> None:
    srv = rrset("_kerberos._tcp.example.com", "SRV", "0 100 88 kdc-tcp.example.com")
    long_txt = rrset("long.example.com", "TXT", "v=" + "x" * 300)
    gprovider.apply(Z, [create(Z, srv, ownership_txt(srv.name.text, "SRV", "service/k/t"))])
    gprovider.apply(Z, [create(Z, long_txt)])
    first, second = _posts(fake)
    assert first["additions"] == [
        {
            "name": "_kerberos._tcp.example.com.",
            "type": "SRV",
            "ttl": "300",
            "rrdatas": ["0 100 88 kdc-tcp.example.com."],
        },
        {
            "name": "srv-_kerberos._tcp.example.com.",
            "type": "TXT",
            "ttl": "300",
            "rrdatas": [
                '"heritage=external-dns,external-dns/owner=contract,'
                'external-dns/resource=service/k/t"'
            ],
        },
    ]
    assert first["deletions"] == []
    assert second["additions"][0]["rrdatas"] == ['"v=' + "x" * 253 + '" "' + "x" * 47 + '"']
    fake.reset_requests()
    new = srv.with_ttl(60)
    assert gprovider.apply(Z, [update(Z, srv, new)]).ok
    (body,) = _posts(fake)
    assert body["deletions"] == [dict(first["additions"][0])]
    assert body["additions"] == [dict(first["additions"][0], ttl="60")]


def test_batches_respect_the_size_and_never_split_a_group(fake: FakeCloudDns) -> None:
    fake.add_zone(ZONE_ID, ZONE + ".")
    provider = make_provider(fake, batch_change_size=5)
    groups = []
    for i in range(7):
        record = rrset(f"h{i}.example.com", "A", f"192.0.2.{i}")
        groups.append(create(Z, record, ownership_txt(record.name.text, "A", f"service/n/{i}")))
    result = provider.apply(Z, groups)
    assert result.ok and len(result.applied) == 7
    posts = _posts(fake)
    assert [len(p["additions"]) for p in posts] == [4, 4, 4, 2]
    for body in posts:
        names = {a["name"] for a in body["additions"]}
        for a in body["additions"]:
            if a["type"] == "A":
                assert "a-" + a["name"] in names  # the ownership TXT travels with it
    assert provider.requests.counts[("changes.create", "ok")] == 4
    assert provider.requests.counts[("changes.get", "ok")] == 4  # each waited for done


def test_deletes_go_before_creates(fake: FakeCloudDns, gprovider: Any) -> None:
    cname = rrset("switch.example.com", "CNAME", "lb.example.net")
    gprovider.apply(Z, [create(Z, cname)])
    fake.reset_requests()
    a = rrset("switch.example.com", "A", "192.0.2.9")
    assert gprovider.apply(Z, [create(Z, a), delete(Z, cname)]).ok
    (body,) = _posts(fake)
    assert [d["type"] for d in body["deletions"]] == ["CNAME"]
    assert [x["type"] for x in body["additions"]] == ["A"]


def test_waits_for_done_with_a_deadline(fake: FakeCloudDns) -> None:
    fake.add_zone(ZONE_ID, ZONE + ".")
    fake.polls_until_done = 4
    provider = make_provider(fake)
    assert provider.apply(Z, [create(Z, rrset("w.example.com", "A", "192.0.2.1"))]).ok
    assert fake.count("changes.get") == 4
    assert provider.sleeps == [0.00075, 0.0015, 0.003, 0.00375]  # bounded, growing backoff

    clock = [0.0]
    stuck = GoogleCloudDnsProvider(
        GoogleSettings(project=PROJECT, api_endpoint=fake.url),
        credentials=provider._api._credentials,
        change_timeout=10.0,
        sleep=lambda s: clock.__setitem__(0, clock[0] + s),
        clock=lambda: clock[0],
    )
    fake.polls_until_done = 10**6
    with pytest.raises(ProviderError, match=r"still 'pending' after 10s"):
        stuck.apply(Z, [create(Z, rrset("x.example.com", "A", "192.0.2.2"))])
    assert 3 <= fake.count("changes.get") - 4 <= 12  # backoff capped at 4 s per poll
    assert clock[0] == pytest.approx(10.0)


# -- conflicts: reported, never clobbered, retried next time -----------------------------


def test_concurrent_change_412_is_reported_and_retried_next_time(
    fake: FakeCloudDns, gprovider: Any
) -> None:
    app = rrset("app.example.com", "A", "192.0.2.10")
    app_txt = ownership_txt("app.example.com", "A", "service/ns/app")
    other = rrset("other.example.com", "A", "192.0.2.20")
    assert gprovider.apply(Z, [create(Z, app, app_txt), create(Z, other)]).ok
    seen = {r.key: r for r in gprovider.records(Z)}
    # Another writer changes app between our read and our write.
    fake.put_rrset(ZONE_ID, "app.example.com.", "A", 300, ["198.51.100.99"])
    fake.reset_requests()
    wanted = rrset("app.example.com", "A", "192.0.2.11")
    other_new = rrset("other.example.com", "A", "192.0.2.21")
    result = gprovider.apply(
        Z, [update(Z, seen[app.key], wanted), update(Z, seen[other.key], other_new)]
    )
    (failure,) = result.failed
    assert failure.conflict
    assert failure.group.primary.key == app.key
    assert "changed since it was read" in failure.message
    assert "412" in failure.message and "conditionNotMet" in failure.message
    assert [g.primary.key for g in result.applied] == [other.key]
    # Never clobbered: the other writer's value is still there.
    assert fake.rrset(ZONE_ID, "app.example.com.", "A")["rrdatas"] == ["198.51.100.99"]
    assert fake.count("changes.create", 412) == 2  # the batch, then the bad group alone
    # Next run: read again, plan from what is there now, and it applies.
    fresh = {r.key: r for r in gprovider.records(Z)}
    assert gprovider.apply(Z, [update(Z, fresh[app.key], wanted)]).ok
    assert fake.rrset(ZONE_ID, "app.example.com.", "A")["rrdatas"] == ["192.0.2.11"]


def test_bisect_isolates_several_bad_groups(fake: FakeCloudDns, gprovider: Any) -> None:
    for i in (3, 11):
        fake.put_rrset(ZONE_ID, f"h{i}.example.com.", "A", 300, ["198.51.100.1"])
    groups = [create(Z, rrset(f"h{i}.example.com", "A", f"192.0.2.{i}")) for i in range(16)]
    result = gprovider.apply(Z, groups)
    assert sorted(f.group.primary.name.text for f in result.failed) == [
        "h11.example.com",
        "h3.example.com",
    ]
    assert all(f.conflict and "409" in f.message for f in result.failed)
    assert len(result.applied) == 14
    assert fake.rrset(ZONE_ID, "h3.example.com.", "A")["rrdatas"] == ["198.51.100.1"]
    # 1 + 2 + 4 + 8 tries on the failing path down to single groups, none on good halves.
    assert fake.count("changes.create") <= 1 + 2 * 4 * 2


def test_concurrent_delete_404_is_a_conflict(fake: FakeCloudDns, gprovider: Any) -> None:
    app = rrset("app.example.com", "A", "192.0.2.10")
    gprovider.apply(Z, [create(Z, app)])
    fake.remove_rrset(ZONE_ID, "app.example.com.", "A")
    result = gprovider.apply(Z, [delete(Z, app)])
    (failure,) = result.failed
    assert failure.conflict and "404" in failure.message
    assert fake.count("zones.get") == 1  # told apart from a missing zone


def test_cname_clash_with_a_foreign_record_is_a_conflict(
    fake: FakeCloudDns, gprovider: Any
) -> None:
    fake.put_rrset(ZONE_ID, "web.example.com.", "TXT", 300, ['"someone else"'])
    result = gprovider.apply(Z, [create(Z, rrset("web.example.com", "CNAME", "lb.example.net"))])
    (failure,) = result.failed
    assert failure.conflict and "cnameResourceRecordSetConflict" in failure.message


def test_invalid_group_is_reported_not_as_conflict(fake: FakeCloudDns, gprovider: Any) -> None:
    outside = create(Z, rrset("web.elsewhere.org", "A", "192.0.2.1"))
    good = create(Z, rrset("good.example.com", "A", "192.0.2.2"))
    result = gprovider.apply(Z, [outside, good])
    (failure,) = result.failed
    assert failure.group == outside and not failure.conflict
    assert "refused by Cloud DNS" in failure.message and "400" in failure.message
    assert [g for g in result.applied] == [good]


def test_missing_zone_is_a_provider_error(fake: FakeCloudDns, gprovider: Any) -> None:
    gprovider.zones()
    with fake._lock:
        del fake._zones[(PROJECT, ZONE_ID)]
    with pytest.raises(ProviderError, match=r"example\.com\..*no longer exists"):
        gprovider.apply(Z, [create(Z, rrset("w.example.com", "A", "192.0.2.1"))])
    with pytest.raises(ProviderError, match=r"404.*notFound"):
        gprovider.records(Z)


# -- retries -----------------------------------------------------------------------------


def test_429_and_5xx_are_retried_with_backoff(fake: FakeCloudDns, gprovider: Any) -> None:
    fake.fail(429, operation="zones.list", retry_after=0)
    fake.fail(503, operation="rrsets.list", count=2)
    fake.fail(500, operation="changes.create")
    fake.fail(502, operation="changes.get")
    assert gprovider.records(Z) == ()
    assert gprovider.apply(Z, [create(Z, rrset("w.example.com", "A", "192.0.2.1"))]).ok
    counts = gprovider.requests.counts
    assert counts[("zones.list", "http_429")] == 1
    assert counts[("rrsets.list", "http_503")] == 2
    assert counts[("changes.create", "http_500")] == 1
    assert counts[("changes.get", "http_502")] == 1
    assert gprovider.requests.total() == fake.count()  # every request counted, retries too
    # retry 429, 503, 503 (doubling), 500; poll; retry 502
    assert gprovider.sleeps == [0.0075, 0.0075, 0.015, 0.0075, 0.00075, 0.0075]
    assert fake.rrset(ZONE_ID, "w.example.com.", "A") is not None


def test_retries_are_bounded(fake: FakeCloudDns, gprovider: Any) -> None:
    fake.fail(503, operation="rrsets.list", count=10)
    with pytest.raises(ProviderError, match=r"rrsets.list failed after 4 attempts.*503"):
        gprovider.records(Z)
    assert fake.count("rrsets.list") == 4


def test_lost_answer_then_retry_is_reported_not_clobbered(
    fake: FakeCloudDns, gprovider: Any
) -> None:
    """A 5xx after the change took effect: the retry gets 409 and nothing is doubled."""
    fake.fail(503, operation="changes.create", after=True)
    result = gprovider.apply(Z, [create(Z, rrset("w.example.com", "A", "192.0.2.1"))])
    assert result.failed and result.failed[0].conflict
    assert fake.rrset(ZONE_ID, "w.example.com.", "A")["rrdatas"] == ["192.0.2.1"]
    assert len(fake.changes(ZONE_ID)) == 1


def test_failure_after_some_batches_reports_the_rest(fake: FakeCloudDns) -> None:
    fake.add_zone(ZONE_ID, ZONE + ".")
    provider = make_provider(fake, batch_change_size=1)
    fake.fail(403, operation="changes.create", reason="forbidden")
    with pytest.raises(ProviderError, match="permission denied"):
        provider.apply(Z, [create(Z, rrset("a.example.com", "A", "192.0.2.1"))])
    fake.on_request = lambda r: (
        fake.fail(403, operation="changes.create", reason="forbidden")
        if r.operation == "changes.get"
        else None
    )
    groups = [create(Z, rrset(f"h{i}.example.com", "A", "192.0.2.1")) for i in range(3)]
    result = provider.apply(Z, groups)
    assert len(result.applied) == 1
    assert len(result.failed) == 2
    assert all("not applied" in f.message and not f.conflict for f in result.failed)


# -- credentials ---------------------------------------------------------------------------


def _adc_file(tmp_path: Path, token: str) -> Path:
    path = tmp_path / "adc.json"
    path.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "dnssync-test",
                "client_secret": "not-a-secret",
                "refresh_token": "not-a-refresh-token",
                "token": token,
                "expiry": "2099-01-01T00:00:00Z",
            }
        )
    )
    return path


def test_application_default_credentials_are_used(
    fake: FakeCloudDns, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.add_zone(ZONE_ID, ZONE + ".")
    fake.access_token = "adc-token-1"
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(_adc_file(tmp_path, "adc-token-1")))
    provider = GoogleCloudDnsProvider.create(
        {"google_project": PROJECT, "google_api_endpoint": fake.url}
    )
    assert provider.zones() == (Z,)
    assert fake.requests[-1].headers["Authorization"] == "Bearer adc-token-1"
    provider.close()


def test_missing_credentials_and_project_are_clear_errors(
    fake: FakeCloudDns, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    provider = GoogleCloudDnsProvider.create({"google_api_endpoint": fake.url})
    with pytest.raises(ProviderError, match="Application Default Credentials"):
        provider.zones()
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(_adc_file(tmp_path, "t")))
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    provider = GoogleCloudDnsProvider.create({"google_api_endpoint": fake.url})
    with pytest.raises(ConfigError, match="--google-project is required"):
        provider.zones()


def test_rejected_token_is_a_clear_error(fake: FakeCloudDns, gprovider: Any) -> None:
    fake.access_token = "only-this-one"
    with pytest.raises(ProviderError, match=r"not authenticated|refreshed"):
        gprovider.zones()
    assert "only-this-one" not in str(fake.requests[-1].headers)
