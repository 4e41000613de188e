"""The ``dnssync`` command: plan, apply, providers (and run, the daemon).

Exit codes (docs/cli.md): 0 done or nothing to do, 2 ``plan`` has changes, 1 any error
(including an error diagnostic or input that could not be read, after the plan is shown),
130 interrupted; stdout closed early (``dnssync plan | head``) exits 1 quietly. No traceback reaches
the user, and everything written to stderr passes the secret filter (redact.py).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
from collections.abc import Iterator, Mapping, Sequence

from rich.console import Console
from rich.markup import escape

from dnssync.cli.bool_flags import explicit_bools
from dnssync.cli.config import Value, environment, resolve, show_value
from dnssync.cli.config_file import load_file, shown_path
from dnssync.cli.explain import explain, parse_object
from dnssync.cli.explain import render_json as render_explanation_json
from dnssync.cli.explain import render_text as render_explanation_text
from dnssync.cli.options import (
    CORE_OPTIONS,
    SOURCE_DESCRIPTIONS,
    SOURCE_OPTIONS,
    CoreSettings,
    core_settings,
)
from dnssync.cli.parser import (
    EXPLAIN_OUTPUT_OPTION,
    OUTPUT_OPTION,
    YES_OPTION,
    UsageError,
    build_parser,
    print_usage_error,
)
from dnssync.cli.redact import RedactingStream, Redactor
from dnssync.cli.sources import cluster_settings, load_snapshot
from dnssync.daemon.options import RUN_OPTIONS as RUN_SETTINGS
from dnssync.engine import ApplyReport, EngineSettings, PlanOutcome, apply_plan, compute_plan
from dnssync.errors import ConfigError, DnssyncError
from dnssync.logs import configure
from dnssync.model.changes import Change
from dnssync.model.diagnostics import Severity
from dnssync.model.records import RecordType
from dnssync.ownership.txt import DEFAULT_OWNER_ID
from dnssync.printable import printable
from dnssync.providers import registry
from dnssync.providers.base import OptionKind, Provider
from dnssync.providers.base import ProviderOption as Option
from dnssync.render.json_plan import render_json
from dnssync.render.markdown import render_markdown
from dnssync.render.text import render_diagnostics, render_text
from dnssync.rules.desired import desired_records
from dnssync.sources.snapshot import SourceSnapshot

__all__ = [
    "EXIT_CHANGES",
    "EXIT_ERROR",
    "EXIT_OK",
    "OUTPUT_OPTION",
    "YES_OPTION",
    "all_provider_options",
    "build_parser",
    "create_provider",
    "main",
    "provider_classes",
]

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
EXIT_INTERRUPTED = 130
log = logging.getLogger("dnssync")

# Names of environment variables whose values are masked in output even though dnssync
# does not read them: provider SDKs may quote them in their errors. Those naming a file
# (AWS_WEB_IDENTITY_TOKEN_FILE) hold a path, which errors must be able to show.
_SECRET_WORDS = ("SECRET", "TOKEN", "PASSWORD", "PASSWD", "PRIVATE_KEY")
_PATH_SUFFIXES = ("_FILE", "_PATH", "_DIR")


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


def run_options() -> tuple[Option, ...]:
    """The daemon's settings. Only their declarations: the daemon itself (scheduler, metrics,
    HTTP server, cluster client) is imported by ``run`` alone, so ``plan``, ``apply`` and
    ``--help`` start without it."""
    return RUN_SETTINGS


class _StdoutClosed(Exception):
    """The reader of stdout went away (``dnssync plan | head``)."""


@contextlib.contextmanager
def _writing_stdout() -> Iterator[None]:
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        raise _StdoutClosed from None
    except SystemExit as exc:
        # rich turns a broken pipe into SystemExit(1); --help and --version exit 0.
        if exc.code == EXIT_ERROR:
            raise _StdoutClosed from None
        raise


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    redactor = Redactor()
    original = sys.stderr
    sys.stderr = RedactingStream(original, redactor)
    with contextlib.suppress(AttributeError, ValueError):
        # A file name that is not UTF-8 must print as escapes, not crash the output.
        sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    try:
        return _main(argv, redactor)
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        sys.stderr = original


def _main(argv: list[str], redactor: Redactor) -> int:
    try:
        return _run(argv, redactor)
    except DnssyncError as exc:
        _error(str(exc))
    except _StdoutClosed:
        _stdout_to_devnull()
        return EXIT_ERROR  # quietly: the reader chose to stop reading
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except RecursionError:
        _error("an input is nested too deeply to be read")
    except MemoryError:
        _error("out of memory (is an input far larger than expected?)")
    except UnicodeError as exc:
        _error(f"text that cannot be encoded or decoded: {getattr(exc, 'reason', exc)}")
    except OSError as exc:
        where = f": {shown_path(str(exc.filename))}" if exc.filename else ""
        _error(f"{exc.strerror or exc}{where}")
    except Exception as exc:  # a bug: say so in one line, never as a traceback
        log.debug("internal error", exc_info=True)
        _error(
            f"internal error ({type(exc).__name__}: {exc}); this is a bug in dnssync, "
            "please report it (--log-level debug shows where)"
        )
    return EXIT_ERROR


def _run(argv: list[str], redactor: Redactor) -> int:
    classes = provider_classes()
    provider_options = all_provider_options(classes)
    daemon_options = run_options()
    env = environment()
    every_option = [*SOURCE_OPTIONS, *CORE_OPTIONS, *provider_options, *daemon_options]
    _learn_secrets(argv, env, every_option, redactor)
    parser = build_parser(provider_options, daemon_options)
    on_off = (n for o in (*every_option, YES_OPTION) if o.kind is OptionKind.BOOL for n in o.names)
    try:
        argv = explicit_bools(argv, on_off)
        with _writing_stdout():  # --help | head
            args = parser.parse_args(argv)
    except UsageError as exc:
        print_usage_error(exc)
        return EXIT_ERROR
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    if args.command == "providers":
        with _writing_stdout():
            return _providers(classes)
    options: list[Option] = [*SOURCE_OPTIONS, *CORE_OPTIONS, *provider_options]
    if args.command in ("plan", "apply"):
        options.append(OUTPUT_OPTION)
    if args.command == "apply":
        options.append(YES_OPTION)
    if args.command == "explain":
        options.append(EXPLAIN_OUTPUT_OPTION)
    if args.command == "run":
        options.extend(daemon_options)
    file_values = load_file(config_path(args, env))
    for option in every_option:
        for name in option.names if option.secret else ():
            if name in file_values:
                redactor.add(file_values[name])
    other_commands = {n for o in (OUTPUT_OPTION, YES_OPTION, *RUN_SETTINGS) for n in o.names}
    values = resolve(options, args, env, file_values, other_commands)
    core = core_settings(values)
    # The daemon logs one line per DNS change at info; plan and apply print the plan.
    level = core.log_level or ("info" if args.command == "run" else "warning")
    configure(level, core.log_format, redactor)
    if core.plan.registry.owner_id == DEFAULT_OWNER_ID:
        log.warning(
            "--owner-id is left at %r: set a unique owner id per cluster so two "
            "installations never claim each other's records",
            DEFAULT_OWNER_ID,
        )
    if args.command == "run":
        return _run_daemon(core, values, classes)
    if args.command == "explain":
        return _explain(args.object, core, values, classes)
    return _plan_or_apply(args.command, core, values, classes)


def _run_daemon(
    core: CoreSettings, values: dict[str, Value], classes: dict[str, type[Provider]]
) -> int:
    from dnssync.cli.daemon_settings import daemon_settings
    from dnssync.daemon.command import run_daemon

    if core.manifests is not None:
        raise ConfigError("dnssync run watches a cluster; --manifests is for plan and apply")
    settings = daemon_settings(values)
    cluster = cluster_settings(core)
    provider = create_provider(core, values, classes)
    return run_daemon(settings, EngineSettings(core.rules, core.plan), cluster, provider)


def config_path(args: argparse.Namespace, env: Mapping[str, str]) -> str | None:
    """``--config`` before or after the command, else ``DNSSYNC_CONFIG``.

    Given in both places with different files is an error: which one a reader of the
    command line expects to win is not obvious, and settings must never be guessed.
    """
    before = getattr(args, "config_before", None)
    after = getattr(args, "config_after", None)
    for given in (before, after):
        if given is not None and not given.strip():
            raise ConfigError("--config needs a file name")
    if before is not None and after is not None and before != after:
        raise ConfigError(
            f"--config is given twice, before and after the command ({shown_path(before)} "
            f"and {shown_path(after)}); give it once"
        )
    return after or before or env.get("DNSSYNC_CONFIG") or None


def _learn_secrets(
    argv: Sequence[str], env: Mapping[str, str], options: Sequence[Option], redactor: Redactor
) -> None:
    """Collect secret values before anything is printed, even a usage error."""
    for option in options:
        if not option.secret:
            continue
        for flag in ("--" + name for name in option.names):
            for index, arg in enumerate(argv):
                if arg == flag and index + 1 < len(argv) and not argv[index + 1].startswith("-"):
                    redactor.add(argv[index + 1])
                elif arg.startswith(flag + "="):
                    redactor.add(arg[len(flag) + 1 :])
        for variable in option.env_vars:
            redactor.add(env.get(variable))
    for name, value in env.items():
        upper = name.upper()
        if any(w in upper for w in _SECRET_WORDS) and not upper.endswith(_PATH_SUFFIXES):
            redactor.add(value)


def _error(message: str) -> None:
    # Control characters (an ESC from a file name) are shown escaped, never sent.
    Console(stderr=True, highlight=False, soft_wrap=True, emoji=False).print(
        f"[red]error:[/red] {escape(printable(message))}", markup=True
    )


def _stdout_to_devnull() -> None:
    """Later flushes (at exit) must not fail again on the closed pipe."""
    with contextlib.suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def create_provider(
    core: CoreSettings, values: dict[str, Value], classes: dict[str, type[Provider]]
) -> Provider:
    return registry.create(core.provider, values, classes)


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
        with _writing_stdout():
            _show(outcome, str(values.get("output") or "text"), stdout, stderr)
        incomplete = _incomplete(snapshot, outcome)
        if outcome.unsafe:
            for problem in outcome.unsafe:
                stderr.print(f"[red]unsafe plan:[/red] {escape(printable(problem))}", markup=True)
            _report_incomplete(incomplete, stderr)
            return EXIT_ERROR
        if command == "plan":
            if incomplete:
                _report_incomplete(incomplete, stderr)
                return EXIT_ERROR
            return EXIT_CHANGES if outcome.plan.has_changes else EXIT_OK
        if outcome.plan.has_changes:
            if not values.get("yes") and not _confirm(stderr):
                stderr.print("Apply cancelled.")
                return EXIT_ERROR
            report = apply_plan(provider, outcome.plan)
            if not _report_applied(report, stderr):
                return EXIT_ERROR
        if incomplete:
            _report_incomplete(incomplete, stderr, applied=outcome.plan.has_changes)
            return EXIT_ERROR
        return EXIT_OK
    finally:
        provider.close()


def _explain(
    target: str,
    core: CoreSettings,
    values: dict[str, Value],
    classes: dict[str, type[Provider]],
) -> int:
    """``dnssync explain``: the rules (and with --provider, the plan) for one object."""
    ref = parse_object(target)
    stderr = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
    snapshot = load_snapshot(core)
    if core.provider is None:
        desired = desired_records(snapshot.objects, core.rules)
        diagnostics = tuple(snapshot.diagnostics) + tuple(desired.diagnostics)
        explanation = explain(ref, snapshot, desired.records, diagnostics)
    else:
        provider = create_provider(core, values, classes)
        try:
            outcome = compute_plan(snapshot, provider, EngineSettings(core.rules, core.plan))
        finally:
            provider.close()
        explanation = explain(
            ref,
            snapshot,
            outcome.desired.records,
            outcome.diagnostics,
            [g for z in outcome.plan.zones for g in z.groups],
            zones_checked=True,
        )
    # Errors of the input (an unreadable manifest, a failed list) may hide the object.
    render_diagnostics(
        tuple(d for d in snapshot.diagnostics if d.severity is Severity.ERROR), stderr
    )
    with _writing_stdout():
        if str(values.get("output") or "text") == "json":
            sys.stdout.write(render_explanation_json(explanation))
        else:
            sys.stdout.write(printable_lines(render_explanation_text(explanation)))
    if not snapshot.complete:
        _report_incomplete("some input could not be read", stderr)
        return EXIT_ERROR
    return explanation.exit_code


def printable_lines(text: str) -> str:
    """Input quoted in the text (names, messages) shown escaped, line breaks kept."""
    return "".join(printable(line) + "\n" for line in text.splitlines())


def _incomplete(snapshot: SourceSnapshot, outcome: PlanOutcome) -> str:
    """Why this run must exit 1 although a plan was made ("" when it need not)."""
    errors = sum(1 for d in outcome.diagnostics if d.severity is Severity.ERROR)
    parts = []
    if errors:
        parts.append(f"{errors} error(s) above")
    if not snapshot.complete:
        parts.append("some input could not be read, so nothing is deleted this run")
    return "; ".join(parts)


def _report_incomplete(reason: str, console: Console, *, applied: bool = False) -> None:
    if not reason:
        return
    what = "what was safe was applied, but " if applied else ""
    console.print(f"[red]error:[/red] {what}the run is incomplete: {escape(reason)}", markup=True)


def _report_applied(report: ApplyReport, console: Console) -> bool:
    """Print what was applied and what failed; False when something failed."""
    changes = [c for _, result in report.results for g in result.applied for c in g]
    if changes:
        console.print(f"Applied {_counted(changes)}.")
    for zone, failure in report.failures:
        console.print(
            f"[red]not applied[/red] in {zone.fqdn}: {escape(printable(failure.message))}",
            markup=True,
        )
    return not report.failures


def _counted(changes: Sequence[Change]) -> str:
    txts = sum(1 for c in changes if c.rtype is RecordType.TXT)
    return (
        f"{len(changes)} change(s): {len(changes) - txts} record(s) and "
        f"{txts} ownership TXT record(s)"
    )


def _show(outcome: PlanOutcome, output: str, stdout: Console, stderr: Console) -> None:
    render_diagnostics(outcome.diagnostics, stderr)
    if output == "json":
        sys.stdout.write(render_json(outcome.plan))
    elif output == "markdown":
        sys.stdout.write(render_markdown(outcome.plan, outcome.diagnostics))
    else:
        render_text(outcome.plan, stdout)


def _confirm(console: Console) -> bool:
    if not sys.stdin.isatty():
        console.print("Refusing to apply without a terminal to confirm on; pass --yes.")
        return False
    try:
        answer = console.input("Apply these changes? Only 'yes' is accepted: ")
    except EOFError:
        return False
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
    console.print("[bold]sources[/bold] (--source):", markup=True)
    for kind, description in SOURCE_DESCRIPTIONS:
        console.print(f"    {kind}: {description}", markup=False)
    return EXIT_OK
