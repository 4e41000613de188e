"""Settings from flags, ``DNSSYNC_<FLAG>`` environment variables and a YAML file.

Flags win over the environment, the environment over the file, the file over defaults.
Every setting is declared once as an :class:`Option` (core or provider-declared). Every
value is checked against its kind whatever its source, and an error names the setting
and where the value came from; the values of secret settings and of unknown settings are
never echoed (docs/cli.md).
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from dnssync.cli.config_file import ConfigFile, looks_like_setting_name
from dnssync.cli.external_dns import external_dns_flag
from dnssync.errors import ConfigError
from dnssync.providers.base import OptionKind, OptionValue
from dnssync.providers.base import ProviderOption as Option

Value = OptionValue

__all__ = [
    "ConfigFile",
    "Value",
    "add_to_parser",
    "convert",
    "environment",
    "resolve",
    "show_value",
]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
# Plain ASCII digits only: int() would also take "1_000" and fullwidth digits.
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
# Far beyond any count, port or percentage a setting holds; refuses 10**100.
MAX_INTEGER = 2**31 - 1
# PATH_MAX: no setting value is longer than a path.
MAX_TEXT = 4096
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def add_to_parser(parser: argparse.ArgumentParser, options: Sequence[Option]) -> None:
    """Flags default to None so that 'not given' can fall back to env and file."""
    for option in options:
        flags = ["--" + name for name in option.names]
        help_text = option.help
        if option.default not in (None, (), ""):
            help_text += f" (default: {show_value(option.default)})"
        help_text += f" [env {', '.join(option.env_vars)}]"
        help_text = help_text.replace("%", "%%")  # argparse %-formats help ("%{record_type}")
        if option.kind is OptionKind.BOOL:
            parser.add_argument(
                *flags,
                dest=option.dest,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
        elif option.kind is OptionKind.LIST:
            parser.add_argument(
                *flags,
                dest=option.dest,
                action="append",
                default=None,
                help=help_text,
                metavar=option.dest.upper(),
            )
        else:
            parser.add_argument(
                *flags,
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


def resolve(
    options: Sequence[Option],
    args: argparse.Namespace,
    environ: Mapping[str, str],
    file_values: Mapping[str, Any],
    other_commands: Collection[str] = (),
) -> dict[str, Value]:
    """The value of every option, converted to its kind; errors name flag and source.

    ``file_values`` is a :class:`ConfigFile` (or a plain mapping in tests).
    ``other_commands`` names settings of the other commands: one file can serve them all.
    """
    known = {name for o in options for name in o.names} | set(other_commands)
    _refuse_unknown(file_values, known)
    _refuse_external_dns_variables(environ, known)
    values: dict[str, Value] = {}
    for option in options:
        raw: Any = getattr(args, option.dest, None)
        source = "--" + option.flag
        if raw is None:
            found = _one_of(environ, option.env_vars, lambda name: name)
            if found is not None:
                raw, source = environ[found], found
        if raw is None:
            key = _one_of(file_values, option.names, lambda k: _file_source(file_values, k))
            if key is not None:
                raw, source = file_values[key], _file_source(file_values, key)
        if raw is None:
            values[option.dest] = option.default
            continue
        values[option.dest] = convert(option, raw, source)
    return values


def _one_of(
    where: Mapping[str, Any],
    names: Sequence[str],
    describe: Callable[[str], str],
) -> str | None:
    """The one name (the setting's own, or an alias) set in ``where``; two of them set to
    different values is an error, since neither can be said to win."""
    present = [name for name in names if name in where]
    if len(present) > 1 and any(where[n] != where[present[0]] for n in present[1:]):
        shown = " and ".join(describe(n) for n in present)
        raise ConfigError(f"{shown} are the same setting with different values: give one")
    return present[0] if present else None


def _file_source(file_values: Mapping[str, Any], key: str) -> str:
    if isinstance(file_values, ConfigFile):
        return f"config file {file_values.path} line {file_values.line(key)}: setting {key!r}"
    return f"config file setting {key!r}"


def _refuse_external_dns_variables(environ: Mapping[str, str], known: Collection[str]) -> None:
    """``DNSSYNC_<FLAG>`` of an ExternalDNS flag dnssync does not support, and ExternalDNS's
    own ``EXTERNAL_DNS_<FLAG>``: named, as the flag would be (values are never shown)."""
    unsupported = []
    renamed = []
    for variable in environ:
        if variable.startswith("EXTERNAL_DNS_"):
            name = variable.removeprefix("EXTERNAL_DNS_").lower().replace("_", "-")
            if external_dns_flag("--" + name) == name:
                renamed.append(variable)
            continue
        if not variable.startswith("DNSSYNC_"):
            continue
        name = variable.removeprefix("DNSSYNC_").lower().replace("_", "-")
        if name not in known and external_dns_flag("--" + name) == name:
            unsupported.append(variable)
    if renamed:
        # An ExternalDNS setting left in the environment would otherwise be lost unseen
        # (the owner id, say): dnssync reads DNSSYNC_<FLAG>.
        pairs = ", ".join(
            f"{v} (DNSSYNC_{v.removeprefix('EXTERNAL_DNS_')})" for v in sorted(renamed)
        )
        raise ConfigError(
            f"ExternalDNS environment variable(s) are set but dnssync does not read them: "
            f"{pairs}; rename them (docs/migration-from-external-dns.md)"
        )
    if unsupported:
        raise ConfigError(
            f"{', '.join(sorted(unsupported))}: ExternalDNS setting(s) that dnssync does not "
            "support (docs/migration-from-external-dns.md lists what dnssync takes instead)"
        )


def _refuse_unknown(file_values: Mapping[str, Any], known: Collection[str]) -> None:
    unknown = sorted(set(file_values) - set(known) - {"config"})
    if not unknown:
        return
    where = file_values.path if isinstance(file_values, ConfigFile) else ""
    external = [k for k in unknown if external_dns_flag("--" + k) == k]
    if external:
        raise ConfigError(
            f"config file {where}".rstrip()
            + f": ExternalDNS setting(s) that dnssync does not support: {', '.join(external)} "
            "(docs/migration-from-external-dns.md lists what dnssync takes instead)"
        )
    shown, hidden = [], 0
    for key in unknown:
        if not looks_like_setting_name(key):
            hidden += 1
            continue
        guess = difflib.get_close_matches(key, sorted(known), n=1)
        shown.append(f"{key} (did you mean {guess[0]}?)" if guess else key)
    parts = []
    if shown:
        parts.append(f"unknown setting(s) {', '.join(shown)}")
    if hidden:
        parts.append(
            f"{hidden} key(s) that are not setting names (not shown, in case one is a secret)"
        )
    raise ConfigError(
        f"config file {where}".rstrip() + ": " + "; ".join(parts) + " (see docs/flags.md)"
    )


def convert(option: Option, raw: Any, source: str) -> Value:
    """``raw`` from argparse (str, list of str), the environment (str) or YAML (anything)."""
    if option.kind is OptionKind.BOOL:
        return _boolean(option, raw, source)
    if option.kind is OptionKind.INT:
        return _integer(option, raw, source)
    if option.kind is OptionKind.LIST:
        items = raw if isinstance(raw, list | tuple) else [raw]
        parts: list[str] = []
        for index, item in enumerate(items):
            where = f"{source} item {index + 1}" if isinstance(raw, list | tuple) else source
            parts.extend(p.strip() for p in _text(option, item, where).split(","))
        return tuple(p for p in parts if p)
    text = _text(option, raw, source)
    if option.choices and text not in option.choices:
        raise ConfigError(
            f"{source}: {_shown(option, raw)} is not one of {', '.join(option.choices)}"
        )
    return text


def _boolean(option: Option, raw: Any, source: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ConfigError(f"{source}: {_shown(option, raw)} is not a boolean (true/false)")


def _integer(option: Option, raw: Any, source: str) -> int:
    if isinstance(raw, bool):
        raise ConfigError(f"{source}: {_shown(option, raw)} is a boolean, not an integer")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _INTEGER.fullmatch(raw.strip()):
        value = int(raw.strip())
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        raise ConfigError(f"{source}: {_shown(option, raw)} is out of range")
    else:
        raise ConfigError(f"{source}: {_shown(option, raw)} is not an integer")
    if not -MAX_INTEGER <= value <= MAX_INTEGER:
        raise ConfigError(f"{source}: {_shown(option, raw)} is out of range")
    return value


def _text(option: Option, raw: Any, source: str) -> str:
    """A scalar setting as text: strings, and integers (``default-ttl: 300``)."""
    if isinstance(raw, bool):
        raise ConfigError(
            f"{source}: {_shown(option, raw)} is a boolean, not text "
            "(YAML reads yes/no/on/off/true/false as booleans: quote it)"
        )
    if isinstance(raw, int):
        if not -MAX_INTEGER <= raw <= MAX_INTEGER:
            raise ConfigError(f"{source}: {_shown(option, raw)} is out of range")
        return str(raw)
    if not isinstance(raw, str):
        raise ConfigError(f"{source}: expected text, got {_shown(option, raw)}")
    if len(raw) > MAX_TEXT:
        raise ConfigError(f"{source}: the value is longer than {MAX_TEXT} characters")
    if _CONTROL.search(raw):
        raise ConfigError(
            f"{source}: {_shown(option, raw)} contains a control character (newline, tab, ...)"
        )
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(f"{source}: the value is not valid UTF-8") from None
    return raw


def _shown(option: Option, raw: Any) -> str:
    """How a bad value is named in an error: never a secret, never a whole structure."""
    if option.secret:
        return "(secret)"
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float):
        return "a number with a fraction" if math.isfinite(raw) else f"the number {raw}"
    if isinstance(raw, int):
        return str(raw) if abs(raw) < 10**20 else "a number with more than 20 digits"
    if isinstance(raw, Mapping):
        return "a mapping"
    if isinstance(raw, list | tuple):
        return "a list"
    if raw is None:
        return "null"
    if not isinstance(raw, str):
        return f"a {type(raw).__name__}"
    return repr(raw if len(raw) <= 80 else raw[:77] + "...")


def environment() -> Mapping[str, str]:
    return os.environ
