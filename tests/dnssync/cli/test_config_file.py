"""``--config``: both positions, ``DNSSYNC_CONFIG``, and every file that cannot be read.

Issue 13 item 2: ``dnssync --config F plan`` (the position ``--help`` shows) ignored the
file, so ``policy: create-only`` in it still deleted records.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnssync.cli.config_file import MAX_BYTES, load_file, looks_like_setting_name
from dnssync.cli.main import main
from dnssync.errors import ConfigError

OWNED = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/web/old"'


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


@pytest.fixture
def owned_zone(tmp_path: Path) -> tuple[str, ...]:
    """A zone file holding one record dnssync owns, and an empty manifests folder: with
    ``--force`` a sync plan deletes it, a create-only or upsert-only plan does not."""
    zones = tmp_path / "zones"
    zones.mkdir()
    (zones / "example.com.zone").write_text(
        "$ORIGIN example.com.\n@ 3600 SOA ns1 h 1 3600 600 1209600 300\n"
        f"old 300 A 192.0.2.1\na-old 300 TXT {OWNED}\n"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    return (
        "--manifests",
        str(empty),
        "--provider",
        "zonefile",
        "--zonefile-dir",
        str(zones),
        "--zone",
        "example.com",
        "--force",
    )


def settings_file(tmp_path: Path, text: str, name: str = "dnssync.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


@pytest.mark.parametrize("position", ["before", "after", "env"])
def test_config_is_read_in_every_position(
    position: str,
    owned_zone: tuple[str, ...],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = settings_file(tmp_path, "policy: create-only\n")
    # Without the file the plan deletes the owned record.
    assert run(capsys, "plan", *owned_zone)[0] == 2
    if position == "before":
        argv = ["--config", path, "plan", *owned_zone]
    elif position == "after":
        argv = ["plan", "--config", path, *owned_zone]
    else:
        monkeypatch.setenv("DNSSYNC_CONFIG", path)
        argv = ["plan", *owned_zone]
    code, out, err = run(capsys, *argv)
    assert (code, out) == (0, "No changes. DNS is up to date.\n"), err


def test_config_before_the_command_protects_apply(
    owned_zone: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zone_file = Path(owned_zone[5]) / "example.com.zone"
    before = zone_file.read_text()
    path = settings_file(tmp_path, "policy: upsert-only\n")
    assert run(capsys, "--config", path, "apply", "--yes", *owned_zone)[0] == 0
    assert zone_file.read_text() == before


def test_a_flag_after_the_command_still_wins_over_the_file(
    owned_zone: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings_file(tmp_path, "policy: create-only\n")
    assert run(capsys, "--config", path, "plan", *owned_zone, "--policy", "sync")[0] == 2


def test_config_in_both_positions(
    owned_zone: tuple[str, ...],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = settings_file(tmp_path, "policy: create-only\n", "a.yaml")
    second = settings_file(tmp_path, "policy: sync\n", "b.yaml")
    code, out, err = run(capsys, "--config", first, "plan", "--config", second, *owned_zone)
    assert code == 1 and out == ""
    assert f"--config is given twice, before and after the command ({first} and {second})" in err
    # The same file twice is no contradiction.
    assert run(capsys, "--config", first, "plan", "--config", first, *owned_zone)[0] == 0
    # A flag wins over DNSSYNC_CONFIG like over any other environment variable.
    monkeypatch.setenv("DNSSYNC_CONFIG", second)
    assert run(capsys, "plan", "--config", first, *owned_zone)[0] == 0


def test_help_shows_config_before_and_after_the_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in (["--help"], ["plan", "--help"], ["apply", "--help"]):
        code, out, _ = run(capsys, *argv)
        assert code == 0
        assert "--config CONFIG" in out and "DNSSYNC_CONFIG" in out


def _fifo(tmp_path: Path) -> str:
    path = tmp_path / "fifo.yaml"
    os.mkfifo(path)
    return str(path)


def _loop(tmp_path: Path) -> str:
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    return str(tmp_path / "loop.yaml")


def _dangling(tmp_path: Path) -> str:
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    return str(tmp_path / "dangling.yaml")


def _under_a_file(tmp_path: Path) -> str:
    (tmp_path / "file").write_text("")
    return str(tmp_path / "file" / "dnssync.yaml")


def _large(tmp_path: Path) -> str:
    path = tmp_path / "large.yaml"
    path.write_text("# padding\n" * (MAX_BYTES // 10 + 1))
    return str(path)


def _binary(tmp_path: Path) -> str:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"policy: \xff\xfe sync\n")
    return str(path)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda tmp: str(tmp / "missing.yaml"), "missing.yaml: No such file or directory"),
        (_dangling, "dangling.yaml: No such file or directory"),
        (_loop, "loop.yaml: Too many levels of symbolic links"),
        (_under_a_file, "dnssync.yaml: Not a directory"),
        (lambda tmp: str(tmp), ": is a directory, not a regular file"),
        (_fifo, "fifo.yaml: is a FIFO, not a regular file"),
        (lambda tmp: os.devnull, "/dev/null: is a device, not a regular file"),
        (_large, "large.yaml: larger than 1024 KiB"),
        (_binary, "binary.yaml: not UTF-8 text (byte 8)"),
        (lambda tmp: "bad\x00path", "config file 'bad\\x00path': not a valid path"),
        (lambda tmp: "with\nnewline", "config file 'with\\nnewline': No such file"),
    ],
)
def test_a_file_that_cannot_be_read_is_an_error_naming_it(
    make: object, fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert callable(make)
    path = make(tmp_path)
    code, out, err = run(capsys, "--config", path, "plan", "--provider", "inmemory")
    assert (code, out) == (1, "")
    assert "error: config file " in err
    assert fragment in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("policy: [unclosed\n", "not valid YAML: while parsing a flow sequence"),
        ("a: 1\n---\nb: 2\n", "not valid YAML: expected a single document"),
        ("- a\n- b\n", "expected a mapping of setting names to values"),
        ("just text\n", "expected a mapping of setting names to values"),
        ("policy: sync\npolicy: create-only\n", "line 2: 'policy' is set twice (first on line 1)"),
        ("owner_id: a\nowner-id: b\n", "line 2: 'owner-id' is set twice (first on line 1)"),
        ("S3cr3tKey: 1\nS3cr3tKey: 2\n", "line 2: a key is set twice"),
        ("1: x\n", "line 1: the key is not a setting name (keys are text)"),
        ("no: x\n", "line 1: the key is not a setting name"),
        ("[a, b]: x\n", "line 1: the key is not a setting name"),
        ("? {a: b}\n: x\n", "line 1: the key is not a setting name"),
        ("base: &b {policy: sync}\n<<: *b\n", "line 2: merge keys (<<) are not supported"),
        ("config: other.yaml\n", "line 1: a config file cannot name another"),
        ("max-change-percent: 010\n", "line 1: setting 'max-change-percent': YAML reads"),
        ("max-change-percent: 0x1f\n", "YAML reads this number as octal, hexadecimal"),
        ("max-change-percent: 3_0\n", "YAML reads this number"),
        ("default-ttl: 1:30\n", "setting 'default-ttl': YAML reads this number"),
        ("zone: [example.com, 017]\n", "setting 'zone': YAML reads this number"),
        ("owner-id: !!python/object:os.system x\n", "a value YAML cannot read (an unknown tag?)"),
        ("owner-id: !S3CR3T x\n", "a value YAML cannot read"),
        ("owner-id: 2024-02-30\n", "line 1: setting 'owner-id': invalid value"),
        ("a: " + "[" * 100 + "]" * 100 + "\n", "nested too deeply; not a settings file"),
        ("a: " + "[" * 5000 + "\n", "not valid YAML"),
        ("a: &a [*a]\n", "nested too deeply"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"a{i}: &a{i} [{', '.join([f'*a{i - 1}' if i else '*a'] * 10)}]\n" for i in range(8)
            ),
            "too many values (aliases included)",
        ),
    ],
)
def test_text_that_is_not_a_settings_file_is_an_error(
    text: str, fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings_file(tmp_path, text)
    code, out, err = run(capsys, "plan", "--config", path, "--provider", "inmemory")
    assert (code, out) == (1, "")
    assert f"error: config file {path}" in err
    assert fragment in err
    assert "Traceback" not in err


def test_yaml_error_messages_quote_no_line_of_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # PyYAML's own message shows the offending line with a caret: here, the secret.
    path = settings_file(tmp_path, "rfc2136-tsig-secret: S3CR3Tvalue: x\n")
    code, _, err = run(capsys, "plan", "--config", path)
    assert code == 1
    assert "not valid YAML: mapping values are not allowed" in err
    assert "S3CR3Tvalue" not in err


def test_an_empty_file_and_yes_key(tmp_path: Path) -> None:
    assert dict(load_file(settings_file(tmp_path, "", "empty.yaml"))) == {}
    assert dict(load_file(settings_file(tmp_path, "# only a comment\n", "c.yaml"))) == {}
    assert dict(load_file(settings_file(tmp_path, "~\n", "null.yaml"))) == {}
    loaded = load_file(settings_file(tmp_path, "yes: true\nowner_id: x\n\nzone: [a, b]\n"))
    assert dict(loaded) == {"yes": True, "owner-id": "x", "zone": ["a", "b"]}
    assert (loaded.line("yes"), loaded.line("owner-id"), loaded.line("zone")) == (1, 2, 4)


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfowner-id: blue\n")
    assert dict(load_file(str(path))) == {"owner-id": "blue"}


# YAML's own punctuation, so that most examples get past the scanner.
YAMLISH = st.text(alphabet="ab0189:-_[]{}&*!<>|?,'\"\n\t #.~%@`\\\x00\x85\u2028é", max_size=80)


@given(st.one_of(st.text(max_size=200), YAMLISH))
def test_any_text_loads_or_is_a_config_error(text: str) -> None:
    """Whatever the file holds: a mapping or one ConfigError naming the file."""
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            loaded = load_file(str(path))
        except ConfigError as exc:
            assert str(exc).startswith(f"config file {path}")
        else:
            assert all(isinstance(k, str) for k in loaded)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("policy", True),
        ("rfc2136-tsig-secrt", True),
        ("owner_id", True),
        ("zonez", True),
        ("S3CR3T", False),
        ("hunter2", False),
        ("c2VjcmV0", False),
        ("dGhpcyBpcyBhIHNlY3JldA==", False),
        ("a" * 41, False),
        ("with space", False),
    ],
)
def test_which_unknown_names_may_be_echoed(text: str, shown: bool) -> None:
    assert looks_like_setting_name(text) is shown


def test_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    """Opening a FIFO for reading blocks until a writer comes: it must never be opened."""
    path = _fifo(tmp_path)
    with pytest.raises(ConfigError, match="is a FIFO"):
        load_file(path)
