"""A markdown table of the plan, for CI comments."""

from __future__ import annotations

from dnssync.model.changes import Plan
from dnssync.model.diagnostics import Diagnostic


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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
            new = "<br>".join(c.new.value_texts()) if c.new else ""
            old = "<br>".join(c.old.value_texts()) if c.old else ""
            ttl = str(c.new.ttl if c.new else c.old.ttl if c.old else "")
            lines.append(
                "| "
                + " | ".join(
                    _cell(x)
                    for x in (
                        c.action.value,
                        c.zone.fqdn,
                        c.name.fqdn,
                        c.rtype.value,
                        ttl,
                        new,
                        old,
                        c.owner_resource or "",
                    )
                )
                + " |"
            )
    if diagnostics:
        lines += ["", "<details><summary>Warnings</summary>", ""]
        lines += [f"- {_cell(str(d))}" for d in diagnostics]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
