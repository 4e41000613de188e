"""docs/flags.md from the code's own option declarations.

Run ``python -m dnssync.cli.flags_doc > docs/flags.md`` after changing an option; a test
fails while the committed page differs. The output depends only on the declarations and
the installed providers (sorted), never on the machine.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

from dnssync.cli.config import show_value
from dnssync.cli.options import CORE_OPTIONS, SOURCE_OPTIONS
from dnssync.cli.parser import CONFIG_HELP, EXPLAIN_OUTPUT_OPTION, OUTPUT_OPTION, YES_OPTION
from dnssync.daemon.options import RUN_OPTIONS
from dnssync.providers import registry
from dnssync.providers.base import OptionKind, Provider
from dnssync.providers.base import ProviderOption as Option

REGENERATE = "python -m dnssync.cli.flags_doc > docs/flags.md"
ALL_COMMANDS = "plan, apply, explain, run"

_HEADER = f"""# Flags reference

<!-- Generated from the option declarations by `{REGENERATE}`.
     Do not edit by hand: tests/dnssync/cli/test_flags_doc.py fails when this page is stale. -->

Every setting is a flag, an environment variable and a key of the `--config` file (the
flag without its dashes; `_` and `-` are the same in keys). Flags win over the
environment, the environment over the file, the file over the default. Lists are
repeatable flags, comma-separated in the environment, and YAML lists (or one
comma-separated string) in the file. Booleans take `--flag` / `--no-flag`, and
`true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0` in the environment and the file.
Values of settings marked *secret* are never printed, logged or put in an error.
How the commands use them, and their exit codes: [cli.md](cli.md).
"""


def render(providers: Mapping[str, type[Provider]], distributions: Mapping[str, str]) -> str:
    """The whole page; ``distributions`` names the package of each provider."""
    parts = [_HEADER]
    parts.append(_section("Global", "Before the command.", [], extra=_global_rows()))
    parts.append(
        _section(
            "Sources",
            "Where `plan`, `apply` and `run` read Kubernetes objects.",
            [(o, ALL_COMMANDS) for o in SOURCE_OPTIONS],
        )
    )
    parts.append(
        _section(
            "Records, ownership and safety",
            "What is managed and how (all commands).",
            [(o, ALL_COMMANDS) for o in CORE_OPTIONS],
        )
    )
    parts.append(
        _section(
            "plan and apply",
            "Output and confirmation.",
            [(OUTPUT_OPTION, "plan, apply"), (YES_OPTION, "apply")],
        )
    )
    parts.append(
        _section(
            "explain",
            "Output of `dnssync explain KIND/NAMESPACE/NAME`.",
            [(EXPLAIN_OUTPUT_OPTION, "explain")],
        )
    )
    parts.append(
        _section(
            "The daemon (run)", "Only `dnssync run` reads these.", [(o, "run") for o in RUN_OPTIONS]
        )
    )
    parts.append("## Providers\n\nEach provider's flags apply when `--provider` names it.\n")
    for name in sorted(providers):
        cls = providers[name]
        package = distributions.get(name, "unknown")
        description = f": {_cell(cls.description)}" if cls.description else ""
        rows = [(o, ALL_COMMANDS) for o in cls.options]
        parts.append(
            _section(
                f"`{name}`",
                f"Package `{package}`{description}.",
                rows,
                level="###",
                empty="No flags.",
            )
        )
    return "\n".join(parts)


def _global_rows() -> list[str]:
    config_help = CONFIG_HELP.replace(" [env DNSSYNC_CONFIG]", "")
    return [
        _row(
            "`--config FILE`",
            "`DNSSYNC_CONFIG`",
            "file path",
            "",
            ALL_COMMANDS,
            f"{config_help}; before or after the command (one file: two different ones "
            "are an error)",
        ),
        _row("`--version`", "", "", "", "", "print the version and exit"),
    ]


_TABLE_HEAD = (
    "| Flag | Environment | Value | Default | Commands | Description |\n|---|---|---|---|---|---|"
)


def _section(
    title: str,
    intro: str,
    options: Sequence[tuple[Option, str]],
    *,
    extra: Sequence[str] = (),
    level: str = "##",
    empty: str = "",
) -> str:
    rows = list(extra) + [_option_row(o, commands) for o, commands in options]
    if not rows:
        return f"{level} {title}\n\n{intro} {empty}".rstrip() + "\n"
    return f"{level} {title}\n\n{intro}\n\n{_TABLE_HEAD}\n" + "\n".join(rows) + "\n"


def _option_row(option: Option, commands: str) -> str:
    flag = f"`--{option.flag}`"
    if option.kind is OptionKind.BOOL:
        flag = f"`--{option.flag}`, `--no-{option.flag}`"
    if option.aliases:
        flag += "<br>alias " + ", ".join(f"`--{a}`" for a in option.aliases)
    default = "" if option.default in (None, (), "") else f"`{show_value(option.default)}`"
    if isinstance(option.default, bool):
        default = f"`{str(option.default).lower()}`"
    help_text = _cell(option.help)
    if option.secret:
        help_text += " *(secret)*"
    env = ", ".join(f"`{v}`" for v in option.env_vars)
    return _row(flag, env, _kind(option), default, commands, help_text)


def _kind(option: Option) -> str:
    if option.choices:
        return "one of " + ", ".join(f"`{c}`" for c in option.choices)
    return {
        OptionKind.STRING: "text",
        OptionKind.INT: "integer",
        OptionKind.BOOL: "boolean",
        OptionKind.LIST: "list (repeatable)",
    }[option.kind]


def _cell(text: str) -> str:
    """One table cell: one line, and no text Markdown would read as a tag or a column."""
    text = " ".join(text.split())
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def installed() -> tuple[dict[str, type[Provider]], dict[str, str]]:
    """Installed providers and their package names (no versions: they would make the
    page stale on every release)."""
    classes: dict[str, type[Provider]] = {}
    packages: dict[str, str] = {}
    for name, entry_point in registry.available().items():
        classes[name] = registry.load(name)
        dist = entry_point.dist
        packages[name] = dist.name if dist is not None else "unknown"
    return classes, packages


def main() -> int:
    sys.stdout.write(render(*installed()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
