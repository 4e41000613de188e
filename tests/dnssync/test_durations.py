"""Go-style durations: exactly the grammar, in ASCII (issue 13)."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnssync.durations import MAX_SECONDS, parse_duration, parse_duration_exact

UNITS = {
    "ns": Fraction(1, 10**9),
    "us": Fraction(1, 10**6),
    "\u00b5s": Fraction(1, 10**6),
    "ms": Fraction(1, 1000),
    "s": Fraction(1),
    "m": Fraction(60),
    "h": Fraction(3600),
}
GRAMMAR = re.compile(
    r"[0-9]+(\.[0-9]+)?|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+"
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0),
        ("300", 300),
        ("1.5", 1.5),
        ("1h30m", 5400),
        ("100ms", 0.1),
        ("1.5h", 5400),
        ("5.s", 5),
        (".5s", 0.5),
        ("1h1m1s1ms1us1ns", 3661.001001001),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


parts = st.tuples(st.integers(0, 10**6), st.sampled_from(sorted(UNITS)))


@given(st.lists(parts, min_size=1, max_size=4))
def test_every_sentence_of_the_grammar_is_read_exactly(items: list[tuple[int, str]]) -> None:
    text = "".join(f"{n}{u}" for n, u in items)
    expected = sum(n * UNITS[u] for n, u in items)
    if expected > MAX_SECONDS:  # Go's limit: an int64 of nanoseconds
        with pytest.raises(ValueError, match="too long a duration"):
            parse_duration_exact(text)
    else:
        assert parse_duration_exact(text) == expected


@given(st.text(max_size=30))
def test_nothing_outside_the_grammar_is_accepted(text: str) -> None:
    try:
        seconds = parse_duration_exact(text)
    except ValueError:
        assert not GRAMMAR.fullmatch(text) or len(text) > 64 or reference(text) > MAX_SECONDS
    else:
        assert GRAMMAR.fullmatch(text) and 0 <= seconds <= MAX_SECONDS


@given(st.text(alphabet="0123456789._+-eE xhms\uff13\u0663", max_size=12))
def test_number_like_text_never_slips_through(text: str) -> None:
    try:
        parse_duration_exact(text)
    except ValueError:
        return
    assert GRAMMAR.fullmatch(text)


def reference(text: str) -> Fraction:
    """The value of a grammar sentence, computed independently of the parser."""
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        return Fraction(text)
    total = Fraction(0)
    for number, unit in re.findall(r"([0-9.]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)", text):
        whole, _, frac = number.partition(".")
        total += Fraction(f"{whole or 0}.{frac or 0}") * UNITS.get(unit, Fraction(1, 10**6))
    return total
