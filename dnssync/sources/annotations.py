"""Annotation keys and their typed parsing, with errors that name the annotation.

Our prefix is ``dnssync.io/``; for migration the ExternalDNS keys are read too (ours wins)
for ``hostname``, ``ttl``, ``target`` and ``controller``. Every value has an exact grammar
(docs/annotations.md); parsing never raises on any text, it returns a value or a problem.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from dnssync.durations import parse_duration_exact
from dnssync.errors import InvalidNameError
from dnssync.model.diagnostics import Diagnostic, for_object
from dnssync.model.names import DomainName
from dnssync.model.records import MAX_TTL
from dnssync.model.refs import ObjectRef
from dnssync.sources.addresses import parse_hostname_target, parse_ip
from dnssync.sources.objects import Address

T = TypeVar("T")

PREFIX = "dnssync.io/"
EXTERNAL_DNS_PREFIXES = ("external-dns.kubernetes.io/", "external-dns.alpha.kubernetes.io/")
RELEVANT_PREFIXES = (PREFIX, *EXTERNAL_DNS_PREFIXES)
SHARED_KEYS = ("hostname", "ttl", "target", "controller")

DEFAULT_SRV_PRIORITY = 0
DEFAULT_SRV_WEIGHT = 100
# Names one object may list in hostname or srv-domain: far above any real use, low enough
# that one object cannot make every plan slow. Beyond it: a Warning, the first ones used.
MAX_NAMES_PER_OBJECT = 1000
# IPs one target annotation may list.
MAX_TARGETS = 100
_UINT16 = re.compile(r"[0-9]{1,5}")


@dataclass(frozen=True, slots=True)
class SrvServiceMapping:
    """``srv-service``: one label for unnamed ports, or ``portname=label`` pairs."""

    default: str | None = None
    by_port_name: tuple[tuple[str, str], ...] = ()

    def label_for(self, port_name: str | None) -> str | None:
        for name, label in self.by_port_name:
            if name == port_name:
                return label
        return port_name if port_name is not None else self.default


@dataclass(frozen=True, slots=True)
class ObjectSettings:
    hostnames: tuple[DomainName, ...] = ()
    ttl: int | None = None
    targets: tuple[Address, ...] | None = None
    controller: str | None = None
    srv_domains: tuple[DomainName, ...] = ()
    srv_service: SrvServiceMapping = field(default_factory=SrvServiceMapping)
    srv_priority: int = DEFAULT_SRV_PRIORITY
    srv_weight: int = DEFAULT_SRV_WEIGHT
    # Settings (key suffixes: "ttl", "target", ...) whose annotation could not be used.
    invalid: frozenset[str] = frozenset()


# Shared: nearly every object has no unusable setting, and an empty frozenset is not a
# singleton.
_NONE_INVALID: frozenset[str] = frozenset()


@functools.cache
def annotation_field(key: str) -> str:
    # Cached: records keep the field they came from, and a few keys serve every object.
    return f"metadata.annotations[{key}]"


def lookup(annotations: Mapping[str, str], suffix: str) -> tuple[str, str] | None:
    """(key, value) for a setting, ours first, then the ExternalDNS keys."""
    prefixes = RELEVANT_PREFIXES if suffix in SHARED_KEYS else (PREFIX,)
    for prefix in prefixes:
        key = prefix + suffix
        if key in annotations:
            return key, annotations[key]
    return None


def parse_settings(
    ref: ObjectRef, pairs: tuple[tuple[str, str], ...]
) -> tuple[ObjectSettings, list[Diagnostic]]:
    """Parse every annotation we read; a bad one is reported and left at its default."""
    annotations = dict(pairs)
    problems: list[Diagnostic] = []
    invalid: set[str] = set()

    def bad(key: str, message: str) -> None:
        invalid.add(key.rpartition("/")[2])
        problems.append(for_object(ref, annotation_field(key), message, reason="InvalidAnnotation"))

    def parsed(suffix: str, parse: Callable[[str], T], default: T) -> T:
        found = lookup(annotations, suffix)
        if found is None:
            return default
        try:
            return parse(found[1])
        except ValueError as exc:
            bad(found[0], str(exc))
            return default

    def names(suffix: str) -> tuple[DomainName, ...]:
        found = lookup(annotations, suffix)
        return _names(found, bad) if found else ()

    hostnames = names("hostname")
    ttl: int | None = parsed("ttl", parse_ttl, None)
    targets: tuple[Address, ...] | None = parsed("target", parse_targets, None)
    own = _own_name(targets, hostnames)
    if own is not None:
        found = lookup(annotations, "target")
        assert found is not None
        bad(
            found[0],
            f"target {own.fqdn} is one of this object's own hostnames: that would be a CNAME "
            "to itself (and SRV records pointing at it); give the load balancer's name",
        )
        targets = None
    controller = parsed("controller", str.strip, None)
    srv_domains = names("srv-domain")
    srv_service = parsed("srv-service", parse_srv_service, SrvServiceMapping())
    priority = parsed("srv-priority", parse_uint16, DEFAULT_SRV_PRIORITY)
    weight = parsed("srv-weight", parse_uint16, DEFAULT_SRV_WEIGHT)
    settings = ObjectSettings(
        hostnames,
        ttl,
        targets,
        controller,
        srv_domains,
        srv_service,
        priority,
        weight,
        frozenset(invalid) if invalid else _NONE_INVALID,
    )
    return settings, problems


def _own_name(
    targets: tuple[Address, ...] | None, hostnames: tuple[DomainName, ...]
) -> DomainName | None:
    if not targets or targets[0].hostname is None:
        return None
    target = DomainName.parse(targets[0].hostname)
    return target if target in hostnames else None


def _names(found: tuple[str, str], bad: Callable[[str, str], None]) -> tuple[DomainName, ...]:
    key, value = found
    items = split_list(value)
    if len(items) > MAX_NAMES_PER_OBJECT:
        bad(
            key,
            f"{len(items)} names; only the first {MAX_NAMES_PER_OBJECT} are published (the "
            "records of the others are left as they are): split them over several objects",
        )
        items = items[:MAX_NAMES_PER_OBJECT]
    # A dict keeps the first spelling of each name, in order, in linear time.
    names: dict[DomainName, None] = {}
    for item in items:
        try:
            name = DomainName.parse_hostname(item)
        except InvalidNameError as exc:
            bad(key, f"invalid name {item!r}: {exc}")
            continue
        names.setdefault(name, None)
    return tuple(names)


def split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_ttl(value: str) -> int:
    """Seconds (``300``) or a Go-style duration (``5m``, ``1h30m``), 1 .. 2147483647.

    ASCII only and exact: no sign, spaces, exponent, underscores or other digits.
    """
    if not value:
        raise ValueError("empty TTL")
    try:
        seconds = parse_duration_exact(value)
    except ValueError as exc:
        raise ValueError(f"TTL {exc}") from None
    if seconds.denominator != 1:
        raise ValueError(f"TTL {value!r} is not a whole number of seconds")
    if not 1 <= seconds <= MAX_TTL:
        raise ValueError(f"TTL {value!r} is outside 1s .. {MAX_TTL}s")
    return int(seconds)


def parse_targets(value: str) -> tuple[Address, ...]:
    """Comma-separated IPs, or exactly one hostname (docs/annotations.md)."""
    items = split_list(value)
    if not items:
        raise ValueError("empty target")
    if len(items) > MAX_TARGETS:
        raise ValueError(f"{len(items)} targets; at most {MAX_TARGETS} are accepted")
    addresses: list[Address] = []
    hostnames: list[str] = []
    for item in items:
        if "%" in item or ":" in item:  # never a hostname: an IP or nothing
            addresses.append(Address(ip=parse_ip(item)))
            continue
        try:
            addresses.append(Address(ip=parse_ip(item)))
        except ValueError:
            parse_hostname_target(item)
            hostnames.append(item)
    if hostnames and (addresses or len(hostnames) > 1):
        raise ValueError("target must be IP addresses or exactly one hostname")
    if hostnames:
        return (Address(hostname=hostnames[0]),)
    return tuple(addresses)


def parse_srv_service(value: str) -> SrvServiceMapping:
    items = split_list(value)
    if not items:
        raise ValueError("empty srv-service")
    if all("=" not in item for item in items):
        if len(items) != 1:
            raise ValueError("srv-service is one label or portname=label pairs")
        return SrvServiceMapping(default=_label(items[0]))
    pairs = []
    for item in items:
        port_name, sep, label = item.partition("=")
        if not sep or not port_name.strip():
            raise ValueError(f"{item!r} is not portname=label")
        pairs.append((port_name.strip(), _label(label)))
    return SrvServiceMapping(by_port_name=tuple(pairs))


def _label(raw: str) -> str:
    # ASCII first: str.lower() maps some non-ASCII letters to ASCII (KELVIN SIGN -> k).
    label = raw.strip().removeprefix("_")
    if not label.isascii() or not re.fullmatch(
        r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", label.lower()
    ):
        raise ValueError(f"{raw!r} is not a valid SRV service label")
    return label.lower()


def parse_uint16(value: str) -> int:
    """A decimal integer 0..65535 in ASCII digits: no sign, spaces or underscores."""
    if not _UINT16.fullmatch(value):
        raise ValueError(f"{value!r} is not an integer 0..65535 in ASCII digits")
    number = int(value)
    if number > 65535:
        raise ValueError(f"{number} is outside 0..65535")
    return number
