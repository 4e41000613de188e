"""The argument parser: no abbreviations, and usage errors that never echo a value.

argparse would accept ``--rfc2136-tsig-sec`` for ``--rfc2136-tsig-secret`` and prints
unrecognised arguments verbatim (``unrecognized arguments: --rfc2136-tsig-secrt S3CR3T``):
a mistyped secret flag would put the secret on the terminal and in CI logs. Here
abbreviations are off, unknown options are named only when they look like flag names,
and other stray arguments are counted, not printed.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from dnssync import __version__
from dnssync.cli.config import add_to_parser
from dnssync.cli.config_file import looks_like_setting_name
from dnssync.cli.external_dns import external_dns_flag, takes_separate_value, unsupported_message
from dnssync.providers.base import OptionKind
from dnssync.providers.base import ProviderOption as Option

EXIT_ERROR = 1

CONFIG_HELP = "YAML file of settings (flags > env > file) [env DNSSYNC_CONFIG]"
OUTPUT_OPTION = Option(
    "output", "text, json or markdown", default="text", choices=("text", "json", "markdown")
)
YES_OPTION = Option("yes", "apply without asking", OptionKind.BOOL, default=False)
EXPLAIN_OUTPUT_OPTION = Option("output", "text or json", default="text", choices=("text", "json"))
COMMANDS = ("plan", "apply", "explain", "providers", "run")


class UsageError(Exception):
    """A command line argparse refused; the message is safe to print."""

    def __init__(self, message: str, parser: argparse.ArgumentParser) -> None:
        super().__init__(message)
        self.parser = parser


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1: exit 2 means "changes" for ``plan`` (docs/cli.md)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {_safe(message)}", self)

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """argparse's own version prints unrecognised arguments verbatim."""
        args = list(sys.argv[1:] if args is None else args)
        before = _unknown_before_command(self, args)
        if before:
            # Else argparse takes the flag's value for the command ("unknown command").
            self.error(unknown_arguments(before, self))
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            self.error(unknown_arguments(extras, self, after_command=True))
        return parsed


def _safe(message: str) -> str:
    """argparse quotes the bad value in "invalid choice" errors: not for the command."""
    match = re.match(r"argument (COMMAND|\{[^}]*\}): invalid choice: ", message)
    if match:
        return f"unknown command (not shown); choose from {', '.join(COMMANDS)}"
    return message


def build_parser(
    provider_options: Sequence[Option], run_options: Sequence[Option] = ()
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = _Parser(
        prog="dnssync",
        description="Keep DNS zones in step with Kubernetes LoadBalancer Services and "
        "Gateway API routes. Exit codes: docs/cli.md.",
    )
    parser.add_argument("--version", action="version", version=f"dnssync {__version__}")
    parser.add_argument("--config", dest="config_before", metavar="CONFIG", help=CONFIG_HELP)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    from dnssync.cli.options import CORE_OPTIONS, SOURCE_OPTIONS

    shared = [*SOURCE_OPTIONS, *CORE_OPTIONS, *provider_options]
    plan = commands.add_parser(
        "plan", help="show what would change (exit 0 none, 2 changes, 1 errors)"
    )
    add_to_parser(plan, [*shared, OUTPUT_OPTION])
    apply = commands.add_parser("apply", help="apply the plan once (exit 0 done, 1 errors)")
    add_to_parser(apply, [*shared, OUTPUT_OPTION, YES_OPTION])
    explain = commands.add_parser(
        "explain",
        help="what one object publishes and why not more (exit 0 publishes, 2 look at it, "
        "1 errors)",
    )
    explain.add_argument(
        "object", metavar="KIND/NAMESPACE/NAME", help="e.g. tcproute/krb/kdc or service/krb/kdc"
    )
    add_to_parser(explain, [*shared, EXPLAIN_OUTPUT_OPTION])
    commands.add_parser("providers", help="list installed providers and their options")
    parsers = [plan, apply, explain]
    if run_options:
        run = commands.add_parser("run", help="the in-cluster daemon")
        add_to_parser(run, [*shared, *run_options])
        parsers.append(run)
    for sub in parsers:
        # Its own dest: the sub-command's default must not overwrite `dnssync --config F`.
        sub.add_argument("--config", dest="config_after", metavar="CONFIG", help=CONFIG_HELP)
    return parser


def _unknown_before_command(parser: argparse.ArgumentParser, args: Sequence[str]) -> list[str]:
    commands = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    if commands is None:
        return []
    known = {s for a in parser._actions for s in a.option_strings}
    unknown = []
    for arg in args:
        if arg in commands.choices or arg == "--":
            break
        if arg.startswith("-") and arg.split("=", 1)[0] not in known:
            unknown.append(arg)
    return unknown


def unknown_arguments(
    extras: Sequence[str], parser: argparse.ArgumentParser, *, after_command: bool = False
) -> str:
    known = sorted(_known_flags(parser))
    named: list[str] = []
    external: list[str] = []
    hidden = 0
    value_of_flag = False
    for arg in extras:
        if value_of_flag and not arg.startswith("-"):
            value_of_flag = False  # the value of an ExternalDNS flag: neither shown nor counted
            continue
        value_of_flag = False
        edns = external_dns_flag(arg)
        if edns is not None and arg.split("=", 1)[0] not in known:
            external.append(unsupported_message(edns))
            value_of_flag = takes_separate_value(arg)
        elif arg.startswith("--") and looks_like_setting_name(arg[2:].split("=", 1)[0]):
            flag = arg.split("=", 1)[0]
            guess = difflib.get_close_matches(flag, known, n=1)
            if flag in known and after_command:  # another command's flag (run's --interval)
                commands = " and ".join(f"`dnssync {c}`" for c in _commands_taking(parser, flag))
                named.append(f"{flag} (only {commands} takes it)")
            elif flag in known:  # a command's flag before the command
                named.append(f"{flag} (give it after the command)")
            else:
                named.append(f"{flag} (did you mean {guess[0]}?)" if guess else flag)
        else:
            hidden += 1
    parts = []
    if external:
        parts.append(
            f"ExternalDNS flag(s) that dnssync does not support: {', '.join(external)} "
            "(docs/migration-from-external-dns.md lists what dnssync takes instead)"
        )
    if named:
        parts.append(f"unrecognized option(s) {', '.join(named)}")
    if hidden:
        parts.append(f"{hidden} unexpected argument(s) (values are not shown)")
    return "; ".join(parts)


def _commands_taking(parser: argparse.ArgumentParser, flag: str) -> list[str]:
    return [
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name, sub in action.choices.items()
        if flag in _known_flags(sub)
    ]


def _known_flags(parser: argparse.ArgumentParser) -> set[str]:
    flags: set[str] = set()
    for action in parser._actions:
        flags.update(s for s in action.option_strings if s.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                flags |= _known_flags(sub)
    return flags


def print_usage_error(error: UsageError) -> None:
    error.parser.print_usage(sys.stderr)
    sys.stderr.write(f"{error}\n")
