"""Record types, record data and RRsets as immutable typed values.

Each record-data class parses and validates in one place and renders canonical
presentation text, so two values compare equal exactly when DNS would treat them as the
same data (IPv6 compressed, names lower-case, TXT exact: its character-strings byte for
byte). NS and DNAME data is read only, so the planner knows where the zone is cut.
"""

from __future__ import annotations

import enum
import ipaddress
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Union

from dnssync.errors import InvalidRecordError
from dnssync.model.names import DomainName

MAX_TTL = 2147483647
TXT_CHUNK = 255


class RecordType(enum.StrEnum):
    """A record type; a str subclass, so sorting and hashing run at C speed."""

    A = "A"
    AAAA = "AAAA"
    CNAME = "CNAME"
    SRV = "SRV"
    TXT = "TXT"
    NS = "NS"
    DNAME = "DNAME"

    @classmethod
    def parse(cls, raw: str) -> RecordType:
        try:
            return cls(raw.upper())
        except ValueError:
            raise InvalidRecordError(f"unsupported record type {raw!r}") from None


# Record types dnssync computes and owns; TXT appears only as ownership metadata.
MANAGED_TYPES: tuple[RecordType, ...] = (
    RecordType.A,
    RecordType.AAAA,
    RecordType.CNAME,
    RecordType.SRV,
)

# Types providers list but dnssync never writes: an NS below the apex (a delegation) and a
# DNAME cut the zone, so names at or below them are occluded (RFC 1034 4.2.1, RFC 6672).
CUT_TYPES: tuple[RecordType, ...] = (RecordType.NS, RecordType.DNAME)


@dataclass(frozen=True, slots=True, order=True)
class IPv4:
    address: ipaddress.IPv4Address

    rtype: ClassVar[RecordType] = RecordType.A

    @classmethod
    def parse(cls, raw: str) -> IPv4:
        try:
            return cls(ipaddress.IPv4Address(raw.strip()))
        except ValueError:
            raise InvalidRecordError(f"{raw!r} is not an IPv4 address") from None

    def to_text(self) -> str:
        return str(self.address)


@dataclass(frozen=True, slots=True, order=True)
class IPv6:
    address: ipaddress.IPv6Address

    rtype: ClassVar[RecordType] = RecordType.AAAA

    def __post_init__(self) -> None:
        # A zone (scope) id (fe80::1%eth0) only means something on one host; no AAAA
        # record can hold it, and providers fail on it.
        if self.address.scope_id is not None:
            raise InvalidRecordError(
                f"{self.address} has an IPv6 zone id, which an AAAA record cannot carry"
            )

    @classmethod
    def parse(cls, raw: str) -> IPv6:
        try:
            address = ipaddress.IPv6Address(raw.strip())
        except ValueError:
            raise InvalidRecordError(f"{raw!r} is not an IPv6 address") from None
        return cls(address)

    def to_text(self) -> str:
        return self.address.compressed


@dataclass(frozen=True, slots=True, order=True)
class Alias:
    """A provider alias (Route53 ALIAS) standing in for A/AAAA data at a zone apex.

    ``hosted_zone_id`` is the target's canonical hosted zone (an AWS LB's), filled in by
    the provider when it is not known from the source. Only the target takes part in
    equality: the zone id and health flag are provider details, and comparing them would
    make desired (from a source) and listed (from the provider) differ forever.
    """

    target: DomainName
    hosted_zone_id: str | None = field(default=None, compare=False)
    evaluate_target_health: bool = field(default=False, compare=False)

    def to_text(self) -> str:
        return f"ALIAS {self.target.fqdn}"


@dataclass(frozen=True, slots=True, order=True)
class CanonicalName:
    target: DomainName

    rtype: ClassVar[RecordType] = RecordType.CNAME

    @classmethod
    def parse(cls, raw: str) -> CanonicalName:
        return cls(DomainName.parse(raw))

    def to_text(self) -> str:
        return self.target.fqdn


def _uint16(value: int, what: str) -> int:
    if not 0 <= value <= 65535:
        raise InvalidRecordError(f"SRV {what} {value} is outside 0..65535")
    return value


@dataclass(frozen=True, slots=True, order=True)
class Service:
    """SRV record data (RFC 2782)."""

    priority: int
    weight: int
    port: int
    target: DomainName

    rtype: ClassVar[RecordType] = RecordType.SRV

    def __post_init__(self) -> None:
        _uint16(self.priority, "priority")
        _uint16(self.weight, "weight")
        _uint16(self.port, "port")

    @classmethod
    def parse(cls, raw: str) -> Service:
        parts = raw.split()
        if len(parts) != 4:
            raise InvalidRecordError(f"SRV data {raw!r} is not 'priority weight port target'")
        try:
            priority, weight, port = (int(p) for p in parts[:3])
        except ValueError:
            raise InvalidRecordError(f"SRV data {raw!r} has a non-integer field") from None
        return cls(priority, weight, port, DomainName.parse(parts[3]))

    def to_text(self) -> str:
        return f"{self.priority} {self.weight} {self.port} {self.target.fqdn}"


@dataclass(frozen=True, slots=True, order=True)
class Text:
    """TXT data exactly: its character-strings (RFC 1035 3.3.14), each 0..255 arbitrary
    octets. Equality is exact, so foreign TXT data is never rewritten by a round trip;
    :meth:`of` builds our own single-string content."""

    strings: tuple[bytes, ...]

    rtype: ClassVar[RecordType] = RecordType.TXT

    def __post_init__(self) -> None:
        if not isinstance(self.strings, tuple) or not self.strings:
            raise InvalidRecordError("TXT data needs at least one character-string")
        for string in self.strings:
            if not isinstance(string, bytes):
                raise InvalidRecordError(f"TXT character-string {string!r} is not bytes")
            if len(string) > TXT_CHUNK:
                raise InvalidRecordError(
                    f"TXT character-string of {len(string)} octets (at most {TXT_CHUNK})"
                )

    @classmethod
    def of(cls, text: str) -> Text:
        """Our own content (ownership TXT): one logical string, UTF-8, in 255-octet strings."""
        data = text.encode("utf-8")
        if not data:
            return cls((b"",))
        return cls(tuple(data[i : i + TXT_CHUNK] for i in range(0, len(data), TXT_CHUNK)))

    @classmethod
    def parse(cls, raw: str, *, escape_base: int = 10) -> Text:
        """Parse presentation text: quoted strings (RFC 1035 5.1), or one bare word taken
        whole. ``\\DDD`` escapes are decimal as in RFC 1035; Route53 writes them in octal
        (``escape_base=8``)."""
        raw = raw.strip()
        if not raw.startswith('"'):
            return cls.of(raw)
        strings = split_character_strings(raw, escape_base=escape_base, bare_words=False)
        return cls(tuple(strings))

    @property
    def joined(self) -> str:
        """The strings joined, as text (for the ownership parser). Bytes that are not
        UTF-8 become lone surrogates, so they never compare equal to any real text."""
        return b"".join(self.strings).decode("utf-8", "surrogateescape")

    def to_text(self, *, escape_base: int = 10) -> str:
        """Presentation form (RFC 1035 5.1): each string quoted; ``"`` and ``\\`` escaped,
        octets outside printable ASCII as ``\\DDD`` (decimal; octal for Route53)."""
        return " ".join(_quoted(s, escape_base) for s in self.strings)


_PRINTABLE = frozenset(range(0x20, 0x7F))


def _quoted(string: bytes, escape_base: int) -> str:
    out = ['"']
    for octet in string:
        if octet in (0x22, 0x5C):  # " and \
            out.append("\\" + chr(octet))
        elif octet in _PRINTABLE:
            out.append(chr(octet))
        elif escape_base == 8:
            out.append(f"\\{octet:03o}")
        else:
            out.append(f"\\{octet:03d}")
    out.append('"')
    return "".join(out)


def split_character_strings(
    raw: str, *, escape_base: int = 10, bare_words: bool = True
) -> list[bytes]:
    """The strings of TXT presentation text (RFC 1035 5.1): quoted strings with ``\\X`` and
    ``\\DDD`` escapes, and (with ``bare_words``) unquoted words; whitespace outside quotes
    separates strings. Characters outside ASCII count as their UTF-8 octets."""
    digits_allowed = "01234567" if escape_base == 8 else "0123456789"
    strings: list[bytes] = []
    index, end = 0, len(raw)
    while index < end:
        if raw[index].isspace():
            index += 1
            continue
        quoted = raw[index] == '"'
        if quoted:
            index += 1
        elif not bare_words:
            raise InvalidRecordError(f"TXT data {raw!r} is not a list of quoted strings")
        string = bytearray()
        while index < end:
            char = raw[index]
            if quoted and char == '"':
                index += 1
                break
            if not quoted and char.isspace():
                break
            if char == "\\" and index + 1 < end:
                digits = raw[index + 1 : index + 4]
                if len(digits) == 3 and all(d in digits_allowed for d in digits):
                    code = int(digits, escape_base)
                    if code > 255:
                        raise InvalidRecordError(f"TXT data {raw!r} has a bad escape \\{digits}")
                    string.append(code)
                    index += 4
                    continue
                string += raw[index + 1].encode("utf-8", "surrogateescape")
                index += 2
                continue
            string += char.encode("utf-8", "surrogateescape")
            index += 1
        else:
            if quoted:
                raise InvalidRecordError(f"TXT data {raw!r} has an unterminated string")
        if len(string) > TXT_CHUNK:
            raise InvalidRecordError(
                f"TXT data {raw!r} has a string of {len(string)} octets (at most {TXT_CHUNK})"
            )
        strings.append(bytes(string))
    return strings or [b""]


@dataclass(frozen=True, slots=True, order=True)
class NameServer:
    """NS data; read only: dnssync never writes NS, it only avoids names under a delegation."""

    target: DomainName

    rtype: ClassVar[RecordType] = RecordType.NS

    @classmethod
    def parse(cls, raw: str) -> NameServer:
        return cls(DomainName.parse(raw))

    def to_text(self) -> str:
        return self.target.fqdn


@dataclass(frozen=True, slots=True, order=True)
class Redirection:
    """DNAME data (RFC 6672); read only: names strictly below its owner are occluded."""

    target: DomainName

    rtype: ClassVar[RecordType] = RecordType.DNAME

    @classmethod
    def parse(cls, raw: str) -> Redirection:
        return cls(DomainName.parse(raw))

    def to_text(self) -> str:
        return self.target.fqdn


RData = Union[IPv4, IPv6, Alias, CanonicalName, Service, Text, NameServer, Redirection]

_PARSERS: dict[
    RecordType,
    type[IPv4]
    | type[IPv6]
    | type[CanonicalName]
    | type[Service]
    | type[Text]
    | type[NameServer]
    | type[Redirection],
]
_PARSERS = {
    RecordType.A: IPv4,
    RecordType.AAAA: IPv6,
    RecordType.CNAME: CanonicalName,
    RecordType.SRV: Service,
    RecordType.TXT: Text,
    RecordType.NS: NameServer,
    RecordType.DNAME: Redirection,
}


def parse_rdata(rtype: RecordType, raw: str) -> RData:
    """Parse presentation text of one record of the given type."""
    return _PARSERS[rtype].parse(raw)


def _check_type(rtype: RecordType, value: RData) -> None:
    if isinstance(value, Alias):
        if rtype not in (RecordType.A, RecordType.AAAA):
            raise InvalidRecordError(f"an alias can only stand for A or AAAA, not {rtype.value}")
        return
    if value.rtype is not rtype:
        raise InvalidRecordError(
            f"{value.rtype.value} data {value.to_text()!r} in a {rtype.value} set"
        )


def _ttl(ttl: int) -> int:
    if not 0 <= ttl <= MAX_TTL:
        raise InvalidRecordError(f"TTL {ttl} is outside 0..{MAX_TTL}")
    return ttl


@dataclass(frozen=True, slots=True)
class RecordKey:
    name: DomainName
    rtype: RecordType

    # Hot in every plan: hash the name's text alone (a str caches its hash; an enum's is
    # computed in Python), compare text and type directly (see DomainName). The few
    # types at one name share a hash, which equality tells apart.
    def __hash__(self) -> int:
        return hash(self.name.text)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecordKey):
            return self.name.text == other.name.text and self.rtype is other.rtype
        return NotImplemented

    def __lt__(self, other: RecordKey) -> bool:
        return (self.name.text, self.rtype) < (other.name.text, other.rtype)

    @property
    def order(self) -> tuple[str, str]:
        """A sort key compared at C speed (for many keys, :data:`KEY_ORDER` builds it at C
        speed too)."""
        return (self.name.text, self.rtype)

    def __str__(self) -> str:
        return f"{self.name.fqdn} {self.rtype.value}"


# ``RecordKey.order`` built in C: ``sorted(keys, key=KEY_ORDER)``.
KEY_ORDER = operator.attrgetter("name.text", "rtype")


@dataclass(frozen=True, slots=True)
class RRset:
    """All records of one name and type. Values are deduplicated and sorted."""

    name: DomainName
    rtype: RecordType
    ttl: int
    values: tuple[RData, ...]
    key: RecordKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", RecordKey(self.name, self.rtype))
        _ttl(self.ttl)
        if not self.values:
            raise InvalidRecordError(f"{self.name.fqdn} {self.rtype.value}: an RRset needs data")
        for value in self.values:
            _check_type(self.rtype, value)
        if len(self.values) > 1:  # one value (the common case) is already canonical
            canonical = tuple(sorted(set(self.values), key=_sort_key))
            if canonical != self.values:
                object.__setattr__(self, "values", canonical)
        if self.rtype is RecordType.CNAME and len(self.values) != 1:
            raise InvalidRecordError(f"{self.name.fqdn} CNAME must have exactly one target")

    @classmethod
    def of(cls, name: DomainName, rtype: RecordType, ttl: int, values: Iterable[RData]) -> RRset:
        return cls(name, rtype, ttl, tuple(values))

    @property
    def is_alias(self) -> bool:
        return any(isinstance(v, Alias) for v in self.values)

    def value_texts(self) -> list[str]:
        return [v.to_text() for v in self.values]

    def with_values(self, values: Iterable[RData]) -> RRset:
        return RRset(self.name, self.rtype, self.ttl, tuple(values))

    def with_ttl(self, ttl: int) -> RRset:
        return RRset(self.name, self.rtype, ttl, self.values)

    def same_data(self, other: RRset) -> bool:
        # Alias records have no TTL of their own (Route53 answers with the target's).
        return self.values == other.values and (self.ttl == other.ttl or self.is_alias)

    def __str__(self) -> str:
        return f"{self.name.fqdn} {self.ttl} {self.rtype.value} " + ", ".join(self.value_texts())


def _sort_key(value: RData) -> tuple[str, str]:
    # Mixed classes never share an RRset except through bugs; sort on text for stability.
    return (type(value).__name__, value.to_text())
