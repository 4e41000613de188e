"""The one place where DNS names are normalised.

A :class:`DomainName` is always absolute, lower-case, IDNA-encoded (A-labels) and stored
without the trailing dot; :attr:`DomainName.fqdn` adds the dot for output. Comparing two
names therefore never produces "trailing dot" or case churn in a diff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import dns.exception
import dns.name

from dnssync.errors import InvalidNameError

MAX_LABEL_OCTETS = 63
MAX_NAME_OCTETS = 253

# Underscore is legal in owner names (SRV `_kerberos._udp`) and in many real zones. A `*`
# label leftmost is the DNS wildcard; anywhere else `*` is an ordinary octet (RFC 4592
# 2.1.1) that ownership TXT names of wildcards carry (`a-*.apps.example.com`, as
# ExternalDNS writes them). Host names from users allow only the wildcard form:
# see :meth:`DomainName.parse_hostname`.
_LABEL = re.compile(r"^[a-z0-9_*]([a-z0-9_*-]*[a-z0-9_*])?$")


@dataclass(frozen=True, slots=True, order=True)
class DomainName:
    """An absolute DNS name in canonical form (see module docstring)."""

    text: str

    # Names are hashed and compared millions of times per plan; doing it on the text
    # directly is several times faster than the dataclass-generated tuple versions.
    def __hash__(self) -> int:
        return hash(self.text)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DomainName):
            return self.text == other.text
        return NotImplemented

    def __post_init__(self) -> None:
        # Only trust already-canonical text; everything else goes through `parse`.
        if self.text != _canonical(self.text):
            raise InvalidNameError(f"name {self.text!r} is not canonical; use DomainName.parse")

    @classmethod
    def parse(cls, raw: str) -> DomainName:
        """Parse user or provider text: any case, optional trailing dot, Unicode allowed."""
        return _parse(raw)

    @classmethod
    def parse_hostname(cls, raw: str) -> DomainName:
        """A host name from a user: as :meth:`parse`, and a ``*`` only as the whole
        leftmost label (a wildcard, RFC 4592); ``a*.example.com`` or ``a.*.example.com``
        is refused. Names read from a zone may hold a literal ``*``: they use parse."""
        name = _parse(raw)
        if name.has_literal_star:
            raise InvalidNameError(
                f"{raw.strip()!r} has a '*' that is not a wildcard: '*' is only allowed as "
                "the whole first label (*.apps.example.com)"
            )
        return name

    @property
    def fqdn(self) -> str:
        """The name with its trailing dot, as written in zone files and JSON plans."""
        return self.text + "."

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.text.split("."))

    @property
    def first_label(self) -> str:
        return self.text.split(".", 1)[0]

    @property
    def parent(self) -> DomainName | None:
        _, sep, rest = self.text.partition(".")
        return DomainName(rest) if sep and rest else None

    @property
    def is_wildcard(self) -> bool:
        return self.text.startswith("*.")

    @property
    def has_literal_star(self) -> bool:
        """A ``*`` that is not the wildcard label: data, never a host name (RFC 4592)."""
        if "*" not in self.text:
            return False
        rest = self.text[2:] if self.is_wildcard else self.text
        return "*" in rest or self.text == "*"

    def is_subdomain_of(self, other: DomainName) -> bool:
        """True when self equals other or lies below it."""
        return self.text == other.text or self.text.endswith("." + other.text)

    def relative_to(self, origin: DomainName) -> str:
        """The name relative to origin (``@`` for the origin itself)."""
        if self.text == origin.text:
            return "@"
        if not self.is_subdomain_of(origin):
            raise InvalidNameError(f"{self.fqdn} is not inside {origin.fqdn}")
        return self.text[: -len(origin.text) - 1]

    def prepend(self, label: str) -> DomainName:
        return DomainName.parse(f"{label}.{self.text}")

    def __str__(self) -> str:
        return self.fqdn


@lru_cache(maxsize=262144)
def _parse(raw: str) -> DomainName:
    # Names are immutable, so one instance per spelling can be shared; zones repeat the
    # same names on every reconcile.
    name = object.__new__(DomainName)
    text = _canonical(raw)
    # The cache keeps `raw` as its key: an already canonical spelling is stored once.
    object.__setattr__(name, "text", raw if text == raw else text)
    return name


_LABEL_TEXT = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_VALID_NAME = re.compile(rf"^(?:\*\.)?(?:{_LABEL_TEXT}\.)*{_LABEL_TEXT}$")


def _canonical(raw: str) -> str:
    text = raw.strip().lower()
    if text.endswith("."):
        text = text[:-1]
    # Fast path: one regex for the whole (already ASCII, lower-case) name.
    if len(text) <= MAX_NAME_OCTETS and _VALID_NAME.match(text):
        return text
    if not text:
        raise InvalidNameError("empty DNS name")
    if not text.isascii():
        text = _idna_encode(text)
    text = text.lower()
    if len(text) > MAX_NAME_OCTETS:
        raise InvalidNameError(f"name {raw!r} is longer than {MAX_NAME_OCTETS} octets")
    labels = text.split(".")
    for label in labels:
        if not label:
            raise InvalidNameError(f"name {raw!r} has an empty label")
        if len(label) > MAX_LABEL_OCTETS:
            raise InvalidNameError(
                f"label {label!r} of {raw!r} is longer than {MAX_LABEL_OCTETS} octets"
            )
        if not _LABEL.match(label):
            raise InvalidNameError(f"label {label!r} of {raw!r} has characters not allowed")
    return text


def _idna_encode(text: str) -> str:
    try:
        return dns.name.from_unicode(text).to_text(omit_final_dot=True)
    except (dns.exception.DNSException, UnicodeError) as exc:
        raise InvalidNameError(f"name {text!r} is not valid IDNA: {exc}") from exc


def find_zone(name: DomainName, zones: tuple[DomainName, ...]) -> DomainName | None:
    """The most specific zone that contains name, or None."""
    best: DomainName | None = None
    for zone in zones:
        if name.is_subdomain_of(zone) and (best is None or len(zone.text) > len(best.text)):
            best = zone
    return best
