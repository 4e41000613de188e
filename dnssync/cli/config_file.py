"""Reading the ``--config`` file: one YAML mapping of setting names to values.

Whatever cannot be read is an error naming the file, never "no settings": a missing or
unreadable file, a FIFO, device or directory (refused before it is opened, so nothing
hangs), a file over 1 MiB, text that is not UTF-8 or not YAML, a document nested deeper
or larger (aliases included) than a settings file ever is, a duplicate key, a key that
is not text, and YAML 1.1 numbers that do not mean what they look like (``0300`` is
octal 192, ``3_00`` is 300). Error messages quote no line of the file: a misplaced
secret would be printed with it.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dnssync.errors import ConfigError

MAX_BYTES = 1 << 20
MAX_DEPTH = 16
MAX_NODES = 100_000
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_SETTING_NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class ConfigFile(Mapping[str, Any]):
    """The file's settings (keys with dashes) and the line each was set on."""

    path: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.settings[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.settings)

    def __len__(self) -> int:
        return len(self.settings)

    def line(self, key: str) -> int:
        return self.lines.get(key, 0)


def looks_like_setting_name(text: str) -> bool:
    """Whether an unknown key or flag may be echoed: lower-case words, never a token.

    A secret pasted in the wrong place (``S3CR3T: x``, ``--hunter2``) has capitals,
    digits between letters or symbols; setting names are dash-separated words.
    """
    if len(text) > 40 or not _SETTING_NAME.fullmatch(text):
        return False
    return "-" in text or "_" in text or text.isalpha()


def shown_path(path: str) -> str:
    """A path as printed in errors: control characters escaped."""
    return path if path.isprintable() else repr(path)


def load_file(path: str | None) -> ConfigFile:
    if not path:
        return ConfigFile()
    label = f"config file {shown_path(path)}"
    data = _read(path, label)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{label}: not UTF-8 text (byte {exc.start})") from None
    values, lines = _parse(text, label)
    return ConfigFile(path, values, lines)


def _read(path: str, label: str) -> bytes:
    try:
        _require_regular(os.stat(path), label)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise ConfigError(f"{label}: {exc.strerror or exc}") from None
    except ValueError:  # a NUL character in the path
        raise ConfigError(f"{label}: not a valid path") from None
    try:
        # The path may have been replaced between stat and open.
        _require_regular(os.fstat(fd), label)
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, MAX_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ConfigError(f"{label}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if size > MAX_BYTES:
        raise ConfigError(f"{label}: larger than {MAX_BYTES // 1024} KiB; not a settings file")
    return b"".join(chunks)


def _require_regular(info: os.stat_result, label: str) -> None:
    mode = info.st_mode
    if stat.S_ISREG(mode):
        if info.st_size > MAX_BYTES:
            raise ConfigError(f"{label}: larger than {MAX_BYTES // 1024} KiB; not a settings file")
        return
    kind = (
        "a directory"
        if stat.S_ISDIR(mode)
        else "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a file"
    )
    raise ConfigError(f"{label}: is {kind}, not a regular file")


class _Loader(yaml.SafeLoader):
    """Pure-Python composer: the C one recurses without a limit on deep nesting."""


# libyaml's event parser keeps its stack on the heap and runs in linear time, where the
# pure-Python scanner is quadratic in the nesting depth: measure the depth with it first.
_EVENT_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refuse_deep(text: str, label: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=_EVENT_LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ConfigError(f"{label}: nested too deeply; not a settings file")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _parse(text: str, label: str) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        return _parse_checked(text, label)
    except yaml.reader.ReaderError as exc:
        raise ConfigError(
            f"{label}: not valid YAML: character #x{exc.character:04x} at position "
            f"{exc.position} is not allowed"
        ) from None
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(f"{label}: not valid YAML: {_yaml_problem(exc)}") from None
    except yaml.YAMLError:
        raise ConfigError(f"{label}: not valid YAML") from None
    except RecursionError:
        raise ConfigError(f"{label}: nested too deeply; not a settings file") from None


def _parse_checked(text: str, label: str) -> tuple[dict[str, Any], dict[str, int]]:
    _refuse_deep(text, label)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None or (isinstance(root, ScalarNode) and root.tag == _NULL):
            return {}, {}
        if not isinstance(root, MappingNode):
            raise ConfigError(f"{label}: expected a mapping of setting names to values")
        _check_size(root, label)
        return _settings(loader, root, label)
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    if isinstance(exc, yaml.constructor.ConstructorError):
        # Its text quotes tags and values of the file.
        return f"a value YAML cannot read (an unknown tag?){where}"
    words = " ".join(p for p in (exc.context, exc.problem) if p)
    return (words or "syntax error") + where


def _check_size(root: Node, label: str) -> None:
    """Refuse alias bombs and cycles: count nodes as expanded, memoised per node."""
    sizes: dict[int, int] = {}

    def size(node: Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise ConfigError(f"{label}: nested too deeply; not a settings file")
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        if total > MAX_NODES:
            raise ConfigError(f"{label}: too many values (aliases included); not a settings file")
        sizes[id(node)] = total
        return total

    size(root, 0)


def _settings(
    loader: _Loader, root: MappingNode, label: str
) -> tuple[dict[str, Any], dict[str, int]]:
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        key = _key(key_node, f"{label} line {line}")
        if key in values:
            shown = repr(key) if looks_like_setting_name(key) else "a key"
            raise ConfigError(
                f"{label} line {line}: {shown} is set twice (first on line {lines[key]}); keep one"
            )
        _refuse_unclear_numbers(value_node, f"{label} line {line}: setting {key!r}")
        try:
            values[key] = loader.construct_object(value_node, deep=True)
        except (ValueError, OverflowError):  # a YAML timestamp out of range, ...
            raise ConfigError(f"{label} line {line}: setting {key!r}: invalid value") from None
        lines[key] = line
    return values, lines


def _key(node: Node, where: str) -> str:
    if isinstance(node, ScalarNode):
        if node.tag == _MERGE:
            raise ConfigError(f"{where}: merge keys (<<) are not supported in a settings file")
        if node.tag == _STR:
            key = str(node.value)
        elif node.tag == _BOOL and node.value == "yes":  # YAML 1.1 reads `yes:` as true
            key = "yes"
        else:
            key = None
        if key is not None:
            key = key.replace("_", "-")
            if key == "config":
                raise ConfigError(f"{where}: a config file cannot name another (--config)")
            return key
    raise ConfigError(f"{where}: the key is not a setting name (keys are text)")


def _refuse_unclear_numbers(node: Node, where: str) -> None:
    """YAML 1.1 reads 0300 as 192 and 3_00 as 300: refuse instead of guessing."""
    if isinstance(node, ScalarNode):
        if node.tag == _INT and not node.style and not _DECIMAL.fullmatch(node.value):
            raise ConfigError(
                f"{where}: YAML reads this number as octal, hexadecimal or with separators; "
                "write it in plain decimal, or quote it"
            )
    elif isinstance(node, SequenceNode):
        for child in node.value:
            _refuse_unclear_numbers(child, where)
