"""Strict parsing: what a zone file may hold, and the errors for what it may not.

Every refusal names the file and the line, and nothing is written after one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dnssync.errors import ProviderError
from dnssync.model.records import RecordType, Text
from dnssync.providers.zonefile import ZoneFileProvider
from dnssync.testing.builders import create, rrset
from tests.dnssync.providers.zonefile.zonefile_kit import (
    FILE,
    HEAD,
    ZONE,
    apply,
    desired,
    plan_for,
    temp_files,
    write_zone,
)


def refused(tmp_path: Path, body: str, *, head: str = HEAD) -> str:
    """The error for a zone file, after checking that neither plan nor apply wrote."""
    path = write_zone(tmp_path, body, head=head)
    before = path.read_bytes()
    provider = ZoneFileProvider(tmp_path, [ZONE])
    with pytest.raises(ProviderError) as plan_error:
        provider.records(ZONE)
    wanted = desired(rrset("app.example.com", "A", "192.0.2.1"))
    with pytest.raises(ProviderError):
        plan_for(provider, wanted)
    with pytest.raises(ProviderError) as apply_error:
        provider.apply(ZONE, [create(ZONE, rrset("app.example.com", "A", "192.0.2.1"))])
    assert str(apply_error.value) == str(plan_error.value)
    assert path.read_bytes() == before
    assert temp_files(tmp_path) == []
    return str(plan_error.value)


def test_origin_of_another_zone_is_refused_with_file_line_and_name(tmp_path: Path) -> None:
    message = refused(
        tmp_path,
        "",
        head="$ORIGIN other.org.\n@ 3600 SOA ns1 hostmaster 1 3600 600 1209600 300\n"
        "www 300 A 192.0.2.1\n",
    )
    assert f"{tmp_path / FILE}:2:" in message
    assert "other.org. is outside the zone example.com." in message


def test_an_absolute_name_outside_the_zone_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, "ok 300 A 192.0.2.2\nwww.other.org. 300 A 192.0.2.1\n")
    assert f"{FILE}:7:" in message
    assert "www.other.org. is outside the zone" in message


def test_a_parent_origin_with_names_inside_the_zone_is_fine(tmp_path: Path) -> None:
    write_zone(
        tmp_path,
        "$ORIGIN com.\nwww.example 300 A 192.0.2.1\n$ORIGIN sub.example.com.\nx 300 A 192.0.2.2\n",
    )
    names = {str(r.key) for r in ZoneFileProvider(tmp_path, [ZONE]).records(ZONE)}
    assert {"www.example.com. A", "x.sub.example.com. A"} <= names


def test_include_is_never_followed(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "secret"
    secret.parent.mkdir()
    secret.write_text("SECRET-TOKEN-7f3a A 192.0.2.1\n")
    # A FIFO as the included file: following it would hang this test.
    fifo = tmp_path / "elsewhere" / "fifo"
    os.mkfifo(fifo)
    for target in (secret, fifo):
        message = refused(tmp_path, f"$INCLUDE {target}\n")
        assert "'$INCLUDE' is not allowed" in message
        assert "never follows $INCLUDE" in message
        assert f"{FILE}:6:" in message
        assert "SECRET-TOKEN" not in message


def test_generate_is_refused_before_it_expands(tmp_path: Path) -> None:
    # A hundred million records would take minutes (and gigabytes) to expand.
    message = refused(tmp_path, "$GENERATE 1-100000000 host$ A 192.0.2.1\n")
    assert "'$GENERATE' is not allowed" in message
    assert f"{FILE}:6:" in message


@pytest.mark.parametrize("directive", ["$UNICODE 2008", "$FOO bar"])
def test_other_directives_are_refused(tmp_path: Path, directive: str) -> None:
    message = refused(tmp_path, directive + "\n")
    assert "is not allowed" in message
    assert "$ORIGIN and $TTL" in message


def test_directive_words_in_comments_quotes_and_parentheses_are_data(tmp_path: Path) -> None:
    write_zone(
        tmp_path,
        "; $INCLUDE /etc/passwd\n"
        'txt 300 TXT "$INCLUDE /etc/passwd" ( "$GENERATE 1-9 x$"\n'
        "   ; $GENERATE 1-100000000 h$ A 192.0.2.1\n"
        '   "end" )\n',
    )
    held = ZoneFileProvider(tmp_path, [ZONE]).records(ZONE)
    (txt,) = [r for r in held if r.rtype is RecordType.TXT]
    assert txt.rtype is RecordType.TXT
    assert txt.values == (Text((b"$INCLUDE /etc/passwd", b"$GENERATE 1-9 x$", b"end")),)


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / FILE
    path.write_bytes(HEAD.encode() + b'ok 300 TXT "fine"\nbad 300 TXT "caf\xe9"\n')
    with pytest.raises(ProviderError, match=rf"{FILE}:7: it is not UTF-8 text"):
        ZoneFileProvider(tmp_path, [ZONE]).records(ZONE)


@pytest.mark.parametrize(
    "body",
    [
        "bad 300 A 300.1.1.1\n",
        'x 300 TXT "unterminated\n',
        'x 300 CH TXT "other class"\n',
        "x 300 CNAME a.example.net.\nx 300 A 192.0.2.1\n",
        "x 300 BOGUSTYPE 1\n",
        "( ( (\n",
    ],
)
def test_malformed_files_are_refused_without_a_traceback(tmp_path: Path, body: str) -> None:
    message = refused(tmp_path, body)
    assert message.startswith(f"cannot read zone file {tmp_path / FILE}")


def test_a_file_beyond_the_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dnssync.providers.zonefile import files

    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1000)
    message = refused(tmp_path, "".join(f'x{i} 300 TXT "{"a" * 200}"\n' for i in range(5)))
    assert "more than the 1000 dnssync reads" in message


def test_nothing_is_written_when_the_plan_applies_nothing(tmp_path: Path) -> None:
    path = write_zone(tmp_path, 'keep 300 TXT "a" "b"\n')
    before = path.read_bytes()
    provider = ZoneFileProvider(tmp_path, [ZONE])
    plan = plan_for(provider, desired())
    assert not plan.has_changes
    apply(provider, plan)
    assert path.read_bytes() == before
