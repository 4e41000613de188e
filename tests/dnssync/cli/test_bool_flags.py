"""On/off flags take ExternalDNS's explicit form ``--flag=true|false`` too."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnssync.cli.bool_flags import FALSE, TRUE, explicit_bools
from dnssync.cli.main import main
from dnssync.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "kerberos"
KERBEROS = ["plan", "--manifests", str(EXAMPLE), "--provider", "inmemory"]


@pytest.mark.parametrize("value", sorted(TRUE))
def test_true_values_turn_the_flag_on(value: str) -> None:
    assert explicit_bools(["--events=" + value], ["events"]) == ["--events"]


@pytest.mark.parametrize("value", sorted(FALSE))
def test_false_values_turn_the_flag_off(value: str) -> None:
    assert explicit_bools(["--events=" + value], ["events"]) == ["--no-events"]


def test_other_flags_and_arguments_after_a_double_dash_are_left_alone() -> None:
    argv = ["--zone=a.example", "--events", "--", "--events=false"]
    assert explicit_bools(argv, ["events"]) == argv


def test_a_bad_value_names_the_flag_not_the_value() -> None:
    with pytest.raises(ConfigError) as caught:
        explicit_bools(["--force=s3cret-value"], ["force"])
    assert "--force takes true or false" in str(caught.value)
    assert "s3cret" not in str(caught.value)


@given(st.lists(st.text(max_size=12), max_size=6))
def test_never_raises_on_tokens_of_flags_it_does_not_know(argv: list[str]) -> None:
    assert explicit_bools(argv, ["no-such-flag-here"]) == argv


def test_the_cli_takes_the_explicit_form(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*KERBEROS, "--zone", "example.com", "--force=false"])
    assert code == 2  # changes to make, and no usage error
    code = main([*KERBEROS, "--zone", "example.com", "--force=perhaps"])
    assert code == 1
    assert "--force takes true or false" in capsys.readouterr().err
