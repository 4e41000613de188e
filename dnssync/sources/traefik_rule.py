"""The hosts of ``HostSNI(...)`` matchers in a Traefik TCP router rule.

Traefik parses a rule as a Go expression (matcher calls with string arguments, joined by
``&&``, ``||``, ``!`` and parentheses), so this reads exactly that subset: strings in
backquotes or Go double quotes, any matcher name. Only hosts reached without a negation
are names (``!HostSNI(`a`)`` excludes ``a``). Traefik v3 takes one host per ``HostSNI``,
its v2 syntax several; both are read. Anything else is a :class:`RuleError` whose message
says where the rule stops making sense; parsing never raises anything else, on any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Far above any real rule; they keep hostile input from costing time or stack.
MAX_RULE_LENGTH = 10_000
MAX_DEPTH = 64
HOST_SNI = "HostSNI"

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = re.compile(r"[ \t\r\n]*")
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


_WANTED = {"end": "the end of the rule", "string": 'a host in `backquotes` or "quotes"'}


class RuleError(ValueError):
    """The rule is not one Traefik accepts."""


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "ident", "string", "(", ")", ",", "&&", "||", "!", "end"
    text: str
    at: int


def sni_hosts(rule: str) -> tuple[str, ...]:
    """The hosts of the non-negated ``HostSNI`` matchers, in order, without duplicates."""
    if len(rule) > MAX_RULE_LENGTH:
        raise RuleError(f"rule is {len(rule)} characters long; at most {MAX_RULE_LENGTH}")
    parser = _Parser(_tokens(rule))
    parser.expression(0, negated=False)
    parser.expect("end")
    return tuple(dict.fromkeys(parser.hosts))


def _tokens(rule: str) -> list[_Token]:
    tokens: list[_Token] = []
    at = 0
    while True:
        space = _SPACE.match(rule, at)
        at = space.end() if space else at
        if at >= len(rule):
            tokens.append(_Token("end", "", at))
            return tokens
        char = rule[at]
        if rule.startswith(("&&", "||"), at):
            tokens.append(_Token(rule[at : at + 2], rule[at : at + 2], at))
            at += 2
        elif char in "(),!":
            tokens.append(_Token(char, char, at))
            at += 1
        elif char == "`":
            end = rule.find("`", at + 1)
            if end < 0:
                raise RuleError(f"unterminated string at character {at + 1}")
            # Go drops carriage returns from raw strings.
            tokens.append(_Token("string", rule[at + 1 : end].replace("\r", ""), at))
            at = end + 1
        elif char == '"':
            text, end = _quoted(rule, at)
            tokens.append(_Token("string", text, at))
            at = end
        else:
            ident = _IDENT.match(rule, at)
            if ident is None:
                raise RuleError(f"unexpected {char!r} at character {at + 1}")
            tokens.append(_Token("ident", ident.group(), at))
            at = ident.end()


def _quoted(rule: str, start: int) -> tuple[str, int]:
    """A Go interpreted string literal starting at ``rule[start] == '"'``."""
    out: list[str] = []
    at = start + 1
    while at < len(rule):
        char = rule[at]
        if char == '"':
            return "".join(out), at + 1
        if char == "\n":
            break
        if char != "\\":
            out.append(char)
            at += 1
            continue
        escape = rule[at + 1 : at + 2]
        if escape in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[escape])
            at += 2
        elif escape in _HEX_ESCAPES:
            digits = rule[at + 2 : at + 2 + _HEX_ESCAPES[escape]]
            if len(digits) != _HEX_ESCAPES[escape] or not re.fullmatch(r"[0-9A-Fa-f]+", digits):
                raise RuleError(f"invalid escape at character {at + 1}")
            code = int(digits, 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise RuleError(f"invalid escape at character {at + 1}")
            out.append(chr(code))
            at += 2 + len(digits)
        elif re.fullmatch(r"[0-7]{3}", rule[at + 1 : at + 4]):
            code = int(rule[at + 1 : at + 4], 8)
            if code > 0xFF:
                raise RuleError(f"invalid escape at character {at + 1}")
            out.append(chr(code))
            at += 4
        else:
            raise RuleError(f"invalid escape at character {at + 1}")
    raise RuleError(f"unterminated string at character {start + 1}")


class _Parser:
    """Recursive descent over ``or := and ('||' and)*``, ``and := unary ('&&' unary)*``,
    ``unary := '!' unary | '(' or ')' | call``, ``call := ident '(' [string {, string}] ')'``."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.position = 0
        self.hosts: list[str] = []

    def peek(self) -> _Token:
        return self.tokens[self.position]

    def take(self) -> _Token:
        token = self.tokens[self.position]
        if token.kind != "end":
            self.position += 1
        return token

    def expect(self, kind: str) -> _Token:
        token = self.take()
        if token.kind != kind:
            wanted = _WANTED.get(kind, repr(kind))
            raise RuleError(f"expected {wanted} at character {token.at + 1}, found {_shown(token)}")
        return token

    def expression(self, depth: int, negated: bool) -> None:
        if depth > MAX_DEPTH:
            raise RuleError(f"rule nests deeper than {MAX_DEPTH} levels")
        self.conjunction(depth, negated)
        while self.peek().kind == "||":
            self.take()
            self.conjunction(depth, negated)

    def conjunction(self, depth: int, negated: bool) -> None:
        self.unary(depth, negated)
        while self.peek().kind == "&&":
            self.take()
            self.unary(depth, negated)

    def unary(self, depth: int, negated: bool) -> None:
        token = self.take()
        if token.kind == "!":
            if depth + 1 > MAX_DEPTH:
                raise RuleError(f"rule nests deeper than {MAX_DEPTH} levels")
            self.unary(depth + 1, not negated)
        elif token.kind == "(":
            self.expression(depth + 1, negated)
            self.expect(")")
        elif token.kind == "ident":
            self.call(token, negated)
        else:
            found = _shown(token)
            raise RuleError(f"expected a matcher at character {token.at + 1}, found {found}")

    def call(self, name: _Token, negated: bool) -> None:
        self.expect("(")
        arguments: list[str] = []
        if self.peek().kind != ")":
            arguments.append(self.expect("string").text)
            while self.peek().kind == ",":
                self.take()
                arguments.append(self.expect("string").text)
        self.expect(")")
        if name.text == HOST_SNI:
            if not arguments:
                raise RuleError(f"HostSNI at character {name.at + 1} has no host")
            if not negated:
                self.hosts.extend(arguments)


def _shown(token: _Token) -> str:
    if token.kind == "end":
        return "the end of the rule"
    if token.kind == "string":
        return "a string"
    return repr(token.text[:40])
