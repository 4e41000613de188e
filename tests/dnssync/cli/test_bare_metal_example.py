"""examples/bare-metal: spec.externalIPs and a wildcard name, planned from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dnssync.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "bare-metal"
TXT = '"heritage=external-dns,external-dns/owner=default,external-dns/resource={}"'


@pytest.mark.parametrize("replacement", ["", "wildcard"])
def test_bare_metal_example(replacement: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "--manifests", str(EXAMPLE), "--provider", "inmemory"]
    argv += ["--zone", "example.com", "--output", "json"]
    if replacement:
        argv += ["--txt-wildcard-replacement", replacement]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, err
    resource = TXT.format("service/ingress/ingress-controller")
    ips = ["192.0.2.21", "192.0.2.22"]
    assert {
        (c["action"], c["name"], c["type"], tuple(c["values"])) for c in json.loads(out)["changes"]
    } == {
        ("create", "*.apps.example.com.", "A", tuple(ips)),
        ("create", f"a-{replacement or '*'}.apps.example.com.", "TXT", (resource,)),
        ("create", "ingress.example.com.", "A", tuple(ips)),
        ("create", "a-ingress.example.com.", "TXT", (resource,)),
    }
