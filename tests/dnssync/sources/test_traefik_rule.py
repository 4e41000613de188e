"""Reading HostSNI hosts out of Traefik TCP router rules, and hostile rules.

Examples from Traefik's documentation first; then properties: any text either yields hosts
or a RuleError (never another exception), rules built from the grammar always parse and
yield exactly the non-negated HostSNI hosts, and an IngressRouteTCP whose rule is garbage
is projected with a problem naming ``spec.routes[i].match`` (never a traceback).
The 'ci' profile (tests/conftest.py) bounds the examples.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnssync.sources.projection import project
from dnssync.sources.traefik_rule import MAX_DEPTH, MAX_RULE_LENGTH, RuleError, sni_hosts


@pytest.mark.parametrize(
    ("rule", "hosts"),
    [
        ("HostSNI(`example.com`)", ("example.com",)),
        ("HostSNI(`*`)", ("*",)),
        ("HostSNI(`a.example.com`, `b.example.com`)", ("a.example.com", "b.example.com")),
        (
            "HostSNI(`a.example.com`) || HostSNI(`b.example.com`)",
            ("a.example.com", "b.example.com"),
        ),
        ('HostSNI("a.example.com")', ("a.example.com",)),
        ('HostSNI("a\\x2eexample.com")', ("a.example.com",)),
        ("HostSNI(`a.example.com`) && ClientIP(`10.0.0.0/8`)", ("a.example.com",)),
        ("ClientIP(`10.0.0.0/8`)", ()),
        ("!HostSNI(`a.example.com`)", ()),
        ("!!HostSNI(`a.example.com`)", ("a.example.com",)),
        ("!(HostSNI(`a.example.com`) || HostSNI(`b.example.com`))", ()),
        ("HostSNIRegexp(`^.+\\.example\\.com$`)", ()),
        ("HostSNI(`a.example.com`) || HostSNI(`a.example.com`)", ("a.example.com",)),
        ("\n  HostSNI(`a.example.com`)\n\t&& ALPN(`h2`)  ", ("a.example.com",)),
        ("(((HostSNI(`a.example.com`))))", ("a.example.com",)),
    ],
)
def test_hosts_of_documented_rules(rule: str, hosts: tuple[str, ...]) -> None:
    assert sni_hosts(rule) == hosts


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("", "expected a matcher at character 1, found the end of the rule"),
        ("HostSNI(`a`", "expected ')' at character 12, found the end of the rule"),
        ("HostSNI(`a`) &&", "expected a matcher at character 16, found the end of the rule"),
        ("HostSNI(`a`) HostSNI(`b`)", "expected the end of the rule at character 14"),
        ("HostSNI()", "HostSNI at character 1 has no host"),
        ("HostSNI(example)", 'expected a host in `backquotes` or "quotes" at character 9'),
        ("HostSNI(a.example.com)", "unexpected '.' at character 10"),
        ("HostSNI(`a)", "unterminated string at character 9"),
        ('HostSNI("a)', "unterminated string at character 9"),
        ('HostSNI("a\\q")', "invalid escape at character 11"),
        ("HostSNI(`a`) & HostSNI(`b`)", "unexpected '&' at character 14"),
        ("HostSNI(`a`) ; rm -rf /", "unexpected ';' at character 14"),
        ("(" * (MAX_DEPTH + 1) + "HostSNI(`a`)" + ")" * (MAX_DEPTH + 1), "nests deeper"),
        ("!" * (MAX_DEPTH + 1) + "HostSNI(`a`)", "nests deeper"),
        ("HostSNI(`" + "a" * MAX_RULE_LENGTH + "`)", "characters long"),
    ],
)
def test_rules_traefik_refuses_are_errors_that_say_where(rule: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        sni_hosts(rule)
    assert message in str(caught.value)


@given(st.text(max_size=300))
def test_any_text_gives_hosts_or_a_rule_error(rule: str) -> None:
    try:
        hosts = sni_hosts(rule)
    except RuleError as exc:
        assert str(exc)
    else:
        assert isinstance(hosts, tuple)
        assert all(isinstance(h, str) for h in hosts)


_ALPHABET = st.sampled_from(list('HostSNI()`"\\,&|! \n*abc.-x0u'))


@given(st.lists(_ALPHABET, max_size=200).map("".join))
def test_rule_shaped_noise_gives_hosts_or_a_rule_error(rule: str) -> None:
    with contextlib.suppress(RuleError):
        sni_hosts(rule)


# --------------------------------------------------------------------------- the grammar


@dataclass(frozen=True)
class Built:
    text: str
    hosts: tuple[str, ...]  # HostSNI hosts under an even number of negations, in order
    negated: tuple[str, ...] = ()  # those under an odd number


_HOST = st.from_regex(r"[a-z0-9*][a-z0-9.-]{0,20}", fullmatch=True)


def _string(host: str) -> st.SearchStrategy[str]:
    quoted = '"' + host.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return st.sampled_from([f"`{host}`", quoted])


@st.composite
def _matcher(draw: st.DrawFn) -> Built:
    name = draw(st.sampled_from(["HostSNI", "ClientIP", "ALPN", "HostSNIRegexp"]))
    hosts = draw(st.lists(_HOST, min_size=1, max_size=3))
    args = [draw(_string(h)) for h in hosts]
    space = draw(st.sampled_from(["", " ", "\n\t"]))
    text = f"{name}({space}{(',' + space).join(args)}{space})"
    return Built(text, tuple(hosts) if name == "HostSNI" else ())


def _combine(children: st.SearchStrategy[Built]) -> st.SearchStrategy[Built]:
    def binary(pair: tuple[Built, Built, str]) -> Built:
        left, right, op = pair
        return Built(
            f"{left.text} {op} {right.text}",
            left.hosts + right.hosts,
            left.negated + right.negated,
        )

    return st.one_of(
        st.tuples(children, children, st.sampled_from(["&&", "||"])).map(binary),
        children.map(lambda c: Built(f"({c.text})", c.hosts, c.negated)),
        children.map(lambda c: Built(f"!({c.text})", c.negated, c.hosts)),
        children.map(lambda c: Built(f"!!({c.text})", c.hosts, c.negated)),
    )


RULES = st.recursive(_matcher(), _combine, max_leaves=12)


@given(RULES)
def test_rules_of_the_grammar_give_exactly_their_non_negated_hosts(built: Built) -> None:
    assert sni_hosts(built.text) == tuple(dict.fromkeys(built.hosts))


# --------------------------------------------------------------------------- the projection


def _route(match: object) -> dict[str, object]:
    return {
        "apiVersion": "traefik.io/v1alpha1",
        "kind": "IngressRouteTCP",
        "metadata": {"name": "r", "namespace": "apps"},
        "spec": {
            "entryPoints": ["websecure"],
            "routes": [{"match": "HostSNI(`ok.example.com`)"}, {"match": match}],
        },
    }


@given(st.one_of(st.text(max_size=200), st.integers(), st.none(), st.lists(st.text())))
def test_a_hostile_match_is_a_problem_naming_the_field(match: object) -> None:
    projected = project(_route(match))
    assert projected is not None
    hosts = [h.host for h in projected.sni_hosts]  # type: ignore[union-attr]
    assert hosts[0] == "ok.example.com"
    for field, problem in projected.rule_problems:  # type: ignore[union-attr]
        assert field == "spec.routes[1].match"
        assert problem
