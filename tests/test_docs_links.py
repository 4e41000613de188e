"""Every relative link in README.md and docs/**/*.md points at a file that exists, and an
``#anchor`` at a heading of that file (GitHub's anchor rules)."""

from __future__ import annotations

import re
import sys
import urllib.parse
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([REPO_ROOT / "README.md", *(REPO_ROOT / "docs").rglob("*.md")])

# [text](target) and [text](target "title"); images too. Reference-style definitions:
# [label]: target
INLINE = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, markup and punctuation dropped, spaces
    to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    seen: dict[str, int] = {}
    out: set[str] = set()
    for heading in HEADING.findall(text):
        base = github_anchor(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


def links(page: Path) -> list[str]:
    text = CODE_SPAN.sub("", FENCE.sub("", page.read_text()))
    return INLINE.findall(text) + REFERENCE.findall(text)


def is_relative(target: str) -> bool:
    return not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) and not target.startswith("//")


def broken_links(page: Path) -> list[str]:
    problems = []
    for target in links(page):
        if not is_relative(target):
            continue
        path_part, _, fragment = target.partition("#")
        path_part = urllib.parse.unquote(path_part)
        if path_part.startswith("/"):
            problems.append(f"{target}: absolute path (link relative to the page)")
            continue
        destination = (page.parent / path_part).resolve() if path_part else page
        if not destination.exists():
            problems.append(f"{target}: no such file")
            continue
        if REPO_ROOT not in destination.parents and destination != REPO_ROOT:
            problems.append(f"{target}: outside the repository")
            continue
        if fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            problems.append(f"{target}: no heading with that anchor in {destination.name}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO_ROOT)) for p in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    assert broken_links(page) == []


def test_the_readme_points_into_docs() -> None:
    targets = links(REPO_ROOT / "README.md")
    assert any(t.startswith("docs/") for t in targets)


def test_the_checker_finds_broken_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Title\n\n## Two words `code`\n\ntext\n")
    page = docs / "b.md"
    page.write_text(
        "[ok](a.md) [ok](a.md#two-words-code) [ok](#here) [web](https://example.com)\n"
        "[gone](missing.md) [bad anchor](a.md#nope) [root](/etc/passwd)\n"
        "`[not a link](x.md)`\n\n```\n[not a link](y.md)\n```\n\n## Here\n\n[ref]: a.md#title\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "REPO_ROOT", tmp_path)
    assert broken_links(page) == [
        "missing.md: no such file",
        "a.md#nope: no heading with that anchor in a.md",
        "/etc/passwd: absolute path (link relative to the page)",
    ]
