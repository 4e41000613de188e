"""The ``dnssync`` command: plan, apply, providers (and run, the daemon)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from rich.console import Console
from rich.markup import escape

from dnssync import __version__
from dnssync.cli.config import Value, add_to_parser, environment, load_file, resolve, show_value
from dnssync.cli.options import (
    CORE_OPTIONS,
    SOURCE_OPTIONS,
    CoreSettings,
    core_settings,
    provider_values,
)
from dnssync.cli.sources import load_snapshot
from dnssync.daemon.options import RUN_OPTIONS as RUN_SETTINGS
from dnssync.engine import EngineSettings, PlanOutcome, apply_plan, compute_plan
from dnssync.errors import ConfigError, DnssyncError
from dnssync.logs import configure
from dnssync.ownership.txt import DEFAULT_OWNER_ID
from dnssync.printable import printable
from dnssync.providers import registry
from dnssync.providers.base import OptionKind, Provider
from dnssync.providers.base import ProviderOption as Option
from dnssync.render.json_plan import render_json
from dnssync.render.markdown import render_markdown
from dnssync.render.text import render_diagnostics, render_text

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
log = logging.getLogger("dnssync")

OUTPUT_OPTION = Option(
    "output", "text, json or markdown", default="text", choices=("text", "json", "markdown")
)
YES_OPTION = Option("yes", "apply without asking", OptionKind.BOOL, default=False)

Command = Callable[[argparse.Namespace, dict[str, Value], Sequence[Option]], int]


def provider_classes() -> dict[str, type[Provider]]:
    """Every installed provider class; one that fails to load is reported, not fatal."""
    found: dict[str, type[Provider]] = {}
    for name in registry.available():
        try:
            found[name] = registry.load(name)
        except ConfigError as exc:
            log.warning("%s", exc)
    return found


def all_provider_options(classes: dict[str, type[Provider]]) -> list[Option]:
    seen: dict[str, Option] = {}
    for cls in classes.values():
        for option in cls.options:
            seen.setdefault(option.flag, option)
    return list(seen.values())


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1: exit 2 means "changes" for ``plan`` (design section 6)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def build_parser(provider_options: Sequence[Option]) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = _Parser(
        prog="dnssync",
        description="Keep DNS zones in step with Kubernetes LoadBalancer Services and "
        "Gateway API routes.",
    )
    parser.add_argument("--version", action="version", version=f"dnssync {__version__}")
    parser.add_argument("--config", help="YAML file of settings (flags > env > file)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    shared = [*SOURCE_OPTIONS, *CORE_OPTIONS, *provider_options]
    plan = commands.add_parser("plan", help="show what would change (exit 0 none, 2 changes)")
    add_to_parser(plan, [*shared, OUTPUT_OPTION])
    plan.add_argument("--config", help=argparse.SUPPRESS)
    apply = commands.add_parser("apply", help="apply the plan once")
    add_to_parser(apply, [*shared, OUTPUT_OPTION, YES_OPTION])
    apply.add_argument("--config", help=argparse.SUPPRESS)
    commands.add_parser("providers", help="list installed providers and their options")
    _add_run(commands, shared)
    return parser


def _add_run(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], shared: list[Option]
) -> None:
    try:
        from dnssync.daemon.command import RUN_OPTIONS
    except ImportError:
        return
    run = commands.add_parser("run", help="the in-cluster daemon")
    add_to_parser(run, [*shared, *RUN_OPTIONS])
    run.add_argument("--config", help=argparse.SUPPRESS)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        classes = provider_classes()
        provider_options = all_provider_options(classes)
        parser = build_parser(provider_options)
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, usage errors
            return exc.code if isinstance(exc.code, int) else EXIT_ERROR
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_ERROR
        if args.command == "providers":
            return _providers(classes)
        options: list[Option] = [*SOURCE_OPTIONS, *CORE_OPTIONS, *provider_options]
        if args.command in ("plan", "apply"):
            options.append(OUTPUT_OPTION)
        if args.command == "apply":
            options.append(YES_OPTION)
        if args.command == "run":
            from dnssync.daemon.command import RUN_OPTIONS

            options.extend(RUN_OPTIONS)
        env = environment()
        config_path = args.config or env.get("DNSSYNC_CONFIG")
        other_commands = {o.flag for o in (OUTPUT_OPTION, YES_OPTION, *RUN_SETTINGS)}
        values = resolve(options, args, env, load_file(config_path), other_commands)
        core = core_settings(values)
        # The daemon logs one line per DNS change at info; plan and apply print the plan.
        level = core.log_level or ("info" if args.command == "run" else "warning")
        configure(level, core.log_format)
        if core.plan.registry.owner_id == DEFAULT_OWNER_ID:
            log.warning(
                "--owner-id is left at %r: set a unique owner id per cluster so two "
                "installations never claim each other's records",
                DEFAULT_OWNER_ID,
            )
        if args.command == "run":
            from dnssync.daemon.command import run_daemon

            return run_daemon(core, values, classes)
        return _plan_or_apply(args.command, core, values, classes)
    except DnssyncError as exc:
        Console(stderr=True, highlight=False, soft_wrap=True, emoji=False).print(
            f"[red]error:[/red] {escape(printable(str(exc)))}", markup=True
        )
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def create_provider(
    core: CoreSettings, values: dict[str, Value], classes: dict[str, type[Provider]]
) -> Provider:
    if core.provider is None:
        raise ConfigError(f"--provider is required (installed: {', '.join(classes) or 'none'})")
    cls = classes.get(core.provider) or registry.load(core.provider)
    return cls.create(provider_values(cls.options, values))


def _plan_or_apply(
    command: str,
    core: CoreSettings,
    values: dict[str, Value],
    classes: dict[str, type[Provider]],
) -> int:
    stdout = Console(highlight=False, soft_wrap=True, emoji=False)
    stderr = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
    snapshot = load_snapshot(core)
    provider = create_provider(core, values, classes)
    try:
        outcome = compute_plan(snapshot, provider, EngineSettings(core.rules, core.plan))
        _show(outcome, str(values.get("output") or "text"), stdout, stderr)
        if outcome.unsafe:
            for problem in outcome.unsafe:
                stderr.print(f"[red]unsafe plan:[/red] {escape(printable(problem))}", markup=True)
            return EXIT_ERROR
        if command == "plan":
            return EXIT_CHANGES if outcome.plan.has_changes else EXIT_OK
        if not outcome.plan.has_changes:
            return EXIT_OK
        if not values.get("yes") and not _confirm(stderr):
            stderr.print("Apply cancelled.")
            return EXIT_ERROR
        report = apply_plan(provider, outcome.plan)
        for zone, failure in report.failures:
            stderr.print(
                f"[red]not applied[/red] in {zone.fqdn}: {escape(printable(failure.message))}",
                markup=True,
            )
        if report.failures:
            return EXIT_ERROR
        stderr.print(f"Applied {report.applied} change group(s).")
        return EXIT_OK
    finally:
        provider.close()


def _show(outcome: PlanOutcome, output: str, stdout: Console, stderr: Console) -> None:
    render_diagnostics(outcome.diagnostics, stderr)
    if output == "json":
        sys.stdout.write(render_json(outcome.plan))
        sys.stdout.flush()
    elif output == "markdown":
        sys.stdout.write(render_markdown(outcome.plan, outcome.diagnostics))
        sys.stdout.flush()
    else:
        render_text(outcome.plan, stdout)


def _confirm(console: Console) -> bool:
    if not sys.stdin.isatty():
        console.print("Refusing to apply without a terminal to confirm on; pass --yes.")
        return False
    answer = console.input("Apply these changes? Only 'yes' is accepted: ")
    return answer.strip() == "yes"


def _providers(classes: dict[str, type[Provider]]) -> int:
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    entry_points = registry.available()
    for name, cls in classes.items():
        dist = registry.distribution_of(entry_points[name])
        console.print(f"[bold]{name}[/bold] ({dist}): {escape(cls.description)}", markup=True)
        for option in cls.options:
            default = option.default
            shown = "" if default in (None, (), "") else f" (default: {show_value(default)})"
            console.print(
                f"    --{option.flag}: {option.help}{shown} [{option.env_var}]", markup=False
            )
    return EXIT_OK
