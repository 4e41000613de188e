"""Hostile names, annotation values and foreign TXT data never reach a terminal or a CI
comment raw (issue 13): ``dnssync plan --output text|markdown`` end to end."""

from __future__ import annotations

import json
import logging
import re
import textwrap
from pathlib import Path

import pytest

from dnssync.cli.main import main
from dnssync.logs import TextFormatter

# Markdown that would close our <details>, add an image, a link, a mention, break a table
# or a code span; terminal escapes (colour, title, clear screen), a bidi override.
MARKDOWN = "</details>![img](http://evil.example/p.png)[link](http://evil.example)|`t`@octocat"
TERMINAL = "\x1b[31mRED\x1b]0;title\x07\x1b[2J\u202egnp.exe\u2066"
NAME = "x" + MARKDOWN + TERMINAL

MANIFEST = f"""
---
apiVersion: v1
kind: Service
metadata:
  name: {json.dumps(NAME)}
  namespace: ns
  annotations: {{dnssync.io/hostname: {json.dumps("bad " + NAME)}}}
spec: {{type: LoadBalancer, ports: [{{name: https, port: 443}}]}}
status: {{loadBalancer: {{ingress: [{{ip: 192.0.2.1}}]}}}}
---
apiVersion: v1
kind: Service
metadata:
  name: ok
  namespace: ns
  annotations:
    dnssync.io/hostname: ok.example.com
    dnssync.io/ttl: {json.dumps("5m" + TERMINAL)}
spec: {{type: LoadBalancer, ports: [{{name: https, port: 443}}]}}
status: {{loadBalancer: {{ingress: [{{ip: 192.0.2.1}}]}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: good, namespace: ns, annotations: {{dnssync.io/hostname: good.example.com}}}}
spec: {{type: LoadBalancer, ports: [{{name: https, port: 443}}]}}
status: {{loadBalancer: {{ingress: [{{ip: 192.0.2.2}}]}}}}
"""
# Our pre-v0.12 ownership value shares its RRset with foreign data; deleting our record
# rewrites the RRset, so the foreign value is printed (as old and new value).
OURS = "heritage=external-dns,external-dns/owner=default,external-dns/resource=service/ns/gone"
ZONE = rf"""$ORIGIN example.com.
@ 3600 SOA ns1 h 1 3600 600 1209600 300
@ 3600 NS ns1
ns1 300 A 192.0.2.53
gone 300 A 192.0.2.60
gone 300 TXT "{OURS}"
gone 300 TXT "v=x \027[2J</details>![i](http://evil.example/x.png) | `a` @octocat"
"""


def plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str) -> tuple[str, str]:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "a.yaml").write_text(textwrap.dedent(MANIFEST), encoding="utf-8")
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "example.com.zone").write_text(ZONE)
    argv = ["plan", "--manifests", str(tmp_path / "m"), "--output", output]
    argv += ["--provider", "zonefile", "--zonefile-dir", str(tmp_path / "z")]
    code = main([*argv, "--zone", "example.com", "--owner-id", "default"])
    out, err = capsys.readouterr()
    assert code == 2, err  # the deletes at gone.example.com, planned despite the hostile input
    return out, err


def assert_terminal_safe(text: str) -> None:
    assert all(c.isprintable() or c == "\n" for c in text), [
        c for c in text if not c.isprintable() and c != "\n"
    ]


def outside_code_spans(markdown: str) -> str:
    return re.sub(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", "", markdown.replace("\\|", ""))


def test_markdown_holds_hostile_text_in_code_spans(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, err = plan(tmp_path, capsys, "markdown")
    assert_terminal_safe(out)
    assert_terminal_safe(err)
    outside = outside_code_spans(out)
    # Only the HTML we write ourselves, and no link, image or mention outside code.
    assert set(re.findall(r"</?[a-z]+>", outside)) <= {
        "<details>",
        "</details>",
        "<summary>",
        "</summary>",
        "<br>",
    }
    assert outside.count("</details>") == 1
    assert "](" not in outside and "@octocat" not in outside and "http" not in outside
    # Table rows keep their 8 cells: no pipe from the data splits a cell.
    rows = [line for line in out.splitlines() if line.startswith("| ") and "`" in line]
    assert rows and all(len(re.findall(r"(?<!\\)\|", r)) == 9 for r in rows)
    # The hostile text is still shown (escaped), so the reader sees what was there.
    assert "\\x1b[2J" in out and "\\u202e" in out and "\\x1b[31mRED" in out


def test_text_output_and_warnings_escape_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, err = plan(tmp_path, capsys, "text")
    assert_terminal_safe(out)
    assert_terminal_safe(err)
    # The foreign TXT value, in its own presentation form (RFC 1035 \\DDD escapes).
    assert "\\027[2J</details>" in out
    assert "\\u202egnp.exe" in err  # the object name in its warning, escaped
    assert err.count("\n") == len(err.splitlines())  # no forged lines


def test_text_log_lines_escape_control_characters() -> None:
    record = logging.LogRecord("dnssync", logging.WARNING, __file__, 1, "%s", (NAME,), None)
    line = TextFormatter().format(record)
    assert_terminal_safe(line)
    assert "\n" not in line and "\\x1b[2J" in line
