"""A markdown table of the plan, for CI comments.

Everything that comes from input (names, values, owners, messages) is put in code spans,
where GitHub renders no HTML, links, images, mentions or issue references; pipes are
escaped in table cells and non-printable characters shown as escapes (dnssync.printable).
A hostile manifest can therefore neither close the ``<details>`` block nor add content.
"""

from __future__ import annotations

import re

from dnssync.model.changes import Plan
from dnssync.model.diagnostics import Diagnostic
from dnssync.printable import printable

_BACKTICKS = re.compile(r"`+")


def code(text: str, *, in_table: bool = False) -> str:
    """text as one inline code span (empty text: nothing)."""
    text = printable(text)
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    # CommonMark strips one space from each side of a span that has both, and a span may
    # not start or end with its fence character: a space on each side keeps both intact.
    pad = " " if text[0] == "`" or text[-1] == "`" or (text[0] == text[-1] == " ") else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    # A GFM table splits cells at any pipe not preceded by a backslash, code spans
    # included, and turns "\|" back into "|" inside them.
    return span.replace("|", "\\|") if in_table else span


def render_markdown(plan: Plan, diagnostics: tuple[Diagnostic, ...] = ()) -> str:
    summary = plan.summary()
    lines = [
        "### dnssync plan",
        "",
        f"**{summary['create']}** to create, **{summary['update']}** to update, "
        f"**{summary['delete']}** to delete.",
        "",
    ]
    if plan.has_changes:
        lines += [
            "| action | zone | name | type | ttl | values | old values | owner |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for c in plan.changes:
            new = "<br>".join(code(v, in_table=True) for v in c.new.value_texts()) if c.new else ""
            old = "<br>".join(code(v, in_table=True) for v in c.old.value_texts()) if c.old else ""
            ttl = str(c.new.ttl if c.new else c.old.ttl if c.old else "")
            cells = (
                c.action.value,
                code(c.zone.fqdn, in_table=True),
                code(c.name.fqdn, in_table=True),
                c.rtype.value,
                ttl,
                new,
                old,
                code(c.owner_resource or "", in_table=True),
            )
            lines.append("| " + " | ".join(cells) + " |")
    if diagnostics:
        lines += ["", "<details><summary>Warnings</summary>", ""]
        lines += [f"- {d.severity.value.lower()}: {code(str(d))}" for d in diagnostics]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
