"""What one object asks for, before claims from several objects are merged."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from dnssync.model.names import DomainName
from dnssync.model.records import Service
from dnssync.model.refs import ObjectRef
from dnssync.sources.objects import Protocol

IPT = TypeVar("IPT", ipaddress.IPv4Address, ipaddress.IPv6Address)
PortSet = frozenset[tuple[int, Protocol]]


@lru_cache(maxsize=4096)
def port_set(ports: frozenset[tuple[int, Protocol]]) -> PortSet:
    """One shared set per distinct port set: thousands of objects repeat a few, and each
    of their claims holds one (memory)."""
    return ports


NO_IPS: frozenset[Any] = frozenset()


def ips(found: Iterable[IPT]) -> frozenset[IPT]:
    """A set of addresses; the empty one shared (most objects have no IPv6, or no IPv4)."""
    return frozenset(found) or NO_IPS


@dataclass(frozen=True, slots=True)
class AddressClaim:
    """Address records one object wants at one name: IPs, or a CNAME to an LB hostname."""

    name: DomainName
    ref: ObjectRef
    field: str
    ttl: int
    ipv4: frozenset[ipaddress.IPv4Address]
    ipv6: frozenset[ipaddress.IPv6Address]
    hostname: DomainName | None
    ports: PortSet

    @property
    def is_cname(self) -> bool:
        return self.hostname is not None

    @property
    def addresses(self) -> frozenset[object]:
        return frozenset((*self.ipv4, *self.ipv6))


@dataclass(frozen=True, slots=True)
class SrvClaim:
    name: DomainName
    ref: ObjectRef
    field: str
    ttl: int
    data: Service
    # The address name the SRV targets when the object has IPs (None: an LB hostname).
    via_name: DomainName | None
