"""ExternalDNS ``endpoint.Endpoint`` JSON, as typed values, and its mapping to RRsets.

Wire facts (ExternalDNS ``endpoint/endpoint.go``): every field is ``omitempty``, so a
missing ``recordTTL`` is 0 and means "not set"; Go decodes keys case-insensitively, so
do we; we send exactly the lower-camel keys. ``labels``, ``providerSpecific`` and
``setIdentifier`` have no place in dnssync's record model: they are kept beside it (see
:class:`Endpoint`) so records we did not create go back to the server exactly as read.

Target text per type: A/AAAA the address, CNAME (and NS, DNAME: read, written only by
tests) the name without a trailing dot (as ExternalDNS sources write it), SRV
``"prio weight port target."``, TXT the quoted
presentation form (``"heritage=..."``, quotes included, as ExternalDNS's TXT registry
sends it). Read back, a TXT target in quotes is presentation text; an unquoted one is
the string itself, with ``\\"``/``\\\\``/``\\DDD`` escapes decoded (the form Go DNS
libraries print).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dnssync.errors import InvalidNameError, InvalidRecordError
from dnssync.model.names import DomainName
from dnssync.model.records import (
    MAX_TTL,
    TXT_CHUNK,
    Alias,
    CanonicalName,
    IPv4,
    IPv6,
    NameServer,
    RData,
    RecordKey,
    RecordType,
    Redirection,
    RRset,
    Service,
    Text,
    split_character_strings,
)

KNOWN_TYPES = frozenset(t.value for t in RecordType)
ALIAS_PROPERTY = "alias"


class EndpointError(ValueError):
    """A JSON value that is not an ExternalDNS endpoint (or not one dnssync can read)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One ExternalDNS endpoint: a name, a type and its targets, plus what dnssync keeps
    but does not model (``set_identifier``, ``labels``, ``provider_specific``)."""

    dns_name: str
    record_type: str
    targets: tuple[str, ...]
    ttl: int = 0  # 0: not set
    set_identifier: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    provider_specific: tuple[tuple[str, str], ...] = ()

    @property
    def is_alias(self) -> bool:
        return any(
            name == ALIAS_PROPERTY and value.lower() == "true"
            for name, value in self.provider_specific
        )

    def to_json(self) -> dict[str, Any]:
        """The Go JSON: lower-camel keys, empty fields left out."""
        body: dict[str, Any] = {"dnsName": self.dns_name}
        if self.targets:
            body["targets"] = list(self.targets)
        body["recordType"] = self.record_type
        if self.set_identifier:
            body["setIdentifier"] = self.set_identifier
        if self.ttl:
            body["recordTTL"] = self.ttl
        if self.labels:
            body["labels"] = dict(self.labels)
        if self.provider_specific:
            body["providerSpecific"] = [{"name": n, "value": v} for n, v in self.provider_specific]
        return body

    def encoded(self) -> bytes:
        return json.dumps(self.to_json(), separators=(",", ":"), ensure_ascii=False).encode()

    def describe(self) -> str:
        ident = f" (setIdentifier {self.set_identifier!r})" if self.set_identifier else ""
        return f"{self.dns_name} {self.record_type}{ident}"

    @classmethod
    def from_json(cls, raw: object) -> Endpoint:
        if not isinstance(raw, dict):
            raise EndpointError(f"an endpoint must be a JSON object, not {_kind(raw)}")
        fields = {str(k).lower(): v for k, v in raw.items()}
        name = fields.get("dnsname")
        if not isinstance(name, str) or not name:
            raise EndpointError(f"endpoint without a dnsName: {_short(raw)}")
        rtype = fields.get("recordtype")
        if not isinstance(rtype, str) or not rtype:
            raise EndpointError(f"endpoint {name} has no recordType")
        targets = fields.get("targets") or []
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise EndpointError(f"endpoint {name} {rtype}: targets must be a list of strings")
        ttl = fields.get("recordttl") or 0
        if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 <= ttl <= MAX_TTL:
            raise EndpointError(f"endpoint {name} {rtype}: recordTTL {ttl!r} is not 0..{MAX_TTL}")
        ident = fields.get("setidentifier") or ""
        if not isinstance(ident, str):
            raise EndpointError(f"endpoint {name} {rtype}: setIdentifier must be a string")
        return cls(
            name,
            rtype.upper(),
            tuple(targets),
            ttl,
            ident,
            _labels(fields.get("labels"), name),
            _provider_specific(fields.get("providerspecific"), name),
        )


def _labels(raw: object, name: str) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise EndpointError(f"endpoint {name}: labels must be an object of strings")
    return tuple(sorted((str(k), v) for k, v in raw.items()))


def _provider_specific(raw: object, name: str) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise EndpointError(f"endpoint {name}: providerSpecific must be a list")
    found = []
    for item in raw:
        if not isinstance(item, dict):
            raise EndpointError(f"endpoint {name}: providerSpecific entries must be objects")
        lowered = {str(k).lower(): v for k, v in item.items()}
        prop, value = lowered.get("name", ""), lowered.get("value", "")
        if not isinstance(prop, str) or not isinstance(value, str):
            raise EndpointError(f"endpoint {name}: providerSpecific name and value are strings")
        found.append((prop, value))
    return tuple(found)


def parse_endpoints(body: object, what: str) -> list[Endpoint]:
    """A JSON list of endpoints (``null`` is an empty list, as Go encodes a nil slice)."""
    if body is None:
        return []
    if not isinstance(body, list):
        raise EndpointError(f"{what} must be a JSON list of endpoints, not {_kind(body)}")
    return [Endpoint.from_json(item) for item in body]


# --------------------------------------------------------------------------- mapping


def endpoint_name(name: DomainName) -> str:
    return name.text


def target_text(value: RData) -> str:
    if isinstance(value, CanonicalName | NameServer | Redirection):
        return value.target.text
    if isinstance(value, Alias):
        raise InvalidRecordError(
            "the webhook provider cannot write alias records (ExternalDNS webhooks have none)"
        )
    return value.to_text()


def to_endpoint(rrset: RRset, kept: Endpoint | None = None) -> Endpoint:
    """The endpoint for an RRset; ``kept`` (the server's endpoint for this key) lends its
    set identifier, labels and provider-specific properties, so an update keeps them."""
    targets = tuple(target_text(v) for v in rrset.values)
    extras: Mapping[str, Any] = {}
    if kept is not None:
        extras = {
            "set_identifier": kept.set_identifier,
            "labels": kept.labels,
            "provider_specific": kept.provider_specific,
        }
    return Endpoint(endpoint_name(rrset.name), rrset.rtype.value, targets, rrset.ttl, **extras)


def to_rrset(endpoint: Endpoint) -> RRset | None:
    """The RRset an endpoint holds; None for types dnssync does not read (MX, PTR, ...).

    Raises EndpointError when the name or a target cannot be read.
    """
    if endpoint.record_type not in KNOWN_TYPES:
        return None
    rtype = RecordType(endpoint.record_type)
    try:
        name = DomainName.parse(endpoint.dns_name)
    except InvalidNameError as exc:
        raise EndpointError(f"endpoint {endpoint.describe()}: {exc}") from None
    if not endpoint.targets:
        raise EndpointError(f"endpoint {endpoint.describe()} has no targets")
    try:
        values = [_rdata(rtype, t, endpoint.is_alias) for t in endpoint.targets]
        return RRset.of(name, rtype, endpoint.ttl, values)
    except (InvalidRecordError, InvalidNameError) as exc:
        raise EndpointError(f"endpoint {endpoint.describe()}: {exc}") from None


def _rdata(rtype: RecordType, target: str, alias: bool) -> RData:
    if alias and rtype in (RecordType.A, RecordType.AAAA):
        return Alias(DomainName.parse(target))
    if rtype is RecordType.A:
        return IPv4.parse(target)
    if rtype is RecordType.AAAA:
        return IPv6.parse(target)
    if rtype is RecordType.CNAME:
        return CanonicalName.parse(target)
    if rtype is RecordType.SRV:
        return Service.parse(target)
    if rtype is RecordType.NS:
        return NameServer.parse(target)
    if rtype is RecordType.DNAME:
        return Redirection.parse(target)
    return parse_txt_target(target)


def parse_txt_target(target: str) -> Text:
    """TXT data from a target: quoted presentation text (one or more strings), or one
    unquoted string. A string longer than a character-string (255 octets: a webhook that
    joins a record's strings) is cut into 255-octet strings, as dnssync writes its own."""
    stripped = target.strip()
    if stripped.startswith('"') and stripped.endswith('"') and len(stripped) >= 2:
        inner = stripped[1:-1]
        if '"' not in inner and "\\" not in inner:  # one plain string: the common case
            return Text.of(inner)
        strings = split_character_strings(stripped, bare_words=False)
    else:
        strings = [_unescape(target)]
    return Text(tuple(chunk for string in strings for chunk in _chunks(string)))


def _chunks(string: bytes) -> list[bytes]:
    if len(string) <= TXT_CHUNK:
        return [string]
    return [string[i : i + TXT_CHUNK] for i in range(0, len(string), TXT_CHUNK)]


def _unescape(text: str) -> bytes:
    """One string in a Go DNS library's print form: ``\\X`` is X, ``\\DDD`` the octet DDD
    (decimal); everything else, spaces included, is kept (as its UTF-8 octets)."""
    out = bytearray()
    index, end = 0, len(text)
    while index < end:
        char = text[index]
        if char == "\\" and index + 1 < end:
            digits = text[index + 1 : index + 4]
            if len(digits) == 3 and digits.isdigit() and int(digits) <= 255:
                out.append(int(digits))
                index += 4
                continue
            out += text[index + 1].encode("utf-8")
            index += 2
            continue
        out += char.encode("utf-8")
        index += 1
    return bytes(out)


def key_of(endpoint: Endpoint) -> RecordKey | None:
    if endpoint.record_type not in KNOWN_TYPES:
        return None
    try:
        return RecordKey(DomainName.parse(endpoint.dns_name), RecordType(endpoint.record_type))
    except InvalidNameError:
        return None


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "a string" if isinstance(value, str) else type(value).__name__


def _short(value: object, limit: int = 120) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
