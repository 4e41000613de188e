"""``dnssync explain KIND/NAMESPACE/NAME``: records, conflicts and warnings of one object,
with the exit codes of docs/cli.md (0 publishes, 2 something to look at, 1 error)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from dnssync.cli.explain import parse_object
from dnssync.cli.main import main
from dnssync.errors import ConfigError
from dnssync.model.refs import ObjectRef

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = str(REPO / "examples" / "kerberos-listenerset")
INMEMORY = ("--provider", "inmemory", "--zone", "example.com", "--owner-id", "t")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_route_under_a_listenerset(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "tcproute/krb/kdc", "--manifests", EXAMPLE)
    assert code == 0
    assert out == (
        "tcproute/krb/kdc\n"
        "  publishes:\n"
        "    _kerberos._tcp.example.com. 300 SRV 0 100 88 kdc.example.com.\n"
        "    kdc.example.com. 300 A 203.0.113.50  (merged with udproute/krb/kdc)\n"
        "  zones not read (give --provider to check zones and pending changes)\n"
    )


def test_a_record_shared_with_another_owner(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "UDPRoute/krb/kdc", "--manifests", EXAMPLE)
    assert code == 0
    assert (
        "    kdc.example.com. 300 A 203.0.113.50  (merged with tcproute/krb/kdc; "
        "ownership TXT names tcproute/krb/kdc)\n" in out
    )


def test_a_route_the_listener_does_not_admit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "tcproute/krb-admin/kdc-admin", "--manifests", EXAMPLE)
    assert code == 2
    assert out.splitlines()[1:3] == [
        "  publishes nothing",
        "  warnings:",
    ]
    assert (
        "[NamespaceNotAllowed] spec.parentRefs: listener kpasswd of ListenerSet krb/kerberos "
        "does not admit routes from namespace krb-admin" in out
    )


def test_json_with_a_provider_shows_pending_changes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "explain", "udproute/krb/kdc", "--manifests", EXAMPLE, *INMEMORY, "--output", "json"
    )
    assert code == 0
    document = json.loads(out)
    assert document["object"] == "udproute/krb/kdc"
    assert document["zones_checked"] is True
    assert [(r["name"], r["type"], r["values"]) for r in document["records"]] == [
        ("_kerberos._udp.example.com.", "SRV", ["0 100 88 kdc.example.com."]),
        ("kdc.example.com.", "A", ["203.0.113.50"]),
    ]
    assert document["records"][1]["contributors"] == ["tcproute/krb/kdc", "udproute/krb/kdc"]
    assert {(c["action"], c["name"], c["type"]) for c in document["changes"]} == {
        ("create", "_kerberos._udp.example.com.", "SRV"),
        ("create", "srv-_kerberos._udp.example.com.", "TXT"),
        ("create", "kdc.example.com.", "A"),
        ("create", "a-kdc.example.com.", "TXT"),
    }
    assert document["conflicts"] == [] and document["diagnostics"] == []


def write(tmp_path: Path, text: str) -> str:
    (tmp_path / "m.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return str(tmp_path)


SPLIT = """
    apiVersion: v1
    kind: Service
    metadata:
      name: kdc-tcp
      namespace: krb
      annotations: {dnssync.io/hostname: kdc.example.com}
    spec: {type: LoadBalancer, ports: [{name: kerberos, port: 88, protocol: TCP}]}
    status: {loadBalancer: {ingress: [{ip: 203.0.113.10}]}}
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: kdc-udp
      namespace: krb
      annotations: {dnssync.io/hostname: kdc.example.com}
    spec: {type: LoadBalancer, ports: [{name: kerberos, port: 88, protocol: UDP}]}
    status: {loadBalancer: {ingress: [{ip: 203.0.113.11}]}}
    """


def test_a_name_lost_in_a_conflict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "explain", "svc/krb/kdc-udp", "--manifests", write(tmp_path, SPLIT))
    assert code == 2
    lines = out.splitlines()
    assert lines[:3] == ["service/krb/kdc-udp", "  publishes nothing", "  lost in a conflict:"]
    assert lines[3].startswith("    [ProtocolSplitConflict] metadata.annotations[dnssync.io/")
    assert "give each its own dnssync.io/hostname" in lines[3]


def test_a_record_owned_by_someone_else(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    zones = tmp_path / "zones"
    zones.mkdir()
    (zones / "example.com.zone").write_text(
        "$ORIGIN example.com.\n"
        "@ 300 IN SOA ns.example.com. admin.example.com. 1 3600 600 86400 300\n"
        "@ 300 IN NS ns.example.com.\n"
        "kdc 300 IN A 192.0.2.1\n",
        encoding="utf-8",
    )
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    code, out, _ = run(
        capsys,
        "explain",
        "service/krb/kdc-tcp",
        "--manifests",
        write(manifests, SPLIT.split("---")[0]),
        "--provider",
        "zonefile",
        "--zonefile-dir",
        str(zones),
        "--zone",
        "example.com",
        "--owner-id",
        "t",
        "--output",
        "json",
    )
    assert code == 2
    document = json.loads(out)
    assert [c["reason"] for c in document["conflicts"]] == ["NotOwned"]
    assert document["changes"] == []


def test_not_found_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "service/krb/nope", "--manifests", EXAMPLE)
    assert code == 1
    assert out.startswith("service/krb/nope\n  not found in the sources read")


def test_unreadable_input_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("kind: [unclosed\n", encoding="utf-8")
    code, _, err = run(capsys, "explain", "service/krb/kdc", "--manifests", str(tmp_path))
    assert code == 1
    assert "bad.yaml" in err and "incomplete" in err


@pytest.mark.parametrize("text", ["service", "service/krb", "a/b/c/d", "svc//x", ""])
def test_bad_object_names(capsys: pytest.CaptureFixture[str], text: str) -> None:
    code, out, err = run(capsys, "explain", text, "--manifests", EXAMPLE)
    assert code == 1 and out == ""
    assert "explain needs KIND/NAMESPACE/NAME" in err


def test_parse_object_aliases() -> None:
    assert parse_object("SVC/krb/kdc") == ObjectRef("service", "krb", "kdc")
    assert parse_object("ls/krb/kerberos") == ObjectRef("listenerset", "krb", "kerberos")
    with pytest.raises(ConfigError):
        parse_object("x/y")
