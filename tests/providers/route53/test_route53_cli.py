"""End to end: ``dnssync plan/apply --provider route53`` against moto's Route53 on loopback.

The CLI finds the provider through the entry point and the endpoint through boto3's own
chain (``AWS_ENDPOINT_URL_ROUTE_53``), exactly as on a laptop.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dnssync.cli.main import main
from testinfra.moto_server import MotoRoute53

REPO = Path(__file__).resolve().parents[3]
KERBEROS = REPO / "examples" / "kerberos"
AWS_SPLIT = REPO / "examples" / "aws"
OWNERSHIP = "heritage=external-dns,external-dns/owner=krb-test,external-dns/resource="


def run(capsys: pytest.CaptureFixture[str], command: str, manifests: Path, *extra: str) -> Any:
    argv = [
        command,
        "--manifests",
        str(manifests),
        "--provider",
        "route53",
        "--domain",
        "example.com",
        "--owner-id",
        "krb-test",
        *extra,
    ]
    if command == "apply":
        argv.append("--yes")
    else:
        argv += ["--output", "json"]
    capsys.readouterr()
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def zone_contents(aws: MotoRoute53, zone_id: str) -> dict[tuple[str, str], list[str]]:
    found = {}
    for raw in aws.record_sets(zone_id):
        if raw["Type"] in ("NS", "SOA"):
            continue
        values = [r["Value"] for r in raw.get("ResourceRecords", ())]
        if "AliasTarget" in raw:
            alias = raw["AliasTarget"]
            values = [f"ALIAS {alias['DNSName']} {alias['HostedZoneId']}"]
        found[(raw["Name"], raw["Type"])] = sorted(values)
    return found


def test_providers_command_lists_route53(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["providers"]) == 0
    out = capsys.readouterr().out
    assert "route53 (dnssync-route53" in out
    for flag in (
        "--aws-zone-type",
        "--aws-zone-tags",
        "--aws-batch-change-size:",
        "--aws-batch-change-size-bytes",
        "--aws-batch-change-size-values",
        "--aws-evaluate-target-health",
    ):
        assert flag in out


def test_kerberos_split(aws: MotoRoute53, capsys: pytest.CaptureFixture[str]) -> None:
    zone_id = aws.create_zone("example.com")
    code, out, _ = run(capsys, "plan", KERBEROS)
    assert code == 2
    assert json.loads(out)["summary"] == {"create": 8, "update": 0, "delete": 0}
    code, _, err = run(capsys, "apply", KERBEROS)
    assert code == 0, err
    assert zone_contents(aws, zone_id) == {
        ("kdc-tcp.example.com.", "A"): ["203.0.113.10"],
        ("kdc-udp.example.com.", "A"): ["203.0.113.11"],
        ("_kerberos._tcp.example.com.", "SRV"): ["0 100 88 kdc-tcp.example.com."],
        ("_kerberos._udp.example.com.", "SRV"): ["0 100 88 kdc-udp.example.com."],
        ("a-kdc-tcp.example.com.", "TXT"): [f'"{OWNERSHIP}service/krb/kdc-tcp"'],
        ("a-kdc-udp.example.com.", "TXT"): [f'"{OWNERSHIP}service/krb/kdc-udp"'],
        ("srv-_kerberos._tcp.example.com.", "TXT"): [f'"{OWNERSHIP}service/krb/kdc-tcp"'],
        ("srv-_kerberos._udp.example.com.", "TXT"): [f'"{OWNERSHIP}service/krb/kdc-udp"'],
    }
    # All eight sets (four records, four ownership TXTs) went in one request.
    assert [b.changes for b in aws.change_requests(zone_id)] == [8]
    code, out, _ = run(capsys, "plan", KERBEROS)
    assert code == 0
    assert json.loads(out) == {
        "changes": [],
        "summary": {"create": 0, "update": 0, "delete": 0},
    }


def test_aws_hostname_split(aws: MotoRoute53, capsys: pytest.CaptureFixture[str]) -> None:
    zone_id = aws.create_zone("example.com")
    code, _, err = run(capsys, "apply", AWS_SPLIT)
    assert code == 0, err
    contents = zone_contents(aws, zone_id)
    tcp_lb = "kdc-tcp-1234567890.elb.us-east-1.amazonaws.com."
    udp_lb = "kdc-udp-0987654321.elb.us-east-1.amazonaws.com."
    assert contents[("kdc-tcp.example.com.", "CNAME")] == [tcp_lb]
    assert contents[("kdc-udp.example.com.", "CNAME")] == [udp_lb]
    # RFC 2782: the SRV target is the LB hostname itself, never our CNAME.
    assert contents[("_kerberos._tcp.example.com.", "SRV")] == [f"0 100 88 {tcp_lb}"]
    assert contents[("_kerberos._udp.example.com.", "SRV")] == [f"0 100 88 {udp_lb}"]
    assert ("cname-kdc-tcp.example.com.", "TXT") in contents
    code, out, _ = run(capsys, "plan", AWS_SPLIT)
    assert (code, json.loads(out)["changes"]) == (0, [])


def test_moving_from_ips_to_lb_hostnames(
    aws: MotoRoute53, capsys: pytest.CaptureFixture[str]
) -> None:
    """A to CNAME at the same names: the deletes and creates go in one atomic request."""
    zone_id = aws.create_zone("example.com")
    assert run(capsys, "apply", KERBEROS)[0] == 0
    code, _, err = run(capsys, "apply", AWS_SPLIT)
    assert code == 0, err
    contents = zone_contents(aws, zone_id)
    assert ("kdc-tcp.example.com.", "A") not in contents
    assert ("a-kdc-tcp.example.com.", "TXT") not in contents
    assert ("kdc-tcp.example.com.", "CNAME") in contents
    assert len(aws.change_requests(zone_id)) == 2
    assert run(capsys, "plan", AWS_SPLIT)[0] == 0


APEX = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations:
    dnssync.io/hostname: example.com
spec:
  type: LoadBalancer
  ports:
    - {name: https, port: 443, protocol: TCP}
status:
  loadBalancer:
    ingress:
      - hostname: web-1234567890.eu-west-1.elb.amazonaws.com
"""


def test_lb_hostname_at_the_apex_becomes_an_alias(
    aws: MotoRoute53, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "web.yaml").write_text(APEX)
    zone_id = aws.create_zone("example.com")
    prefix = ("--txt-prefix", "dnssync-%{record_type}.")
    code, _, err = run(capsys, "apply", tmp_path, *prefix, "--no-aws-evaluate-target-health")
    assert code == 0, err
    contents = zone_contents(aws, zone_id)
    alias = ["ALIAS web-1234567890.eu-west-1.elb.amazonaws.com. Z32O12XQLNTSW2"]
    assert contents[("example.com.", "A")] == alias
    assert contents[("example.com.", "AAAA")] == alias
    assert ("example.com.", "CNAME") not in contents
    assert ("dnssync-a.example.com.", "TXT") in contents
    raw = {(r["Name"], r["Type"]): r for r in aws.record_sets(zone_id)}
    assert raw[("example.com.", "A")]["AliasTarget"]["EvaluateTargetHealth"] is False
    code, out, _ = run(capsys, "plan", tmp_path, *prefix)
    assert (code, json.loads(out)["changes"]) == (0, [])


def test_batch_size_flags_reach_the_provider(
    aws: MotoRoute53, capsys: pytest.CaptureFixture[str]
) -> None:
    zone_id = aws.create_zone("example.com")
    code, _, err = run(capsys, "apply", KERBEROS, "--aws-batch-change-size", "2")
    assert code == 0, err
    assert [b.changes for b in aws.change_requests(zone_id)] == [2, 2, 2, 2]


def test_zone_type_flag(aws: MotoRoute53, capsys: pytest.CaptureFixture[str]) -> None:
    aws.create_zone("example.com", private=True)
    code, _, err = run(capsys, "plan", KERBEROS, "--aws-zone-type", "public")
    # No public zone holds the names: the planner reports them outside every zone.
    assert "outside every managed zone" in err
    assert code == 0
