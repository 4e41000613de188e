"""Claims of one object: address records at its names and SRV records for its ports."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dnssync.errors import InvalidNameError, InvalidRecordError
from dnssync.model.diagnostics import Diagnostic, for_object
from dnssync.model.names import DomainName
from dnssync.model.records import Service
from dnssync.model.refs import ObjectRef
from dnssync.rules.claims import AddressClaim, PortSet, SrvClaim
from dnssync.rules.claims import ips as ip_set
from dnssync.sources.addresses import parse_hostname_target
from dnssync.sources.annotations import ObjectSettings, annotation_field, lookup
from dnssync.sources.objects import Address, Port


@dataclass
class Claims:
    addresses: list[AddressClaim] = field(default_factory=list)
    srv: list[SrvClaim] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def extend(self, other: Claims) -> None:
        self.addresses.extend(other.addresses)
        self.srv.extend(other.srv)
        self.diagnostics.extend(other.diagnostics)


@dataclass(frozen=True, slots=True)
class ChosenAddresses:
    """The addresses an object publishes after the IP-versus-hostname choice."""

    ipv4: frozenset[ipaddress.IPv4Address]
    ipv6: frozenset[ipaddress.IPv6Address]
    hostname: DomainName | None

    @property
    def empty(self) -> bool:
        return not (self.ipv4 or self.ipv6 or self.hostname)


def choose_addresses(
    ref: ObjectRef, addresses: Sequence[Address], status_field: str, claims: Claims
) -> ChosenAddresses:
    """docs/rules.md: IPs win over hostnames; of several hostnames the first is used."""
    ips = [a.ip for a in addresses if a.ip is not None]
    hostnames: list[str] = []
    for address in addresses:
        if address.hostname and address.hostname not in hostnames:
            hostnames.append(address.hostname)
    if ips and hostnames:
        claims.diagnostics.append(
            for_object(
                ref,
                status_field,
                f"both IPs and a hostname ({hostnames[0]}) are reported; publishing the IPs",
                reason="MixedAddresses",
            )
        )
        hostnames = []
    target: DomainName | None = None
    if hostnames:
        if len(hostnames) > 1:
            claims.diagnostics.append(
                for_object(
                    ref,
                    status_field,
                    f"{len(hostnames)} hostnames reported; using the first, {hostnames[0]}",
                    reason="SeveralHostnames",
                )
            )
        try:
            target = parse_hostname_target(hostnames[0])
        except ValueError as exc:
            claims.diagnostics.append(
                for_object(ref, status_field, f"invalid hostname address: {exc}")
            )
    return ChosenAddresses(
        ip_set(ip for ip in ips if isinstance(ip, ipaddress.IPv4Address)),
        ip_set(ip for ip in ips if isinstance(ip, ipaddress.IPv6Address)),
        target,
    )


def address_claims(
    ref: ObjectRef,
    names: Sequence[tuple[DomainName, str]],
    chosen: ChosenAddresses,
    ports: PortSet,
    ttl: int,
) -> list[AddressClaim]:
    if chosen.empty:
        return []
    return [
        AddressClaim(name, ref, fld, ttl, chosen.ipv4, chosen.ipv6, chosen.hostname, ports)
        for name, fld in names
    ]


def srv_target_name(names: Iterable[DomainName]) -> DomainName | None:
    """The name SRV records target when the addresses are IPs: the first that is no
    wildcard (a query for ``*.apps`` itself is no host anyone runs)."""
    return next((n for n in names if not n.is_wildcard), None)


def srv_claims(
    ref: ObjectRef,
    settings: ObjectSettings,
    annotations: dict[str, str],
    ports: Sequence[Port],
    chosen: ChosenAddresses,
    first_name: DomainName | None,
    ttl: int,
    claims: Claims,
) -> None:
    """SRV per srv-domain and port, targeting the LB hostname or the object's first name."""
    if not settings.srv_domains or chosen.empty:
        return
    found = lookup(annotations, "srv-domain")
    domain_field = annotation_field(found[0]) if found else "metadata.annotations"
    if chosen.hostname is not None:
        target, via = chosen.hostname, None
    elif first_name is not None:
        target, via = first_name, first_name
    else:
        claims.diagnostics.append(
            for_object(
                ref,
                domain_field,
                "the addresses are IPs and there is no hostname to target: set the "
                "dnssync.io/hostname annotation (a name that is no wildcard) so the SRV "
                "records have a target",
                reason="NoSrvTarget",
            )
        )
        return
    for port in ports:
        label = settings.srv_service.label_for(port.name)
        if label is None:
            claims.diagnostics.append(
                for_object(
                    ref,
                    domain_field,
                    f"port {port.port}/{port.protocol.value} has no name: name it or set "
                    "dnssync.io/srv-service",
                    reason="UnnamedPort",
                )
            )
            continue
        for domain in settings.srv_domains:
            try:
                owner = DomainName.parse(f"_{label}.{port.protocol.srv_label}.{domain.text}")
                data = Service(settings.srv_priority, settings.srv_weight, port.port, target)
            except (InvalidNameError, InvalidRecordError) as exc:
                claims.diagnostics.append(
                    for_object(ref, domain_field, f"cannot build SRV for port {port.port}: {exc}")
                )
                continue
            claims.srv.append(SrvClaim(owner, ref, domain_field, ttl, data, via))
