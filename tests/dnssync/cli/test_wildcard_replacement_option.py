"""--txt-wildcard-replacement from the flag, DNSSYNC_TXT_WILDCARD_REPLACEMENT and the
config file; a bad value is a usage error that names the flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dnssync.cli.main import main

MANIFEST = """\
apiVersion: v1
kind: Service
metadata:
  name: apps
  namespace: web
  annotations: {external-dns.alpha.kubernetes.io/hostname: '*.apps.example.com'}
spec: {type: LoadBalancer, ports: [{port: 443}]}
status: {loadBalancer: {ingress: [{ip: 203.0.113.5}]}}
"""


@pytest.fixture
def args(tmp_path: Path) -> list[str]:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "apps.yaml").write_text(MANIFEST)
    return [
        "plan",
        "--manifests",
        str(folder),
        "--provider",
        "inmemory",
        "--zone",
        "example.com",
        "--output",
        "json",
    ]


def txt_names(capsys: pytest.CaptureFixture[str], argv: list[str]) -> set[str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, err
    return {c["name"] for c in json.loads(out)["changes"] if c["type"] == "TXT"}


@pytest.mark.parametrize("where", ["default", "flag", "env", "config"])
def test_replacement_from_every_source(
    where: str,
    args: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = list(args)
    if where == "flag":
        argv += ["--txt-wildcard-replacement", "Wildcard"]
    elif where == "env":
        monkeypatch.setenv("DNSSYNC_TXT_WILDCARD_REPLACEMENT", "wildcard")
    elif where == "config":
        config = tmp_path / "dnssync.yaml"
        config.write_text("txt-wildcard-replacement: wildcard\n")
        argv = ["--config", str(config), *argv]
    expected = "a-*.apps.example.com." if where == "default" else "a-wildcard.apps.example.com."
    assert txt_names(capsys, argv) == {expected}


def test_bad_replacement_is_a_usage_error(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*args, "--txt-wildcard-replacement", "a.b"]) == 1
    _out, err = capsys.readouterr()
    assert "--txt-wildcard-replacement 'a.b'" in err and "one DNS label" in err
    assert "Traceback" not in err
