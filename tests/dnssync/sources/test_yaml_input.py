"""The bounded YAML loader: kubectl's scalar types, duplicate keys, limits, document
splitting, and files that are not regular files."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from dnssync.sources.yaml_input import (
    Document,
    Limits,
    YamlInputError,
    documents,
    load_single,
    read_text,
)


def values(text: str, limits: Limits | None = None) -> list[Any]:
    found = list(documents(text, limits or Limits()))
    assert all(d.error is None for d in found), found
    return [d.value for d in found]


def one(text: str) -> Any:
    (value,) = values(text)
    return value


# go-yaml v2 (kubectl) reads these unquoted scalars so; PyYAML's YAML 1.1 table differs in
# the rows marked "differs".
@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        ("0300", 192),  # octal, as kubectl reads it: an annotation would be refused
        ("0o17", 15),
        ("0x1F", 31),
        ("0b101", 5),
        ("1_000", 1000),
        ("-12", -12),
        ("08", 8.0),  # differs: not octal, so a float for go-yaml
        ("1e3", 1000.0),  # differs: PyYAML 1.1 wants a dot
        ("1.5", 1.5),
        (".inf", float("inf")),
        ("yes", True),
        ("On", True),
        ("y", True),  # differs
        ("N", False),  # differs
        ("off", False),
        ("~", None),
        ("null", None),
        ("2026-12-02", "2026-12-02"),  # differs: kubectl keeps timestamps as strings
        ("2026-12-02T10:00:00Z", "2026-12-02T10:00:00Z"),  # differs
        ("1:20", "1:20"),  # differs: no base 60
        ("190:20:30", "190:20:30"),  # differs
        ("=", "="),  # differs: PyYAML fails on the `value` tag
        ("0300.example.com", "0300.example.com"),
        ("yes please", "yes please"),
        ("'0300'", "0300"),
        ('"yes"', "yes"),
    ],
)
def test_scalars_resolve_as_kubectl_reads_them(scalar: str, expected: Any) -> None:
    assert one(f"v: {scalar}\n") == {"v": expected}


def test_merge_keys_work_and_may_be_overridden() -> None:
    assert one("base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\n")["x"] == {"a": 1, "b": 3}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb: 2\na: 3\n", "line 3: duplicate key 'a'"),
        ("m:\n  k: 1\n  k: 1\n", "line 3: duplicate key 'k'"),
        ("{yes: 1, true: 2}\n", "line 1: duplicate key True"),
        ("{1: a, 0x1: b}\n", "line 1: duplicate key 1"),
        ("[{a: 1, a: 1}]\n", "line 1: duplicate key 'a'"),
    ],
)
def test_duplicate_keys_are_errors(text: str, message: str) -> None:
    (document,) = documents(text)
    assert document.error == message


def test_errors_count_lines_in_the_whole_file_and_spare_the_other_documents() -> None:
    text = "a: 1\n---\nb: [\n---\n# only a comment\n---\nc: 3\nc: 4\n---\nd: 5\n"
    assert list(documents(text)) == [
        Document(1, 1, {"a": 1}),
        Document(
            2, 2, error="line 4: while parsing a flow node did not find expected node content"
        ),
        Document(3, 6, error="line 8: duplicate key 'c'"),
        Document(4, 9, {"d": 5}),
    ]


def test_separator_lines_and_directives() -> None:
    text = "%YAML 1.1\n---\na: 1\n--- # comment\nb: 2\n...\n--- |\n  text\n---\n"
    assert values(text) == [{"a": 1}, {"b": 2}, "text\n"]
    # `---` inside a line or indented is not a separator.
    assert values("a: '---'\nb: |\n  ---\n") == [{"a": "---", "b": "---\n"}]


@pytest.mark.parametrize(
    ("text", "limits", "message"),
    [
        ("a: " + "[" * 11 + "]" * 11 + "\n", Limits(depth=10), "line 1: nests deeper than 10"),
        (
            "a: &a [xxxxxxxxx, xxxxxxxxx]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n",
            Limits(expanded=150),
            "line 3: expands to more than 150 nodes and characters",
        ),
        ("a: " + "x" * 100 + "\n", Limits(document_bytes=50), "is 104 bytes, more than"),
        ("a: [1, 2, 3, 4]\n", Limits(nodes=4), "line 1: holds more than 4 values"),
        ("a: &a [*a]\n", Limits(), "line 1: alias *a refers to a node that contains it"),
        ("a: *nowhere\n", Limits(), "line 1: alias *nowhere refers to no anchor"),
        ("a: !!binary 'not base64!'\n", Limits(), "line 1: failed to decode base64 data"),
        ("a: !!int 'x'\n", Limits(), "cannot be read: invalid literal for int()"),
        ("a: !!python/name:os.system\n", Limits(), "could not determine a constructor"),
        ("a: 1\nb: \x07\n", Limits(), "line 2: character #x0007 is not allowed in YAML"),
    ],
)
def test_limits_and_bad_input_are_errors_of_the_document(
    text: str, limits: Limits, message: str
) -> None:
    (document,) = documents(text, limits)
    assert document.error is not None
    assert message in document.error
    # The next document is read.
    assert list(documents(text + "---\nafter: 1\n", limits))[-1].value == {"after": 1}


def test_reused_anchors_within_the_limit_are_fine() -> None:
    text = "a: &a {x: 1}\n" + "".join(f"k{i}: *a\n" for i in range(1000))
    assert len(one(text)) == 1001


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 30)]
    (document,) = documents("\n".join(lines))
    assert document.error is not None and "expands to more than" in document.error


def test_nesting_beyond_libyamls_own_limit_does_not_crash() -> None:
    # With a libyaml that has no nesting limit of its own, PyYAML's C composer recurses
    # without bound here and the process dies (SIGSEGV); a child process proves this loader
    # survives and reports it, whatever the libyaml build.
    code = (
        "from dnssync.sources.yaml_input import documents\n"
        "(d,) = documents('[' * 200000 + ']' * 200000)\n"
        "print(d.error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "nest" in result.stdout


def test_read_text_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "p.yaml"
    os.mkfifo(pipe)
    with pytest.raises(YamlInputError, match=r"^is a FIFO \(named pipe\), not a regular file$"):
        read_text(pipe)


def test_settings_files_may_be_pipes(tmp_path: Path) -> None:
    pipe = tmp_path / "settings"
    os.mkfifo(pipe)

    def write() -> None:
        with open(pipe, "w") as handle:
            handle.write("owner-id: from-a-pipe\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        # Opened by the reader first: the read blocks until the writer has written.
        assert load_single(pipe) == {"owner-id": "from-a-pipe"}
    finally:
        writer.join(timeout=10)


def test_read_text_refuses_devices_and_folders(tmp_path: Path) -> None:
    with pytest.raises(YamlInputError, match="is a character device"):
        read_text(Path("/dev/zero"))
    with pytest.raises(YamlInputError, match="is a directory"):
        read_text(tmp_path)


def test_read_text_bounds_size_and_wants_utf8(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"a: 1\n" * 10)
    with pytest.raises(YamlInputError, match="is 50 bytes, more than the limit of 49 bytes"):
        read_text(path, Limits(file_bytes=49))
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(YamlInputError, match=r"is not UTF-8 text \(byte 0xe9 on line 2\)"):
        read_text(path)
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")  # a byte-order mark is fine
    assert read_text(path) == "a: 1\n"


def test_load_single(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("")
    assert load_single(path) is None
    path.write_text("a: 1\n---\nb: 2\n")
    with pytest.raises(YamlInputError, match="holds 2 YAML documents, expected one"):
        load_single(path)
    path.write_text("a: 1\na: 2\n")
    with pytest.raises(YamlInputError, match="line 2: duplicate key 'a'"):
        load_single(path)
