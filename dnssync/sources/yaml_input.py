"""Read YAML input safely: manifests, the ``--config`` file and kubeconfigs.

What this loader accepts is bounded, so one hostile file can neither exhaust memory (an
alias bomb), crash the process (PyYAML's C composer recurses without a limit: with a
libyaml that has no nesting limit of its own, as some distributions ship, deep nesting is a
segfault) nor hang it (libyaml's flow-key bookkeeping is quadratic in the nesting depth):
documents are composed here, iteratively, from libyaml's event stream, stopping at the first
limit crossed. See docs/input-safety.md for the limits.

Scalars are resolved the way ``kubectl`` (go-yaml v2) resolves them, not by PyYAML's YAML
1.1 table: ``yes``/``no``/``on``/``off``/``y``/``n`` are booleans and ``0300`` is octal as
kubectl reads them, but timestamps, ``1:20`` (base 60) and ``=`` stay strings, as they do
for kubectl. Duplicate mapping keys are an error, as they are for kubectl.

A file is split into documents at ``---`` lines first (as kubectl's reader does), so a
syntax error in one document never hides the others.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    DocumentEndEvent,
    Event,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """What one file may hold. Generous for real manifests (the largest Gateway API CRD is
    0.5 MiB and nests 24 levels; the API server refuses objects over 3 MiB), small enough
    that a hostile file is refused in well under a second."""

    file_bytes: int = 64 * MiB
    # A `kind: List` dump of a large namespace is one document: allow it.
    document_bytes: int = 16 * MiB
    depth: int = 128
    # Values (nodes) in one document, before alias expansion: bounds its memory (about
    # 0.5 KiB each while it is built). The largest CRDs hold some 50,000.
    nodes: int = 1_000_000
    # Size of a document with every alias expanded, in units of one per node plus one per
    # scalar character: anchors may be reused freely, a billion-laughs document is refused.
    expanded: int = 32 * MiB


DEFAULT_LIMITS = Limits()


class YamlInputError(ValueError):
    """A file or document that cannot be used; the message is one line, without a path."""


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML document of a file: its value, or why it could not be read."""

    index: int  # 1-based, in file order
    line: int  # 1-based line it starts on
    value: Any = None
    error: str | None = None


# -- reading the bytes ---------------------------------------------------------------------

_FILE_TYPES = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a directory"),
)


def file_type(mode: int) -> str | None:
    """What a non-regular file is, for messages; None for a regular file."""
    for test, name in _FILE_TYPES:
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def read_text(path: Path, limits: Limits = DEFAULT_LIMITS, *, pipes: bool = False) -> str:
    """The UTF-8 text of a regular file, at most ``limits.file_bytes`` long.

    Opened non-blocking and checked after opening, so a FIFO or device never hangs the run
    and a file swapped for one in between is still refused. ``pipes`` allows a pipe too, for
    a settings file named explicitly (``--kubeconfig <(vault read ...)``). Raises OSError
    (unreadable) or YamlInputError (not a regular file, too large, not UTF-8).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        kind = file_type(info.st_mode)
        if pipes and stat.S_ISFIFO(info.st_mode):
            # Named explicitly: wait for its writer (the user's own command), as cat would.
            os.close(fd)
            fd = os.open(path, flags & ~os.O_NONBLOCK)
        elif kind is not None:
            raise YamlInputError(f"is {kind}, not a regular file")
        if info.st_size > limits.file_bytes:
            raise YamlInputError(_too_large(info.st_size, limits.file_bytes))
        chunks: list[bytes] = []
        size = 0
        while size <= limits.file_bytes:
            chunk = os.read(fd, min(MiB, limits.file_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limits.file_bytes:
            raise YamlInputError(_too_large(size, limits.file_bytes))
    finally:
        os.close(fd)
    data = b"".join(chunks)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YamlInputError(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})"
        ) from None


def describe_os_error(exc: OSError) -> str:
    """A short reason for an OSError, without the path (the caller names it)."""
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.ENOENT:
        return "does not exist"
    return (exc.strerror or type(exc).__name__).lower()


def _too_large(size: int, limit: int) -> str:
    return f"is {size} bytes, more than the limit of {limit} bytes"


# -- scalars as kubectl resolves them -------------------------------------------------------


class KubeResolver(BaseResolver):
    """Implicit scalar types as go-yaml v2 (kubectl's YAML library) resolves them."""


_RESOLVERS: tuple[tuple[str, str, str], ...] = (
    (
        "tag:yaml.org,2002:bool",
        r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE"
        r"|on|On|ON|off|Off|OFF)$",
        "yYnNtTfFoO",
    ),
    (
        "tag:yaml.org,2002:int",
        r"^(?:[-+]?0b[01_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0o?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*))$",
        "-+0123456789",
    ),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:merge", r"^<<$", "<"),
)
for _tag, _pattern, _first in _RESOLVERS:
    KubeResolver.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))
KubeResolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), [""]
)


class StrictConstructor(SafeConstructor):
    """SafeConstructor that refuses duplicate mapping keys and knows go-yaml's y/n."""

    bool_values = {**SafeConstructor.bool_values, "y": True, "n": False}

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<` entries may be overridden: YAML merge semantics
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the base class reports it
            if key in seen:
                raise ConstructorError(
                    None, None, f"duplicate key {shorten(key)}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser

    class _Loader(CParser, StrictConstructor, KubeResolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            StrictConstructor.__init__(self)
            KubeResolver.__init__(self)

else:  # pragma: no cover - libyaml is part of every supported PyYAML wheel
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Loader(Reader, Scanner, Parser, StrictConstructor, KubeResolver):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            StrictConstructor.__init__(self)
            KubeResolver.__init__(self)


# -- documents ------------------------------------------------------------------------------

_SEPARATOR = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)


def split_documents(text: str) -> Iterator[tuple[int, str]]:
    """(first line, text) of each part between ``---`` lines, the ``---`` line included.

    Like kubectl's reader; ``%`` directive lines just before a ``---`` go with it. Works on
    offsets, so a large file is not copied line by line."""
    start, line = 0, 1
    for match in _SEPARATOR.finditer(text):
        position = match.start()
        if position == 0:
            continue
        cut = probe = position
        # Directives (and comments/blank lines among them) belong to the next document.
        while probe > start:
            previous = max(text.rfind("\n", start, probe - 1) + 1, start)
            if not _directive_or_blank(text[previous:probe]):
                break
            if text.startswith("%", previous):
                cut = previous
            probe = previous
        yield line, text[start:cut]
        line += text.count("\n", start, cut)
        start = cut
    yield line, text[start:]


def _directive_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#") or line.startswith("%")


def documents(text: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[Document]:
    """Every document of a YAML stream, each its value or its error, in order.

    Empty documents (only comments, or ``---`` alone) are skipped and not counted."""
    index = 0
    for first_line, part in split_documents(text):
        if not part.strip():
            continue
        if len(part) > limits.document_bytes:
            index += 1
            yield Document(index, first_line, error=_too_large(len(part), limits.document_bytes))
            continue
        for line, value, error in _part(part, first_line, limits):
            index += 1
            yield Document(index, line, value, error)


def _part(part: str, first_line: int, limits: Limits) -> Iterator[tuple[int, Any, str | None]]:
    """(line, value, error) of each non-empty document of one part; an error ends it, as
    the event stream is then mid-document."""
    line = first_line
    loader: Any = None
    try:
        loader = _Loader(part)
        loader.get_event()  # StreamStart
        while not isinstance(loader.peek_event(), StreamEndEvent):
            line = first_line + loader.get_event().start_mark.line  # DocumentStart
            value = loader.construct_document(_compose(loader, limits))
            if value is not None:
                yield line, value, None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        at = first_line + part.count("\n", 0, max(exc.position, 0))
        yield line, None, f"line {at}: {_reader_problem(exc)}"
    except (yaml.YAMLError, _LimitError) as exc:
        yield line, None, _message(exc, first_line)
    except (ValueError, TypeError, OverflowError) as exc:
        # A constructor refusing a scalar (`!!int x`, a 5,000-digit integer).
        yield line, None, f"cannot be read: {_one_line(exc)}"
    except RecursionError:  # defence in depth: the limits should prevent it
        yield line, None, "nested too deeply to read"
    finally:
        if loader is not None:
            loader.dispose()


def load_single(path: Path, limits: Limits = DEFAULT_LIMITS) -> Any:
    """The one document of a settings file named explicitly (a pipe is fine), or None
    when it is empty.

    Raises OSError or YamlInputError (naming line and problem, not the path)."""
    found = list(documents(read_text(path, limits, pipes=True), limits))
    for document in found:
        if document.error is not None:
            raise YamlInputError(document.error)
    if len(found) > 1:
        raise YamlInputError(f"holds {len(found)} YAML documents, expected one")
    return found[0].value if found else None


class _LimitError(Exception):
    def __init__(self, message: str, event: Event) -> None:
        super().__init__(message)
        self.message = message
        self.mark = event.start_mark


@dataclass(slots=True)
class _Frame:
    node: SequenceNode | MappingNode
    anchor: str | None
    weight: int = 1
    key: Node | None = None


def _compose(loader: Any, limits: Limits) -> Node:
    """The node tree of the document whose DocumentStart was just read, built iteratively
    from the event stream and bounded by ``limits``; consumes its DocumentEnd."""
    anchors: dict[str, tuple[Node, int]] = {}
    open_anchors: set[str] = set()
    stack: list[_Frame] = []
    root: Node | None = None
    count = 0

    def counted(event: Event) -> None:
        nonlocal count
        count += 1
        if count > limits.nodes:
            raise _LimitError(f"holds more than {limits.nodes} values", event)

    def add(node: Node, weight: int, event: Event) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        frame = stack[-1]
        frame.weight += weight
        if frame.weight > limits.expanded:
            raise _LimitError(
                f"expands to more than {limits.expanded} nodes and characters "
                "(an alias bomb?); see docs/input-safety.md",
                event,
            )
        if isinstance(frame.node, SequenceNode):
            frame.node.value.append(node)
        elif frame.key is None:
            frame.key = node
        else:
            frame.node.value.append((frame.key, node))
            frame.key = None

    while root is None:
        event = loader.get_event()
        if isinstance(event, AliasEvent):
            anchor = event.anchor
            if anchor in open_anchors:
                raise _LimitError(f"alias *{anchor} refers to a node that contains it", event)
            if anchor not in anchors:
                raise _LimitError(f"alias *{anchor} refers to no anchor", event)
            node, weight = anchors[anchor]
            add(node, weight, event)
        elif isinstance(event, ScalarEvent):
            counted(event)
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(ScalarNode, event.value, event.implicit)
            start, end = _marks(event)
            scalar = ScalarNode(tag, event.value, start, end, style=event.style)
            weight = 1 + len(event.value)
            if event.anchor is not None:
                anchors[event.anchor] = (scalar, weight)
            add(scalar, weight, event)
        elif isinstance(event, SequenceStartEvent | MappingStartEvent):
            if len(stack) >= limits.depth:
                raise _LimitError(f"nests deeper than {limits.depth} levels", event)
            counted(event)
            tag = event.tag
            collection: SequenceNode | MappingNode
            if isinstance(event, SequenceStartEvent):
                if tag is None or tag == "!":
                    tag = loader.resolve(SequenceNode, None, event.implicit)
                collection = SequenceNode(tag, [], _marks(event)[0], None, event.flow_style)
            else:
                if tag is None or tag == "!":
                    tag = loader.resolve(MappingNode, None, event.implicit)
                collection = MappingNode(tag, [], _marks(event)[0], None, event.flow_style)
            if event.anchor is not None:
                open_anchors.add(event.anchor)
            stack.append(_Frame(collection, event.anchor))
        elif isinstance(event, CollectionEndEvent):
            frame = stack.pop()
            frame.node.end_mark = event.end_mark
            if frame.anchor is not None:
                open_anchors.discard(frame.anchor)
                anchors[frame.anchor] = (frame.node, frame.weight)
            add(frame.node, frame.weight, event)
        else:  # pragma: no cover - libyaml guarantees the event grammar
            raise _LimitError(f"unexpected {type(event).__name__}", event)
    end = loader.get_event()
    if not isinstance(end, DocumentEndEvent):  # pragma: no cover - event grammar
        raise _LimitError("document does not end", end)
    return root


def _reader_problem(exc: yaml.reader.ReaderError) -> str:
    character = exc.character
    code = ord(character) if isinstance(character, str) else character
    return f"character #x{code:04x} is not allowed in YAML: {exc.reason}"


def _marks(event: Event) -> tuple[Any, Any]:
    """The marks of an event (libyaml's own Mark type quacks like PyYAML's)."""
    return event.start_mark, event.end_mark


def _message(exc: BaseException, first_line: int) -> str:
    """``line N: problem`` with the line counted in the whole file."""
    if isinstance(exc, _LimitError):
        mark, problem = exc.mark, exc.message
    elif isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
    else:
        mark, problem = None, _one_line(exc)
    problem = " ".join(problem.split())
    if mark is None:
        return problem
    return f"line {first_line + mark.line}: {problem}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def shorten(value: Any, limit: int = 60) -> str:
    """A short repr for messages, without walking a large value (only str/bytes/scalars
    are shown; containers by their type)."""
    if isinstance(value, str | bytes):
        text = repr(value[: limit + 1])
    elif isinstance(value, int) and abs(value) > 10**limit:
        return "a very long integer"
    elif isinstance(value, int | float | bool) or value is None:
        text = repr(value)
    else:
        return f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = [
    "DEFAULT_LIMITS",
    "Document",
    "Limits",
    "YamlInputError",
    "describe_os_error",
    "documents",
    "file_type",
    "load_single",
    "read_text",
    "shorten",
    "split_documents",
]
