"""Route53's InvalidChangeBatch / InvalidInput answers: what they say and whom they name.

Real messages look like (AWS sends one or several per rejected batch)::

    Tried to create resource record set [name='x.example.com.', type='A'] but it already exists
    Tried to delete resource record set [name='x.example.com.', type='A'] but it was not found
    Tried to delete resource record set [name='x.example.com.', type='TXT'] but the values
        provided do not match the current values
    RRSet of type CNAME with DNS name x.example.com. is not permitted as it conflicts with
        other records with the same DNS name in zone example.com.
    RRSet with DNS name x.example.com. is not permitted because a conflicting RRSet of type
        CNAME with the same DNS name already exists in zone example.com.
    Invalid request: Expected exactly one of [...] in Change with [Action=DELETE,
        Name=x.example.com., Type=A, SetIdentifier=null]

Several messages sometimes arrive as one string, ``[first, second]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dnssync.errors import InvalidNameError, ProviderError
from dnssync.model.names import DomainName
from dnssync.model.records import RecordType

from .convert import decode_name

REJECTION_CODES = frozenset({"InvalidChangeBatch", "InvalidInput"})

_CONFLICT_HINTS = (
    "already exists",
    "not found",
    "do not match",
    "conflicts with",
    "conflicting rrset",
)

_PAIR_PATTERNS = (
    re.compile(r"name='(?P<name>[^']+)', type='(?P<type>[A-Z0-9]+)'"),
    re.compile(r"Name=(?P<name>[^,\]\s]+), Type=(?P<type>[A-Z0-9]+)"),
    re.compile(r"RRSet of type (?P<type>[A-Z0-9]+) with DNS name (?P<name>\S+) is not permitted"),
    re.compile(r"resource record set (?P<name>\S+?) type (?P<type>[A-Z0-9]+)\b"),
)
_NAME_PATTERNS = (re.compile(r"RRSet with DNS name (?P<name>\S+) is not permitted"),)


class ZoneGone(ProviderError):
    """The hosted zone no longer exists (NoSuchHostedZone): the zone list must be re-read."""


class BatchRejected(Exception):
    """Route53 refused a whole change batch because of (some of) its changes."""

    def __init__(self, code: str, messages: Iterable[str]) -> None:
        self.code = code
        self.messages = tuple(m for m in messages if m) or (code,)
        super().__init__(f"{code}: " + "; ".join(self.messages))

    @property
    def conflict(self) -> bool:
        text = " ".join(self.messages).lower()
        return any(hint in text for hint in _CONFLICT_HINTS)


def split_messages(message: str) -> tuple[str, ...]:
    """``[a, b]`` (several messages in one string) -> (a, b); a plain message -> (message,)."""
    text = message.strip()
    if not text:
        return ()
    if not (text.startswith("[") and _closing(text, 0) == len(text) - 1):
        return (text,)
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text[1:-1]:
        depth += (char == "[") - (char == "]")
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return tuple(p for p in parts if p)


def _closing(text: str, start: int) -> int:
    depth = 0
    for index in range(start, len(text)):
        depth += (text[index] == "[") - (text[index] == "]")
        if depth == 0:
            return index
    return -1


@dataclass(frozen=True, slots=True)
class Named:
    """The record sets and names a rejection mentions."""

    pairs: frozenset[tuple[DomainName, RecordType | None]]

    def mentions(self, name: DomainName, rtype: RecordType) -> bool:
        return (name, rtype) in self.pairs or (name, None) in self.pairs

    def __bool__(self) -> bool:
        return bool(self.pairs)


def named_in(messages: Iterable[str]) -> Named:
    found: set[tuple[DomainName, RecordType | None]] = set()
    for message in messages:
        for pattern in _PAIR_PATTERNS:
            for match in pattern.finditer(message):
                name = _name(match.group("name"))
                rtype = _type(match.group("type"))
                if name is not None:
                    found.add((name, rtype))
        for pattern in _NAME_PATTERNS:
            for match in pattern.finditer(message):
                name = _name(match.group("name"))
                if name is not None:
                    found.add((name, None))
    return Named(frozenset(found))


def _name(raw: str) -> DomainName | None:
    try:
        return DomainName.parse(decode_name(raw.strip("'\",")))
    except InvalidNameError:
        return None


def _type(raw: str) -> RecordType | None:
    try:
        return RecordType(raw)
    except ValueError:
        return None
