"""The fake Cloud DNS API, driven by the real google-cloud-dns client library.

These pin the behaviour the provider relies on: the wire format the library sends, paging,
atomic changes, the error statuses and reasons, and the injected failures.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions as gexc

from testinfra.gcdns_fake import FakeCloudDns

PROJECT = "test-project"


def _change(zone: Any, add: list[tuple[Any, ...]] = (), delete: list[tuple[Any, ...]] = ()) -> Any:
    change = zone.changes()
    for rr in delete:
        change.delete_record_set(zone.resource_record_set(*rr))
    for rr in add:
        change.add_record_set(zone.resource_record_set(*rr))
    change.create()
    return change


@pytest.fixture
def zone(fake: FakeCloudDns, gclient: Any) -> Any:
    zone = gclient.zone("example-test", "example.test.", description="test zone")
    zone.create()
    return zone


def test_zone_create_and_list_pages(fake: FakeCloudDns, gclient: Any) -> None:
    for i in range(7):
        gclient.zone(f"z{i}", f"z{i}.test.").create()
    fake.add_zone("inside", "inside.test.", visibility="private")
    fake.reset_requests()
    zones = list(gclient.list_zones())
    assert sorted(z.name for z in zones) == sorted([f"z{i}" for i in range(7)] + ["inside"])
    assert fake.count("zones.list") == 3  # 8 zones, page size 3
    assert fake.requests[1].query["pageToken"]
    assert all(r.query.get("prettyPrint") == "false" for r in fake.requests)
    private = next(z for z in zones if z.name == "inside")
    assert private._properties["visibility"] == "private"


def test_wire_format_of_a_change(fake: FakeCloudDns, zone: Any) -> None:
    fake.reset_requests()
    change = _change(zone, add=[("web.example.test.", "A", 300, ["192.0.2.10"])])
    posted = fake.requests[0]
    assert posted.method == "POST"
    assert posted.path == f"/dns/v1/projects/{PROJECT}/managedZones/example-test/changes"
    assert posted.body == {
        "additions": [
            {"name": "web.example.test.", "type": "A", "ttl": "300", "rrdatas": ["192.0.2.10"]}
        ],
        "deletions": [],
    }
    assert posted.headers["Content-Type"] == "application/json"
    assert "gccl/" in posted.headers["X-Goog-API-Client"]
    assert "Authorization" not in posted.headers
    assert change.status == "pending"
    change.reload()
    assert change.status == "done"


def test_rrsets_paging_and_max_results(fake: FakeCloudDns, zone: Any) -> None:
    _change(zone, add=[(f"h{i}.example.test.", "A", 60, [f"192.0.2.{i}"]) for i in range(8)])
    fake.reset_requests()
    names = [r.name for r in zone.list_resource_record_sets()]
    assert len(names) == 10  # + SOA and NS
    assert len(set(names)) == len(names) - 1  # SOA and NS share the apex
    assert fake.count("rrsets.list") == 4
    fake.reset_requests()
    assert len(list(zone.list_resource_record_sets(max_results=4))) == 4
    assert [r.query.get("maxResults") for r in fake.requests] == ["4", "1"]


def test_paging_is_stable_when_the_zone_changes_between_pages(
    fake: FakeCloudDns, zone: Any
) -> None:
    _change(zone, add=[(f"h{i}.example.test.", "A", 60, ["192.0.2.1"]) for i in range(6)])
    iterator = zone.list_resource_record_sets()
    pages = iterator.pages
    first = [r.name for r in next(pages)]
    fake.remove_rrset("example-test", first[0], "A")  # another writer deletes a listed name
    rest = [r.name for page in pages for r in page]
    assert not set(first) & set(rest)
    assert len(first) + len(rest) == 8


def test_change_is_atomic_and_reports_every_problem(fake: FakeCloudDns, zone: Any) -> None:
    _change(zone, add=[("web.example.test.", "A", 300, ["192.0.2.10"])])
    with pytest.raises(gexc.NotFound) as info:
        _change(
            zone,
            delete=[("gone.example.test.", "A", 300, ["192.0.2.1"])],
            add=[
                ("new.example.test.", "A", 300, ["192.0.2.2"]),
                ("web.example.test.", "A", 300, ["192.0.2.11"]),
            ],
        )
    assert [e["reason"] for e in info.value.errors] == ["notFound", "alreadyExists"]
    assert fake.rrset("example-test", "new.example.test.", "A") is None


def test_deletion_must_match_exactly(fake: FakeCloudDns, zone: Any) -> None:
    _change(zone, add=[("web.example.test.", "A", 300, ["192.0.2.10", "192.0.2.11"])])
    for ttl, data in ((60, ["192.0.2.10", "192.0.2.11"]), (300, ["192.0.2.10"])):
        with pytest.raises(gexc.PreconditionFailed) as info:
            _change(zone, delete=[("web.example.test.", "A", ttl, data)])
        assert info.value.code == 412
        assert [e["reason"] for e in info.value.errors] == ["conditionNotMet"]
    # Order of rrdatas does not matter; name case does not either.
    _change(
        zone,
        delete=[("WEB.example.test.", "A", 300, ["192.0.2.11", "192.0.2.10"])],
        add=[("web.example.test.", "A", 60, ["192.0.2.12"])],
    )
    assert fake.rrset("example-test", "web.example.test.", "A")["rrdatas"] == ["192.0.2.12"]


def test_addition_of_existing_is_409(zone: Any) -> None:
    _change(zone, add=[("web.example.test.", "A", 300, ["192.0.2.10"])])
    with pytest.raises(gexc.Conflict) as info:
        _change(zone, add=[("web.example.test.", "A", 60, ["192.0.2.99"])])
    assert info.value.code == 409
    assert info.value.errors[0]["reason"] == "alreadyExists"


def test_cname_cannot_share_a_name(fake: FakeCloudDns, zone: Any) -> None:
    _change(zone, add=[("web.example.test.", "A", 300, ["192.0.2.10"])])
    with pytest.raises(gexc.BadRequest) as info:
        _change(zone, add=[("web.example.test.", "CNAME", 300, ["lb.example.net."])])
    assert info.value.errors[0]["reason"] == "cnameResourceRecordSetConflict"
    # Replacing the A by a CNAME in one change is fine: deletions go first.
    _change(
        zone,
        delete=[("web.example.test.", "A", 300, ["192.0.2.10"])],
        add=[("web.example.test.", "CNAME", 300, ["lb.example.net."])],
    )
    assert fake.rrset("example-test", "web.example.test.", "CNAME") is not None


@pytest.mark.parametrize(
    ("rtype", "data"),
    [
        ("A", "192.0.2.300"),
        ("AAAA", "192.0.2.1"),
        ("CNAME", "relative.example.net"),
        ("SRV", "0 100 88 kdc.example.test"),
        ("TXT", '"' + "x" * 256 + '"'),
    ],
)
def test_invalid_data_is_400(zone: Any, rtype: str, data: str) -> None:
    with pytest.raises(gexc.BadRequest) as info:
        _change(zone, add=[("bad.example.test.", rtype, 300, [data])])
    assert info.value.errors[0]["reason"] == "invalid"


def test_long_txt_in_chunks_is_accepted(fake: FakeCloudDns, zone: Any) -> None:
    data = '"' + "x" * 255 + '" "' + "y" * 45 + '"'
    _change(zone, add=[("long.example.test.", "TXT", 300, [data])])
    assert fake.rrset("example-test", "long.example.test.", "TXT")["rrdatas"] == [data]


def test_name_outside_the_zone_is_400(zone: Any) -> None:
    with pytest.raises(gexc.BadRequest):
        _change(zone, add=[("web.other.test.", "A", 300, ["192.0.2.1"])])


def test_missing_zone_is_404(gclient: Any) -> None:
    with pytest.raises(gexc.NotFound) as info:
        list(gclient.zone("nope", "nope.test.").list_resource_record_sets())
    assert info.value.errors[0]["reason"] == "notFound"
    with pytest.raises(gexc.NotFound):
        _change(gclient.zone("nope", "nope.test."), add=[("a.nope.test.", "A", 1, ["192.0.2.1"])])


def test_delete_non_empty_zone_is_refused(zone: Any) -> None:
    _change(zone, add=[("web.example.test.", "A", 300, ["192.0.2.10"])])
    with pytest.raises(gexc.BadRequest) as info:
        zone.delete()
    assert info.value.errors[0]["reason"] == "containerNotEmpty"


def test_pending_turns_done_after_the_configured_polls(fake: FakeCloudDns, zone: Any) -> None:
    fake.polls_until_done = 3
    change = _change(zone, add=[("web.example.test.", "A", 300, ["192.0.2.10"])])
    seen = []
    for _ in range(3):
        change.reload()
        seen.append(change.status)
    assert seen == ["pending", "pending", "done"]
    fake.polls_until_done = 0
    assert _change(zone, add=[("w2.example.test.", "A", 300, ["192.0.2.1"])]).status == "done"


def test_injected_failures(fake: FakeCloudDns, zone: Any) -> None:
    fake.fail(429, operation="rrsets.list", retry_after=2)
    with pytest.raises(gexc.TooManyRequests) as info:
        list(zone.list_resource_record_sets())
    assert info.value.errors[0]["reason"] == "rateLimitExceeded"
    assert info.value.response.headers["Retry-After"] == "2"
    fake.fail(503, operation="changes.create")
    with pytest.raises(gexc.ServiceUnavailable):
        _change(zone, add=[("web.example.test.", "A", 300, ["192.0.2.10"])])
    assert fake.rrset("example-test", "web.example.test.", "A") is None
    # "after": the change takes effect but the answer is lost.
    fake.fail(500, operation="changes.create", after=True)
    with pytest.raises(gexc.InternalServerError):
        _change(zone, add=[("web.example.test.", "A", 300, ["192.0.2.10"])])
    assert fake.rrset("example-test", "web.example.test.", "A") is not None
    assert len(list(zone.list_resource_record_sets())) == 3


def test_access_token_is_required_when_set(fake: FakeCloudDns) -> None:
    import requests

    fake.access_token = "secret-token"
    url = f"{fake.url}/dns/v1/projects/{PROJECT}/managedZones"
    denied = requests.get(url, timeout=5)
    assert denied.status_code == 401
    assert denied.json()["error"]["status"] == "UNAUTHENTICATED"
    token = requests.post(f"{fake.url}/token", data={"grant_type": "refresh_token"}, timeout=5)
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert requests.get(url, headers=bearer, timeout=5).status_code == 200


def test_stop_is_bounded_and_frees_the_port() -> None:
    import socket
    import time

    fake = FakeCloudDns().start()
    port = fake.port
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 5
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_changes_are_listed_with_paging(fake: FakeCloudDns, zone: Any) -> None:
    for i in range(5):
        _change(zone, add=[(f"h{i}.example.test.", "A", 60, ["192.0.2.1"])])
    fake.reset_requests()
    changes = list(zone.list_changes())
    assert [c.name for c in changes] == ["1", "2", "3", "4", "5"]
    assert [len(c.additions) for c in changes] == [1] * 5
    assert fake.count("changes.list") == 2
