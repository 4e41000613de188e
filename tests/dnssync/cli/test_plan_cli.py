"""``dnssync plan`` and ``apply`` in-process: exit codes, outputs and errors (docs/cli.md)."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dnssync.cli.main import main

REPO = Path(__file__).resolve().parents[3]
KERBEROS = REPO / "examples" / "kerberos"
AWS = REPO / "examples" / "aws"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


def plan_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run(capsys, "plan", "--output", "json", *argv)
    return code, json.loads(out), err


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


def service(name: str, hostname: str, ip: str, extra: str = "") -> str:
    return textwrap.dedent(f"""
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: {name}
      namespace: web
      annotations: {{dnssync.io/hostname: '{hostname}'{extra}}}
    spec: {{type: LoadBalancer, ports: [{{name: https, port: 443}}]}}
    status: {{loadBalancer: {{ingress: [{{ip: '{ip}'}}]}}}}
    """)


def txt(resource: str, owner: str = "default") -> str:
    return f'"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}"'


def create(
    name: str, rtype: str, values: list[str], resource: str, ttl: int = 300
) -> dict[str, Any]:
    return {
        "action": "create",
        "zone": "example.com.",
        "name": name,
        "type": rtype,
        "ttl": ttl,
        "values": values,
        "old_ttl": None,
        "old_values": None,
        "owner_resource": resource,
    }


INMEMORY = ("--provider", "inmemory", "--zone", "example.com")


def zonefile(zones: Path) -> tuple[str, ...]:
    return ("--provider", "zonefile", "--zonefile-dir", str(zones), "--zone", "example.com")


def test_kerberos_json_document_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    code, document, err = plan_json(capsys, "--manifests", str(KERBEROS), *INMEMORY)
    assert code == 2
    assert "warning:" not in err and "error" not in err
    tcp, udp = "service/krb/kdc-tcp", "service/krb/kdc-udp"
    assert document == {
        "changes": [
            create("_kerberos._tcp.example.com.", "SRV", ["0 100 88 kdc-tcp.example.com."], tcp),
            create("srv-_kerberos._tcp.example.com.", "TXT", [txt(tcp)], tcp),
            create("_kerberos._udp.example.com.", "SRV", ["0 100 88 kdc-udp.example.com."], udp),
            create("srv-_kerberos._udp.example.com.", "TXT", [txt(udp)], udp),
            create("kdc-tcp.example.com.", "A", ["203.0.113.10"], tcp),
            create("a-kdc-tcp.example.com.", "TXT", [txt(tcp)], tcp),
            create("kdc-udp.example.com.", "A", ["203.0.113.11"], udp),
            create("a-kdc-udp.example.com.", "TXT", [txt(udp)], udp),
        ],
        "summary": {"create": 8, "update": 0, "delete": 0},
    }
    # Key order as documented.
    assert list(document) == ["changes", "summary"]
    assert list(document["changes"][0]) == [
        "action",
        "zone",
        "name",
        "type",
        "ttl",
        "values",
        "old_ttl",
        "old_values",
        "owner_resource",
    ]
    assert list(document["summary"]) == ["create", "update", "delete"]


def test_aws_json_cnames_and_srv_to_the_lb(capsys: pytest.CaptureFixture[str]) -> None:
    code, document, _ = plan_json(capsys, "--manifests", str(AWS), *INMEMORY)
    assert code == 2
    records = {(c["name"], c["type"]): c["values"] for c in document["changes"]}
    assert records[("kdc-tcp.example.com.", "CNAME")] == [
        "kdc-tcp-1234567890.elb.us-east-1.amazonaws.com."
    ]
    assert records[("_kerberos._udp.example.com.", "SRV")] == [
        "0 100 88 kdc-udp-0987654321.elb.us-east-1.amazonaws.com."
    ]
    assert ("cname-kdc-udp.example.com.", "TXT") in records


def test_json_update_and_delete_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zones = tmp_path / "zones"
    write(
        zones,
        "example.com.zone",
        f"""
        $ORIGIN example.com.
        @ 3600 SOA ns1 hostmaster 1 3600 600 1209600 300
        @ 3600 NS ns1
        web 60 A 192.0.2.1
        a-web 300 TXT {txt("service/web/web")}
        old 300 AAAA 2001:db8::1
        aaaa-old 300 TXT {txt("service/web/old")}
        """,
    )
    manifests = tmp_path / "m"
    write(manifests, "web.yaml", service("web", "web.example.com", "192.0.2.2"))
    code, document, _ = plan_json(
        capsys,
        "--manifests",
        str(manifests),
        *zonefile(zones),
    )
    assert code == 2
    assert document == {
        "changes": [
            {
                "action": "delete",
                "zone": "example.com.",
                "name": "old.example.com.",
                "type": "AAAA",
                "ttl": None,
                "values": None,
                "old_ttl": 300,
                "old_values": ["2001:db8::1"],
                "owner_resource": "service/web/old",
            },
            {
                "action": "delete",
                "zone": "example.com.",
                "name": "aaaa-old.example.com.",
                "type": "TXT",
                "ttl": None,
                "values": None,
                "old_ttl": 300,
                "old_values": [txt("service/web/old")],
                "owner_resource": "service/web/old",
            },
            {
                "action": "update",
                "zone": "example.com.",
                "name": "web.example.com.",
                "type": "A",
                "ttl": 300,
                "values": ["192.0.2.2"],
                "old_ttl": 60,
                "old_values": ["192.0.2.1"],
                "owner_resource": "service/web/web",
            },
        ],
        "summary": {"create": 0, "update": 1, "delete": 2},
    }


def test_plan_exit_0_when_nothing_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, _err = run(capsys, "plan", "--manifests", str(empty), *INMEMORY)
    assert code == 0
    assert out == "No changes. DNS is up to date.\n"
    code, document, _ = plan_json(capsys, "--manifests", str(empty), *INMEMORY)
    assert code == 0
    assert document == {"changes": [], "summary": {"create": 0, "update": 0, "delete": 0}}


def test_text_output_is_plain_when_piped(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--manifests", str(KERBEROS), *INMEMORY)
    assert code == 2
    assert "\x1b[" not in out
    lines = out.splitlines()
    assert lines[0] == "zone example.com."
    assert "  + kdc-tcp.example.com. A 300 203.0.113.10  (service/krb/kdc-tcp)" in lines
    assert any(line.startswith('  + a-kdc-tcp.example.com. TXT 300 "heritage=') for line in lines)
    assert lines[-1] == "Plan: 8 to create, 0 to update, 0 to delete."


def test_markdown_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "plan", "--manifests", str(KERBEROS), *INMEMORY, "--output", "markdown"
    )
    assert code == 2
    lines = out.splitlines()
    assert lines[0] == "### dnssync plan"
    assert "**8** to create, **0** to update, **0** to delete." in lines
    assert "| action | zone | name | type | ttl | values | old values | owner |" in lines
    assert (
        "| create | `example.com.` | `kdc-udp.example.com.` | A | 300 | `203.0.113.11` |  "
        "| `service/krb/kdc-udp` |"
    ) in lines
    assert "Warnings" not in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("plan", "--manifests", "{kerberos}"), "--provider is required"),
        (("plan", "--manifests", "{kerberos}", "--provider", "nope"), "unknown provider 'nope'"),
        (("plan", "--manifests", "{kerberos}", "--provider", "inmemory"), "--zone is required"),
        (("plan", "--manifests", "{missing}", *INMEMORY), "not a directory"),
        (("plan", *INMEMORY, "--kubeconfig", "{missing}"), "kubeconfig"),
        (("plan", "--manifests", "{kerberos}", *INMEMORY, "--policy", "bogus"), "invalid choice"),
        (
            ("plan", "--manifests", "{kerberos}", *INMEMORY, "--bogus"),
            "unrecognized option(s) --bogus",
        ),
        (("plan", "--manifests", "{kerberos}", *INMEMORY, "--default-ttl", "0"), "--default-ttl"),
        (
            ("plan", "--manifests", "{kerberos}", *INMEMORY, "--max-change-percent", "x"),
            "--max-change-percent: 'x' is not an integer",
        ),
        (
            ("plan", "--manifests", "{kerberos}", *INMEMORY, "--max-change-percent", "150"),
            "--max-change-percent must be within 0..100",
        ),
        (("plan", "--manifests", "{kerberos}", *INMEMORY, "--owner-id", "a,b"), "--owner-id"),
        (
            (
                "plan",
                "--manifests",
                "{kerberos}",
                *INMEMORY,
                "--txt-prefix",
                "p",
                "--txt-suffix",
                "s",
            ),
            "--txt-prefix and --txt-suffix cannot be used together",
        ),
        (("plan", "--manifests", "{kerberos}", *INMEMORY, "--domain", "bad..name"), "--domain"),
        (("plan", "--manifests", "{kerberos}", *INMEMORY, "--source", "pods"), "--source"),
        (
            ("plan", "--manifests", "{kerberos}", *INMEMORY, "--label-selector", ","),
            "--label-selector",
        ),
        (
            (
                "plan",
                "--manifests",
                "{kerberos}",
                "--provider",
                "zonefile",
                "--zone",
                "example.com",
            ),
            "--zonefile-dir is required",
        ),
        ((), "usage"),
    ],
)
def test_plan_exit_1_on_error(
    argv: tuple[str, ...], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = tuple(a.format(kerberos=KERBEROS, missing=tmp_path / "missing") for a in argv)
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert out == ""
    assert fragment in err
    assert "Traceback" not in err


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--help")
    assert code == 0
    assert "--txt-prefix" in out and "%{record_type}" in out
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.startswith("dnssync ")


def test_unsafe_plan_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zones = tmp_path / "zones"
    records = "\n".join(
        f"r{i} 300 A 192.0.2.{i + 1}\na-r{i} 300 TXT {txt(f'service/web/r{i}')}" for i in range(10)
    )
    write(
        zones,
        "example.com.zone",
        f"$ORIGIN example.com.\n@ 3600 SOA ns1 h 1 3600 600 1209600 300\n{records}\n",
    )
    manifests = tmp_path / "m"
    write(
        manifests,
        "a.yaml",
        "".join(service(f"r{i}", f"r{i}.example.com", f"192.0.2.{i + 1}") for i in range(6)),
    )
    argv = (
        "--manifests",
        str(manifests),
        *zonefile(zones),
    )
    before = (zones / "example.com.zone").read_text()
    code, _out, err = run(capsys, "plan", *argv)
    assert code == 1
    assert "unsafe plan: zone example.com.: 4 of 10 owned records" in err
    code, _, _ = run(capsys, "plan", *argv, "--max-change-percent", "40")
    assert code == 2
    code, _, _ = run(capsys, "plan", *argv, "--force")
    assert code == 2
    code, _, err = run(capsys, "apply", *argv, "--yes")
    assert code == 1
    assert "unsafe plan" in err
    assert (zones / "example.com.zone").read_text() == before


def test_empty_source_while_owning_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zones = tmp_path / "zones"
    write(
        zones,
        "example.com.zone",
        f"$ORIGIN example.com.\n@ 3600 SOA ns1 h 1 3600 600 1209600 300\n"
        f"web 300 A 192.0.2.1\na-web 300 TXT {txt('service/web/web')}\n",
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(
        capsys,
        "plan",
        "--manifests",
        str(empty),
        *zonefile(zones),
    )
    assert code == 1
    assert "returned no records while dnssync owns 1" in err


def test_bad_input_is_reported_and_the_rest_planned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifests = tmp_path / "m"
    write(manifests, "good.yaml", service("good", "good.example.com", "192.0.2.1"))
    write(manifests, "broken.yaml", "kind: Service\nmetadata: {name: [oops\n")
    write(
        manifests,
        "bad.yaml",
        service("bad-ttl", "ttl.example.com", "192.0.2.2", ", dnssync.io/ttl: soon")
        + service(
            "bad-prio",
            "prio.example.com",
            "192.0.2.3",
            ", dnssync.io/srv-priority: high, dnssync.io/srv-domain: example.com",
        )
        + service(
            "bad-target", "target.example.com", "192.0.2.4", ", dnssync.io/target: 'not a host!'"
        )
        + service("bad-host", "bad_host!.example.com, fine.example.com", "192.0.2.5")
        + service("outside", "www.example.org", "192.0.2.6")
        + "\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
    )
    code, document, err = plan_json(capsys, "--manifests", str(manifests), *INMEMORY)
    # The rest is planned and shown, but a file that cannot be read fails the run.
    assert code == 1
    assert "the run is incomplete: 1 error(s) above; some input could not be read" in err
    names = sorted({c["name"] for c in document["changes"] if c["type"] != "TXT"})
    assert names == ["fine.example.com.", "good.example.com.", "prio.example.com."]
    assert "error: broken.yaml (document 1): cannot be read: line 3:" in err
    assert "no deletes this run" in err
    for fragment in (
        "service/web/bad-ttl: metadata.annotations[dnssync.io/ttl]: TTL 'soon'",
        "service/web/bad-prio: metadata.annotations[dnssync.io/srv-priority]: "
        "'high' is not an integer",
        "service/web/bad-target: metadata.annotations[dnssync.io/target]: 'not a host!'",
        "service/web/bad-host: metadata.annotations[dnssync.io/hostname]: "
        "invalid name 'bad_host!.example.com'",
        "service/web/outside: metadata.annotations[dnssync.io/hostname]: "
        "www.example.org. is outside every managed zone (example.com.)",
        "bad.yaml (document 6): kind: unknown kind 'Widget' is ignored",
    ):
        assert fragment in err


def test_apply_without_yes_and_no_tty_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    zones = tmp_path / "zones"
    code, out, err = run(
        capsys,
        "apply",
        "--manifests",
        str(KERBEROS),
        *zonefile(zones),
    )
    assert code == 1
    assert "pass --yes" in err
    assert "Apply cancelled." in err
    assert "kdc-tcp.example.com." in out  # the plan was shown
    assert not (zones / "example.com.zone").exists()


def test_apply_asks_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    zones = tmp_path / "zones"
    argv = (
        "apply",
        "--manifests",
        str(KERBEROS),
        *zonefile(zones),
    )
    monkeypatch.setattr("sys.stdin", Tty("no\n"))
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert "Apply cancelled." in err
    assert not (zones / "example.com.zone").exists()
    monkeypatch.setattr("sys.stdin", Tty("yes\n"))
    code, _, err = run(capsys, *argv)
    assert code == 0
    assert "Applied 8 change(s): 4 record(s) and 4 ownership TXT record(s)." in err
    assert (zones / "example.com.zone").exists()


def test_plan_apply_plan_on_zonefile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zones = tmp_path / "zones"
    argv = (
        "--manifests",
        str(KERBEROS),
        *zonefile(zones),
    )
    assert run(capsys, "plan", *argv)[0] == 2
    code, _, err = run(capsys, "apply", *argv, "--yes")
    assert code == 0
    assert "Applied 8 change(s): 4 record(s) and 4 ownership TXT record(s)." in err
    code, out, _ = run(capsys, "plan", *argv)
    assert code == 0
    assert out == "No changes. DNS is up to date.\n"
    assert run(capsys, "apply", *argv, "--yes")[0] == 0
    text = (zones / "example.com.zone").read_text()
    for fragment in (
        "kdc-tcp.example.com. 300 IN A 203.0.113.10",
        "_kerberos._udp.example.com. 300 IN SRV 0 100 88 kdc-udp.example.com.",
        f"srv-_kerberos._udp.example.com. 300 IN TXT {txt('service/krb/kdc-udp')}",
    ):
        assert fragment in text
    # A change in the source is picked up: the UDP KDC moves.
    moved = tmp_path / "moved"
    write(
        moved,
        "kdc.yaml",
        (KERBEROS / "kdc.yaml").read_text().replace("203.0.113.11", "203.0.113.12"),
    )
    argv2 = ("--manifests", str(moved), *argv[2:])
    code, document, _ = plan_json(capsys, *argv2)
    assert code == 2
    assert [
        (c["action"], c["name"], c["values"], c["old_values"]) for c in document["changes"]
    ] == [("update", "kdc-udp.example.com.", ["203.0.113.12"], ["203.0.113.11"])]
    assert run(capsys, "apply", *argv2, "--yes")[0] == 0
    assert run(capsys, "plan", *argv2)[0] == 0


def test_apply_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zones = tmp_path / "zones"
    code, out, _ = run(
        capsys,
        "apply",
        "--manifests",
        str(KERBEROS),
        *zonefile(zones),
        "--yes",
        "--output",
        "json",
    )
    assert code == 0
    assert json.loads(out)["summary"] == {"create": 8, "update": 0, "delete": 0}


def test_source_and_domain_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifests = tmp_path / "m"
    write(
        manifests,
        "a.yaml",
        service("a", "a.example.com", "192.0.2.1") + service("b", "b.dev.example.com", "192.0.2.2"),
    )
    write(
        manifests,
        "gw.yaml",
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: web, annotations: {dnssync.io/hostname: gw.example.com}}
        spec: {listeners: [{name: http, port: 80, protocol: HTTP}]}
        status: {addresses: [{value: 192.0.2.9}]}
        """,
    )

    def names(*extra: str) -> list[str]:
        code, document, _ = plan_json(capsys, "--manifests", str(manifests), *INMEMORY, *extra)
        assert code == 2
        return sorted(c["name"] for c in document["changes"] if c["type"] != "TXT")

    assert names() == ["a.example.com.", "b.dev.example.com.", "gw.example.com."]
    assert names("--source", "service") == ["a.example.com.", "b.dev.example.com."]
    assert names("--source", "gateway") == ["gw.example.com."]
    assert names("--exclude-domain", "dev.example.com") == ["a.example.com.", "gw.example.com."]
    assert names("--domain", "dev.example.com") == ["b.dev.example.com."]
    assert names("--namespace", "web", "--label-selector", "!nothing") == names()


def test_owner_and_prefix_flags(capsys: pytest.CaptureFixture[str]) -> None:
    code, document, _ = plan_json(
        capsys,
        "--manifests",
        str(KERBEROS),
        *INMEMORY,
        "--owner-id",
        "blue",
        "--txt-prefix",
        "dnssync-%{record_type}.",
        "--default-ttl",
        "5m",
    )
    assert code == 2
    txts = {c["name"]: c["values"] for c in document["changes"] if c["type"] == "TXT"}
    assert txts["dnssync-a.kdc-tcp.example.com."] == [txt("service/krb/kdc-tcp", owner="blue")]
    assert "dnssync-srv._kerberos._udp.example.com." in txts


def test_annotation_filter_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifests = tmp_path / "m"
    write(
        manifests,
        "a.yaml",
        service("a", "a.example.com", "192.0.2.1", ", team.example.com/dns: public")
        + service("b", "b.example.com", "192.0.2.2"),
    )
    code, document, _ = plan_json(
        capsys,
        "--manifests",
        str(manifests),
        *INMEMORY,
        "--annotation-filter",
        "team.example.com/dns=public",
    )
    assert code == 2
    assert {c["name"] for c in document["changes"] if c["type"] == "A"} == {"a.example.com."}
