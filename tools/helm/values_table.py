"""Print the Markdown table of a chart's values from its values.yaml.

    python tools/helm/values_table.py charts/dnssync/values.yaml

A value is documented by a comment block starting with ``# --`` right above its key
(helm-docs style). Maps are descended into unless documented themselves (then they are
one value, e.g. ``resources``). The chart README embeds this table between the markers
``<!-- values-table:start -->`` and ``<!-- values-table:end -->``; ``--write README.md``
replaces that part in place.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

START = "<!-- values-table:start -->"
END = "<!-- values-table:end -->"
_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):(?:\s|$)")


def documented(text: str) -> list[tuple[str, str]]:
    """(dotted path, description) for every documented key, in file order."""
    rows: list[tuple[str, str]] = []
    stack: list[tuple[int, str]] = []
    comment: list[str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            comment = [stripped[4:].strip()]
            continue
        if stripped.startswith("#"):
            if comment is not None:
                comment.append(stripped[1:].strip())
            continue
        match = _KEY.match(line)
        if not match:
            if not stripped or stripped.startswith("-"):
                continue
            comment = None
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match["key"]))
        if comment is not None:
            rows.append((".".join(k for _, k in stack), " ".join(c for c in comment if c)))
        comment = None
    return rows


def lookup(values: Any, path: str) -> Any:
    for part in path.split("."):
        values = values[part]
    return values


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "bool or null" if value is None else type(value).__name__


def table(values_path: Path) -> str:
    text = values_path.read_text(encoding="utf-8")
    values = yaml.safe_load(text)
    lines = ["| key | type | default | description |", "| --- | --- | --- | --- |"]
    for path, description in documented(text):
        value = lookup(values, path)
        default = json.dumps(value, separators=(", ", ": "))
        cell = description.replace("|", "\\|")
        lines.append(f"| `{path}` | {kind(value)} | `{default}` | {cell} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("values", type=Path)
    parser.add_argument("--write", type=Path, help="README to update between the markers")
    args = parser.parse_args(argv)
    rendered = table(args.values)
    if args.write is None:
        sys.stdout.write(rendered)
        return 0
    readme = args.write.read_text(encoding="utf-8")
    if START not in readme or END not in readme:
        print(f"{args.write}: markers {START} / {END} not found", file=sys.stderr)
        return 1
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    args.write.write_text(f"{head}{START}\n{rendered}{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
