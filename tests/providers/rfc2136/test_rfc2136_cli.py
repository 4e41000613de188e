"""End to end through the CLI: manifests -> planner -> rfc2136 -> a real server -> DNS answers.

The worked examples of docs/rules.md: the Kerberos protocol split (two LoadBalancers
with IPs: A records + SRV) and the same split on AWS (LB hostnames: CNAMEs, and SRV
targets that are the LB hostnames themselves). After ``dnssync apply`` the records are
resolved with plain dnspython queries against the server, and a second ``dnssync plan``
finds nothing to do (exit 0).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from dnssync.cli.main import main
from testinfra.bind import DnsServer

pytestmark = pytest.mark.bind

REPO = Path(__file__).resolve().parents[3]
KERBEROS = REPO / "examples" / "kerberos"
AWS = REPO / "examples" / "aws"
OWNER = "e2e"


@pytest.fixture(params=["bind", "knot"])
def server(
    request: pytest.FixtureRequest,
    start_server: Callable[[str, Sequence[str]], DnsServer],
    monkeypatch: pytest.MonkeyPatch,
) -> DnsServer:
    started = start_server(request.param, ["example.com"])
    monkeypatch.setenv("DNSSYNC_RFC2136_TSIG_SECRET", started.tsig.secret)
    return started


def dnssync(server: DnsServer, command: str, manifests: Path, *extra: str) -> int:
    argv = [command, "--manifests", str(manifests), "--owner-id", OWNER]
    argv += server.cli_flags("example.com")
    return main([*argv, *extra])


def test_kerberos_split_applies_resolves_and_converges(
    server: DnsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert dnssync(server, "plan", KERBEROS) == 2
    assert dnssync(server, "apply", KERBEROS, "--yes") == 0

    assert server.query("kdc-tcp.example.com.", "A") == ["203.0.113.10"]
    assert server.query("kdc-udp.example.com.", "A") == ["203.0.113.11"]
    assert server.query("_kerberos._tcp.example.com.", "SRV") == ["0 100 88 kdc-tcp.example.com."]
    assert server.query("_kerberos._udp.example.com.", "SRV") == ["0 100 88 kdc-udp.example.com."]
    ownership = server.query("srv-_kerberos._udp.example.com.", "TXT")
    assert ownership == [
        '"heritage=external-dns,external-dns/owner=e2e,external-dns/resource=service/krb/kdc-udp"'
    ]
    assert server.query("a-kdc-tcp.example.com.", "TXT")

    capsys.readouterr()
    assert dnssync(server, "plan", KERBEROS, "--output", "json") == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["changes"] == []


def test_aws_hostname_split_cnames_and_srv_to_the_lb(
    server: DnsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The secret from a file this time (the env var must not be needed).
    monkeypatch.delenv("DNSSYNC_RFC2136_TSIG_SECRET")
    secret_file = tmp_path / "tsig.secret"
    secret_file.write_text(server.tsig.secret + "\n")
    extra = ("--rfc2136-tsig-secret-file", str(secret_file))

    assert dnssync(server, "apply", AWS, "--yes", *extra) == 0
    assert server.query("kdc-tcp.example.com.", "CNAME") == [
        "kdc-tcp-1234567890.elb.us-east-1.amazonaws.com."
    ]
    assert server.query("kdc-udp.example.com.", "CNAME") == [
        "kdc-udp-0987654321.elb.us-east-1.amazonaws.com."
    ]
    # RFC 2782: the SRV target is the LB hostname itself, never our CNAME.
    assert server.query("_kerberos._tcp.example.com.", "SRV") == [
        "0 100 88 kdc-tcp-1234567890.elb.us-east-1.amazonaws.com."
    ]
    assert server.query("_kerberos._udp.example.com.", "SRV") == [
        "0 100 88 kdc-udp-0987654321.elb.us-east-1.amazonaws.com."
    ]
    assert server.query("cname-kdc-tcp.example.com.", "TXT")
    assert dnssync(server, "plan", AWS, *extra) == 0


def test_switch_from_ips_to_hostnames_and_remove_a_service(
    server: DnsServer, tmp_path: Path
) -> None:
    """Kerberos split with IPs, then the same Services move to AWS (A -> CNAME, SRV target
    changes), then one Service goes away: only its records and TXT are deleted."""
    assert dnssync(server, "apply", KERBEROS, "--yes") == 0
    assert dnssync(server, "apply", AWS, "--yes") == 0
    assert server.query("kdc-tcp.example.com.", "A") == []
    assert server.query("kdc-tcp.example.com.", "CNAME") == [
        "kdc-tcp-1234567890.elb.us-east-1.amazonaws.com."
    ]
    assert server.query("a-kdc-tcp.example.com.", "TXT") == []
    assert dnssync(server, "plan", AWS) == 0

    only_tcp = tmp_path / "only-tcp"
    only_tcp.mkdir()
    text = (AWS / "kdc.yaml").read_text()
    (only_tcp / "kdc.yaml").write_text(text.split("\n---\n")[0] + "\n")
    assert dnssync(server, "apply", only_tcp, "--yes") == 0
    assert server.query("kdc-udp.example.com.", "CNAME") == []
    assert server.query("_kerberos._udp.example.com.", "SRV") == []
    assert server.query("cname-kdc-udp.example.com.", "TXT") == []
    assert server.query("srv-_kerberos._udp.example.com.", "TXT") == []
    assert server.query("_kerberos._tcp.example.com.", "SRV") == [
        "0 100 88 kdc-tcp-1234567890.elb.us-east-1.amazonaws.com."
    ]
    assert dnssync(server, "plan", only_tcp) == 0


def test_foreign_records_are_never_touched(server: DnsServer, tmp_path: Path) -> None:
    """A record at our name without our ownership TXT: the plan reports it, apply leaves it."""
    import dns.query
    import dns.update

    message = dns.update.UpdateMessage("example.com.")
    message.use_tsig(server.tsig.dns_key())
    message.add("kdc-udp", 300, "A", "198.51.100.200")
    dns.query.tcp(message, server.host, port=server.port, timeout=10)
    manifests = tmp_path / "m"
    shutil.copytree(KERBEROS, manifests)
    assert dnssync(server, "apply", manifests, "--yes") == 0
    assert server.query("kdc-udp.example.com.", "A") == ["198.51.100.200"]
    assert server.query("kdc-tcp.example.com.", "A") == ["203.0.113.10"]


def test_wrong_key_is_a_clear_error_without_the_secret(
    server: DnsServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "c2VjcmV0LXRoYXQtaXMtd3Jvbmctc2VjcmV0LXRoYXQtaXM="
    monkeypatch.setenv("DNSSYNC_RFC2136_TSIG_SECRET", wrong)
    assert dnssync(server, "apply", KERBEROS, "--yes") == 1
    captured = capsys.readouterr()
    assert "BADSIG" in captured.err
    assert wrong not in captured.err + captured.out
    assert server.tsig.secret not in captured.err + captured.out
    assert server.query("kdc-tcp.example.com.", "A") == []
