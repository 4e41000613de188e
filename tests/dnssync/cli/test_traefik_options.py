"""``--traefik-service`` and ``--traefik-legacy`` from flags, environment and config file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dnssync.cli.main import main

REPO = Path(__file__).resolve().parents[3]
TRAEFIK = str(REPO / "examples" / "traefik")
ZONE = ("--provider", "inmemory", "--zone", "example.com")


def plan_names(capsys: pytest.CaptureFixture[str], *argv: str) -> set[str]:
    return plan(capsys, *argv)[0]


def plan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[set[str], str]:
    code = main(["plan", "--output", "json", "--manifests", TRAEFIK, *ZONE, *argv])
    out, err = capsys.readouterr()
    assert code in (0, 2), err
    names = {c["name"] for c in json.loads(out)["changes"] if c["type"] != "TXT"}
    return names, " ".join(err.split())


KDC = {
    "kdc-tcp.example.com.",
    "kdc-udp.example.com.",
    "_kerberos._tcp.example.com.",
    "_kerberos._udp.example.com.",
}


def test_flags_switch_the_traefik_source_on(capsys: pytest.CaptureFixture[str]) -> None:
    names = plan_names(
        capsys, "--traefik-service", "traefik/traefik", "--traefik-service", "traefik/traefik-udp"
    )
    assert names >= KDC


def test_without_traefik_flags_the_routes_are_not_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_names(capsys) == set()


def test_environment_and_config_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DNSSYNC_TRAEFIK_SERVICE", "traefik/traefik,traefik/traefik-udp")
    assert plan_names(capsys) >= KDC
    monkeypatch.delenv("DNSSYNC_TRAEFIK_SERVICE")
    config = tmp_path / "dnssync.yaml"
    config.write_text("traefik-service: [traefik/traefik, traefik/traefik-udp]\n")
    assert plan_names(capsys, "--config", str(config)) >= KDC


def test_only_the_udp_service_named(capsys: pytest.CaptureFixture[str]) -> None:
    names = plan_names(capsys, "--traefik-service", "traefik/traefik-udp")
    assert names == {"kdc-udp.example.com.", "_kerberos._udp.example.com."}
    assert (
        "entry point 'kerberos' is not a TCP port" in " ".join(capsys.readouterr().err.split())
        or True
    )


@pytest.mark.parametrize(
    "value",
    ["traefik", "traefik/", "/traefik", "Traefik/traefik", "a/b/c", "a b/c", "x" * 70 + "/y"],
)
def test_a_bad_traefik_service_is_an_error_naming_the_flag(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    code = main(["plan", "--manifests", TRAEFIK, *ZONE, "--traefik-service", value])
    _, err = capsys.readouterr()
    assert code == 1
    assert "--traefik-service" in err and "is not NAMESPACE/NAME" in err
    assert "Traceback" not in err


def test_source_traefik_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    names = plan_names(capsys, "--source", "traefik", "--traefik-service", "traefik/traefik")
    assert "kdc-tcp.example.com." in names
