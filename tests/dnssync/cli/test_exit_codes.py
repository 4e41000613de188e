"""Exit codes never hide an error (issue 13 item 5), and the counts in messages agree
with the plan they describe (issue 14 item 7).

``plan``: 0 nothing to do, 2 changes, 1 any error: an Error diagnostic or input that
could not be read makes the run incomplete, and ``plan`` exits 1 after showing the plan.
``apply`` applies what is safe in an incomplete run (creates and updates: an incomplete
run plans no deletes) and exits 1, so CI turns red.
"""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import pytest

from dnssync.cli.main import main

REPO = Path(__file__).resolve().parents[3]
KERBEROS = REPO / "examples" / "kerberos"
INMEMORY = ("--provider", "inmemory", "--zone", "example.com", "--owner-id", "t")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


def txt(resource: str) -> str:
    return f'"heritage=external-dns,external-dns/owner=t,external-dns/resource={resource}"'


def service(name: str, hostname: str, status: str) -> str:
    return textwrap.dedent(f"""
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: {name}
      namespace: web
      annotations: {{dnssync.io/hostname: '{hostname}'}}
    spec: {{type: LoadBalancer, ports: [{{name: https, port: 443}}]}}
    status: {{loadBalancer: {{ingress: [{status}]}}}}
    """)


@pytest.fixture
def broken_manifests(tmp_path: Path) -> Path:
    """One good Service and one file that cannot be parsed."""
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "good.yaml").write_text(service("good", "good.example.com", "{ip: 192.0.2.1}"))
    (manifests / "broken.yaml").write_text("kind: Service\nmetadata: {name: [oops\n")
    return manifests


def zonefile(tmp_path: Path, *owned: str) -> tuple[str, ...]:
    """A zone file with an A record (and its ownership TXT) per name in ``owned``."""
    zones = tmp_path / "zones"
    zones.mkdir(exist_ok=True)
    records = "".join(
        f"{name} 300 A 192.0.2.{i + 10}\na-{name} 300 TXT {txt(f'service/web/{name}')}\n"
        for i, name in enumerate(owned)
    )
    (zones / "example.com.zone").write_text(
        f"$ORIGIN example.com.\n@ 3600 SOA ns1 h 1 3600 600 1209600 300\n{records}"
    )
    return (
        "--provider",
        "zonefile",
        "--zonefile-dir",
        str(zones),
        "--zone",
        "example.com",
        "--owner-id",
        "t",
    )


@pytest.mark.parametrize("output", ["text", "json", "markdown"])
def test_plan_exits_1_after_showing_the_plan_when_input_cannot_be_read(
    output: str, broken_manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "plan", "--manifests", str(broken_manifests), *INMEMORY, "--output", output
    )
    assert code == 1
    assert "good.example.com." in out  # the rest is planned and shown
    assert "broken.yaml (document 1): cannot be read" in err
    assert (
        "error: the run is incomplete: 1 error(s) above; some input could not be read, "
        "so nothing is deleted this run"
    ) in err
    if output == "json":
        # Exactly one JSON document on stdout; the messages stay on stderr.
        document = json.loads(out)
        assert document["summary"] == {"create": 2, "update": 0, "delete": 0}


def test_an_error_diagnostic_alone_makes_plan_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "a.yaml").write_text(
        service("apex", "example.com", "{hostname: lb.example.net}")
        + service("www", "www.example.com", "{ip: 192.0.2.1}")
    )
    code, out, err = run(capsys, "plan", "--manifests", str(manifests), *INMEMORY)
    assert code == 1
    assert "error: service/web/apex: " in err and "is a zone apex" in err
    assert "www.example.com." in out
    assert "the run is incomplete: 1 error(s) above" in err
    assert "some input could not be read" not in err


def test_warnings_alone_keep_the_plan_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "a.yaml").write_text(
        service("outside", "www.example.org", "{ip: 192.0.2.1}")
        + service("www", "www.example.com", "{ip: 192.0.2.2}")
    )
    code, _, err = run(capsys, "plan", "--manifests", str(manifests), *INMEMORY)
    assert code == 2
    assert "warning: service/web/outside" in err
    assert "incomplete" not in err


def test_apply_applies_what_is_safe_keeps_what_it_cannot_read_and_exits_1(
    broken_manifests: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "gone" is owned but in no readable manifest: maybe it is in broken.yaml.
    flags = zonefile(tmp_path, "gone")
    zone_file = tmp_path / "zones" / "example.com.zone"
    code, _, err = run(capsys, "apply", "--yes", "--manifests", str(broken_manifests), *flags)
    assert code == 1
    assert "Applied 2 change(s): 1 record(s) and 1 ownership TXT record(s)." in err
    assert (
        "error: what was safe was applied, but the run is incomplete: 1 error(s) above; "
        "some input could not be read, so nothing is deleted this run"
    ) in err
    text = zone_file.read_text()
    assert "good.example.com. 300 IN A 192.0.2.1" in text
    assert "gone.example.com. 300 IN A 192.0.2.10" in text
    # Nothing left to apply, still incomplete: still 1.
    code, _, err = run(capsys, "apply", "--yes", "--manifests", str(broken_manifests), *flags)
    assert code == 1
    assert "error: the run is incomplete" in err and "Applied" not in err
    # Once the file is fixed the run is complete, and the record nobody wants goes.
    (broken_manifests / "broken.yaml").unlink()
    code, _, err = run(capsys, "apply", "--yes", "--manifests", str(broken_manifests), *flags)
    assert code == 0, err
    assert "Applied 2 change(s): 1 record(s) and 1 ownership TXT record(s)." in err
    assert "gone.example.com." not in zone_file.read_text()


def test_the_unsafe_message_counts_records_and_their_txt_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = zonefile(tmp_path, *(f"r{i}" for i in range(4)))
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = run(capsys, "plan", "--manifests", str(empty), *flags)
    assert code == 1
    assert out.splitlines()[-1] == "Plan: 0 to create, 0 to update, 8 to delete."
    assert (
        "unsafe plan: zone example.com.: the sources returned no records while dnssync owns "
        "4 record(s) here; refusing to delete them all (8 changes in the plan: 4 record(s) "
        "and 4 ownership TXT record(s); use --force if intended)"
    ) in err


def test_the_threshold_message_counts_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = zonefile(tmp_path, *(f"r{i}" for i in range(10)))
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "a.yaml").write_text(
        "".join(
            service(f"r{i}", f"r{i}.example.com", f"{{ip: 192.0.2.{i + 10}}}") for i in range(6)
        )
    )
    code, _, err = run(capsys, "plan", "--manifests", str(manifests), *flags)
    assert code == 1
    assert (
        "unsafe plan: zone example.com.: 4 of 10 owned records would be updated or deleted "
        "(8 changes in the plan: 4 record(s) and 4 ownership TXT record(s)), more than "
        "--max-change-percent 30%; use --force if intended"
    ) in err


def test_apply_says_how_many_changes_and_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = zonefile(tmp_path)
    code, out, err = run(capsys, "apply", "--yes", "--manifests", str(KERBEROS), *flags)
    assert code == 0
    assert out.splitlines()[-1] == "Plan: 8 to create, 0 to update, 0 to delete."
    assert "Applied 8 change(s): 4 record(s) and 4 ownership TXT record(s)." in err


def test_end_of_input_at_the_prompt_cancels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Tty(""))
    code, _, err = run(capsys, "apply", "--manifests", str(KERBEROS), *zonefile(tmp_path))
    assert code == 1
    assert "Apply cancelled." in err
    assert "Traceback" not in err
