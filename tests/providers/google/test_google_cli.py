"""End to end through the CLI: manifests -> planner -> Google provider -> fake Cloud DNS.

Credentials come from Application Default Credentials (an ``authorized_user`` file in
GOOGLE_APPLICATION_CREDENTIALS whose access token the fake requires), the endpoint from
``--google-api-endpoint``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dnssync.cli.main import main
from testinfra.gcdns_fake import FakeCloudDns, RecordedRequest

REPO = Path(__file__).resolve().parents[3]
ZONE_ID = "example-com"
TOKEN = "cli-test-token"


@pytest.fixture
def cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudDns]:
    adc = tmp_path / "adc.json"
    adc.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "dnssync-test",
                "client_secret": "not-a-secret",
                "refresh_token": "not-a-refresh-token",
                "token": TOKEN,
                "expiry": "2099-01-01T00:00:00Z",
            }
        )
    )
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    for name in list(__import__("os").environ):
        if name.startswith("DNSSYNC_"):
            monkeypatch.delenv(name)
    with FakeCloudDns(page_size=3, polls_until_done=1, access_token=TOKEN) as fake:
        fake.add_zone(ZONE_ID, "example.com.")
        fake.add_zone("example-com-private", "example.com.", visibility="private")
        fake.add_zone("other", "other.example.")
        yield fake


def _args(fake: FakeCloudDns, manifests: Path, *extra: str) -> list[str]:
    return [
        "--manifests",
        str(manifests),
        "--provider",
        "google",
        "--google-api-endpoint",
        fake.url,
        "--google-project",
        "test-project",
        "--google-zone-visibility",
        "public",
        "--owner-id",
        "ci",
        *extra,
    ]


def _plan_json(fake: FakeCloudDns, manifests: Path, capsys: Any) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["plan", *_args(fake, manifests), "--output", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def _zone(fake: FakeCloudDns) -> dict[tuple[str, str], list[str]]:
    return {
        (r["name"], r["type"]): r["rrdatas"]
        for r in fake.rrsets(ZONE_ID)
        if r["type"] not in ("SOA", "NS")
    }


def _txt(kind: str, name: str) -> list[str]:
    return [
        f'"heritage=external-dns,external-dns/owner=ci,external-dns/resource={kind}/krb/{name}"'
    ]


def test_kerberos_split_applies_and_second_plan_is_empty(cloud: FakeCloudDns, capsys: Any) -> None:
    manifests = REPO / "examples" / "kerberos"
    code, plan = _plan_json(cloud, manifests, capsys)
    assert code == 2
    assert plan["summary"] == {"create": 8, "update": 0, "delete": 0}
    # Every managed public zone is read (example.com. and other.example.), one page each.
    assert cloud.operations() == {"zones.list": 1, "rrsets.list": 2}

    cloud.reset_requests()
    cloud.polls_until_done = 2
    assert main(["apply", *_args(cloud, manifests), "--yes"]) == 0
    assert cloud.operations() == {
        "zones.list": 1,
        "rrsets.list": 2,
        "changes.create": 1,  # 4 groups, 8 record sets: one atomic change
        "changes.get": 2,  # polled until done
    }
    assert _zone(cloud) == {
        ("kdc-tcp.example.com.", "A"): ["203.0.113.10"],
        ("kdc-udp.example.com.", "A"): ["203.0.113.11"],
        ("_kerberos._tcp.example.com.", "SRV"): ["0 100 88 kdc-tcp.example.com."],
        ("_kerberos._udp.example.com.", "SRV"): ["0 100 88 kdc-udp.example.com."],
        ("a-kdc-tcp.example.com.", "TXT"): _txt("service", "kdc-tcp"),
        ("a-kdc-udp.example.com.", "TXT"): _txt("service", "kdc-udp"),
        ("srv-_kerberos._tcp.example.com.", "TXT"): _txt("service", "kdc-tcp"),
        ("srv-_kerberos._udp.example.com.", "TXT"): _txt("service", "kdc-udp"),
    }
    assert len(cloud.rrsets("example-com-private")) == 2  # the private twin is untouched
    assert all(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in cloud.requests)

    cloud.reset_requests()
    code, plan = _plan_json(cloud, manifests, capsys)
    assert (code, plan["changes"]) == (0, [])
    # example.com. now holds 10 record sets: 4 pages of 3; other.example. 1 page.
    assert cloud.operations() == {"zones.list": 1, "rrsets.list": 5}


def test_aws_hostname_split_applies_and_second_plan_is_empty(
    cloud: FakeCloudDns, capsys: Any
) -> None:
    manifests = REPO / "examples" / "aws"
    assert main(["apply", *_args(cloud, manifests), "--yes"]) == 0
    tcp_lb = "kdc-tcp-1234567890.elb.us-east-1.amazonaws.com."
    udp_lb = "kdc-udp-0987654321.elb.us-east-1.amazonaws.com."
    assert _zone(cloud) == {
        ("kdc-tcp.example.com.", "CNAME"): [tcp_lb],
        ("kdc-udp.example.com.", "CNAME"): [udp_lb],
        ("_kerberos._tcp.example.com.", "SRV"): [f"0 100 88 {tcp_lb}"],
        ("_kerberos._udp.example.com.", "SRV"): [f"0 100 88 {udp_lb}"],
        ("cname-kdc-tcp.example.com.", "TXT"): _txt("service", "kdc-tcp"),
        ("cname-kdc-udp.example.com.", "TXT"): _txt("service", "kdc-udp"),
        ("srv-_kerberos._tcp.example.com.", "TXT"): _txt("service", "kdc-tcp"),
        ("srv-_kerberos._udp.example.com.", "TXT"): _txt("service", "kdc-udp"),
    }
    code, plan = _plan_json(cloud, manifests, capsys)
    assert (code, plan["changes"]) == (0, [])


def test_concurrent_change_is_reported_then_applied_next_run(
    cloud: FakeCloudDns, tmp_path: Path, capsys: Any
) -> None:
    manifests = tmp_path / "manifests"
    shutil.copytree(REPO / "examples" / "kerberos", manifests)
    assert main(["apply", *_args(cloud, manifests), "--yes"]) == 0
    kdc = manifests / "kdc.yaml"
    kdc.write_text(kdc.read_text().replace("203.0.113.10", "203.0.113.20"))

    # Another writer changes the record after dnssync read the zone, before it writes.
    def other_writer(request: RecordedRequest) -> None:
        if request.operation == "changes.create":
            cloud.on_request = None
            cloud.put_rrset(ZONE_ID, "kdc-tcp.example.com.", "A", 300, ["198.51.100.7"])

    cloud.on_request = other_writer
    capsys.readouterr()
    assert main(["apply", *_args(cloud, manifests), "--yes"]) == 1
    err = capsys.readouterr().err
    assert "not applied" in err and "kdc-tcp.example.com" in err
    assert "changed since it was read" in err and "412" in err
    # Never clobbered.
    assert _zone(cloud)[("kdc-tcp.example.com.", "A")] == ["198.51.100.7"]

    # Next run re-reads the zone: the record is still ours (its TXT), so it is updated.
    code, plan = _plan_json(cloud, manifests, capsys)
    assert code == 2
    (change,) = plan["changes"]
    assert (change["action"], change["old_values"], change["values"]) == (
        "update",
        ["198.51.100.7"],
        ["203.0.113.20"],
    )
    assert main(["apply", *_args(cloud, manifests), "--yes"]) == 0
    assert _zone(cloud)[("kdc-tcp.example.com.", "A")] == ["203.0.113.20"]
    assert _plan_json(cloud, manifests, capsys)[0] == 0


def test_flags_from_environment_and_providers_listing(
    cloud: FakeCloudDns, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    assert main(["providers"]) == 0
    listing = capsys.readouterr().out
    for flag in ("google-project", "google-zone-visibility", "google-batch-change-size"):
        assert f"--{flag}" in listing
    assert "DNSSYNC_GOOGLE_API_ENDPOINT" in listing
    monkeypatch.setenv("DNSSYNC_GOOGLE_API_ENDPOINT", cloud.url)
    monkeypatch.setenv("DNSSYNC_GOOGLE_PROJECT", "test-project")
    monkeypatch.setenv("DNSSYNC_GOOGLE_ZONE_VISIBILITY", "public")
    monkeypatch.setenv("DNSSYNC_GOOGLE_BATCH_CHANGE_SIZE", "2")
    argv = ["--manifests", str(REPO / "examples" / "kerberos"), "--provider", "google"]
    assert main(["apply", *argv, "--owner-id", "ci", "--yes"]) == 0
    assert cloud.count("changes.create") == 4  # one group (record + TXT) per change
    assert len(_zone(cloud)) == 8


def test_split_horizon_without_visibility_is_a_clear_error(
    cloud: FakeCloudDns, capsys: Any
) -> None:
    argv = _args(cloud, REPO / "examples" / "kerberos")
    i = argv.index("--google-zone-visibility")
    del argv[i : i + 2]
    capsys.readouterr()
    assert main(["plan", *argv]) == 1
    assert "--google-zone-visibility" in capsys.readouterr().err
