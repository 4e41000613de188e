"""Settings from flags, ``DNSSYNC_<FLAG>`` environment variables and a YAML file.

Flags win over the environment, the environment over the file, the file over defaults.
Every setting is declared once as an :class:`Option` (core or provider-declared).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from dnssync.errors import ConfigError
from dnssync.providers.base import OptionKind
from dnssync.providers.base import ProviderOption as Option

Value = str | int | bool | tuple[str, ...] | None

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def add_to_parser(parser: argparse.ArgumentParser, options: Sequence[Option]) -> None:
    """Flags default to None so that 'not given' can fall back to env and file."""
    for option in options:
        flag = "--" + option.flag
        help_text = option.help
        if option.default not in (None, (), ""):
            help_text += f" (default: {show_value(option.default)})"
        help_text += f" [env {option.env_var}]"
        help_text = help_text.replace("%", "%%")  # argparse %-formats help ("%{record_type}")
        if option.kind is OptionKind.BOOL:
            parser.add_argument(
                flag,
                dest=option.dest,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
        elif option.kind is OptionKind.LIST:
            parser.add_argument(
                flag,
                dest=option.dest,
                action="append",
                default=None,
                help=help_text,
                metavar=option.dest.upper(),
            )
        else:
            parser.add_argument(
                flag,
                dest=option.dest,
                default=None,
                help=help_text,
                choices=option.choices,
                metavar=None if option.choices else option.dest.upper(),
            )


def show_value(value: Value) -> str:
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def load_file(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        with Path(path).open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"--config {path}: {' '.join(str(exc).split())}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"--config {path}: expected a mapping of setting names to values")
    # YAML 1.1 reads a bare `yes:` key as the boolean True.
    return {("yes" if k is True else str(k)).replace("_", "-"): v for k, v in data.items()}


def resolve(
    options: Sequence[Option],
    args: argparse.Namespace,
    environ: Mapping[str, str],
    file_values: Mapping[str, Any],
    other_commands: Collection[str] = (),
) -> dict[str, Value]:
    """The value of every option, converted to its kind; errors name flag and source.

    ``other_commands`` names settings of the other commands: one file can serve them all.
    """
    known = {o.flag for o in options}
    unknown = sorted(set(file_values) - known - {"config"} - set(other_commands))
    if unknown:
        raise ConfigError(f"config file: unknown setting(s) {', '.join(unknown)}")
    values: dict[str, Value] = {}
    for option in options:
        raw: Any = getattr(args, option.dest, None)
        source = "--" + option.flag
        if raw is None and option.env_var in environ:
            raw, source = environ[option.env_var], option.env_var
        if raw is None and option.flag in file_values:
            raw, source = file_values[option.flag], f"config file setting {option.flag!r}"
        if raw is None:
            values[option.dest] = option.default
            continue
        values[option.dest] = convert(option, raw, source)
    return values


def convert(option: Option, raw: Any, source: str) -> Value:
    shown = "(secret)" if option.secret else repr(raw)
    if option.kind is OptionKind.BOOL:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigError(f"{source}: {shown} is not a boolean (true/false)")
    if option.kind is OptionKind.INT:
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{source}: {shown} is not an integer") from None
    if option.kind is OptionKind.LIST:
        items = raw if isinstance(raw, list | tuple) else [raw]
        flat = [part.strip() for item in items for part in str(item).split(",")]
        return tuple(p for p in flat if p)
    text = str(raw)
    if option.choices and text not in option.choices:
        raise ConfigError(f"{source}: {shown} is not one of {', '.join(option.choices)}")
    return text


def environment() -> Mapping[str, str]:
    return os.environ
