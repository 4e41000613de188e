"""A readable diff: coloured on a terminal (rich), plain when piped.

Input-derived text is printed as rich ``Text`` (never parsed as markup) and through
:func:`dnssync.printable.printable`, so no escape sequence or bidi control reaches the
terminal.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from dnssync.model.changes import Action, Change, Plan
from dnssync.model.diagnostics import Diagnostic, Severity
from dnssync.printable import printable

_STYLE = {
    Action.CREATE: ("+", "green"),
    Action.UPDATE: ("~", "yellow"),
    Action.DELETE: ("-", "red"),
}


def _values(change: Change, new: bool) -> str:
    rrset = change.new if new else change.old
    assert rrset is not None
    return printable(f"{rrset.ttl} {' '.join(rrset.value_texts())}")


def render_text(plan: Plan, console: Console) -> None:
    if not plan.has_changes:
        console.print("No changes. DNS is up to date.")
        return
    # A first plan can hold tens of thousands of lines: each zone is printed in one call,
    # and as one plain string when there are no colours (piped, NO_COLOR; rich's out():
    # no markup, no wrapping), ten times cheaper than rich laying out every line.
    plain = console.color_system is None
    for zone_plan in plan.zones:
        if not zone_plan.groups:
            continue
        header = printable(f"zone {zone_plan.zone.fqdn}")
        if plain:
            console.out("\n".join([header, *(_line(c).plain for c in zone_plan.changes)]))
            continue
        console.print(Text(header, style="bold"))
        console.print(Text("\n").join(_line(c) for c in zone_plan.changes))
    summary = plan.summary()
    console.print(
        f"Plan: {summary['create']} to create, {summary['update']} to update, "
        f"{summary['delete']} to delete."
    )


def _line(change: Change) -> Text:
    sign, color = _STYLE[change.action]
    line = Text(printable(f"  {sign} {change.name.fqdn} {change.rtype.value} "), style=color)
    if change.action is Action.UPDATE:
        line.append(f"{_values(change, False)} -> {_values(change, True)}")
    else:
        line.append(_values(change, change.action is Action.CREATE))
    if change.owner_resource:
        line.append(printable(f"  ({change.owner_resource})"), style="dim")
    return line


def render_diagnostics(diagnostics: tuple[Diagnostic, ...], console: Console) -> None:
    for diagnostic in diagnostics:
        color = "red" if diagnostic.severity is Severity.ERROR else "yellow"
        label = "error" if diagnostic.severity is Severity.ERROR else "warning"
        console.print(Text(f"{label}: ", style=color) + Text(printable(str(diagnostic))))
