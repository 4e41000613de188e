"""Route53 ResourceRecordSets <-> the dnssync record model.

Reading normalises what Route53 hands back: octal escapes in names (``\\052`` for the
wildcard ``*``), lower case, trailing dots, TXT strings with their quotes and escapes, SRV
data, alias targets (``dualstack.`` prefix of ELB targets dropped). Writing renders the
canonical model; alias sets get their hosted zone id filled in from the LB table.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dnssync.errors import InvalidNameError, InvalidRecordError, ProviderError
from dnssync.model.names import DomainName
from dnssync.model.records import (
    CUT_TYPES,
    Alias,
    RData,
    RecordType,
    RRset,
    Text,
    parse_rdata,
    split_character_strings,
)

from .aliases import load_balancer_zone, without_dualstack

log = logging.getLogger(__name__)

# Route53 has no TTL of its own for alias records; they are read back with the default TTL
# so that a desired alias (default TTL 300) compares equal.
ALIAS_TTL = 300

RawRRset = Mapping[str, Any]

_OCTAL = re.compile(r"\\(\d{3})")


def decode_name(raw: str) -> str:
    """Undo Route53's ``\\ddd`` octal escapes in a name (``\\052`` is ``*``)."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), raw)


def parse_txt(raw: str) -> Text:
    """One Route53 TXT value: quoted strings with ``\\"``, ``\\\\`` and octal ``\\ddd``
    (unquoted words are strings too, as in RFC 1035 presentation form)."""
    return Text(tuple(split_character_strings(raw.strip(), escape_base=8)))


def render_txt(value: Text) -> str:
    """Each character-string quoted; quote and backslash escaped, every octet outside
    printable ASCII as Route53's octal ``\\ddd``, so any data round-trips exactly."""
    return value.to_text(escape_base=8)


@dataclass(frozen=True, slots=True)
class Skipped:
    name: str
    rtype: str
    reason: str


def from_route53(raw: RawRRset) -> RRset | Skipped | None:
    """The model RRset for one listed set; None for types dnssync never manages."""
    rtype_text = str(raw.get("Type", ""))
    try:
        rtype = RecordType(rtype_text)
    except ValueError:
        return None
    raw_name = str(raw.get("Name", ""))
    # An NS set with a routing policy still cuts the zone, so it is read like any other.
    if raw.get("SetIdentifier") is not None and rtype not in CUT_TYPES:
        return Skipped(raw_name, rtype_text, "has a routing policy (SetIdentifier)")
    try:
        name = DomainName.parse(decode_name(raw_name))
        alias = raw.get("AliasTarget")
        if alias:
            if rtype not in (RecordType.A, RecordType.AAAA):
                return Skipped(raw_name, rtype_text, "is an alias of a type dnssync cannot hold")
            target = without_dualstack(DomainName.parse(str(alias["DNSName"])))
            value = Alias(
                target,
                str(alias.get("HostedZoneId") or "") or None,
                bool(alias.get("EvaluateTargetHealth", False)),
            )
            return RRset(name, rtype, ALIAS_TTL, (value,))
        values: list[RData] = []
        for record in raw.get("ResourceRecords") or ():
            text = str(record["Value"])
            values.append(parse_txt(text) if rtype is RecordType.TXT else parse_rdata(rtype, text))
        if not values:
            return Skipped(raw_name, rtype_text, "has no values")
        return RRset(name, rtype, int(raw.get("TTL", ALIAS_TTL)), tuple(values))
    except (InvalidNameError, InvalidRecordError, KeyError, ValueError) as exc:
        return Skipped(raw_name, rtype_text, f"cannot be read: {exc}")


def value_text(value: RData) -> str:
    if isinstance(value, Text):
        return render_txt(value)
    return value.to_text()


def to_route53(
    rrset: RRset, *, zone_id: str, zone: DomainName, evaluate_target_health: bool
) -> dict[str, Any]:
    """The ResourceRecordSet element for a model RRset."""
    body: dict[str, Any] = {"Name": rrset.name.fqdn, "Type": rrset.rtype.value}
    if rrset.is_alias:
        if len(rrset.values) != 1 or not isinstance(rrset.values[0], Alias):
            raise ProviderError(f"{rrset.name.fqdn} {rrset.rtype.value}: an alias has one target")
        alias = rrset.values[0]
        body["AliasTarget"] = {
            "HostedZoneId": alias_zone_id(alias, zone_id=zone_id, zone=zone),
            "DNSName": alias.target.fqdn,
            # A listed alias keeps its flag; one from the planner gets the option's value.
            "EvaluateTargetHealth": (
                alias.evaluate_target_health
                if alias.hosted_zone_id is not None
                else evaluate_target_health
            ),
        }
        return body
    body["TTL"] = rrset.ttl
    body["ResourceRecords"] = [{"Value": value_text(v)} for v in rrset.values]
    return body


def alias_zone_id(alias: Alias, *, zone_id: str, zone: DomainName) -> str:
    if alias.hosted_zone_id:
        return alias.hosted_zone_id
    found = load_balancer_zone(alias.target)
    if found:
        return found
    if alias.target.is_subdomain_of(zone):
        return bare_zone_id(zone_id)  # an alias to a record in the same hosted zone
    raise InvalidRecordError(
        f"alias target {alias.target.fqdn} is not an AWS load balancer hostname "
        "(*.<region>.elb.amazonaws.com or *.elb.<region>.amazonaws.com), so its hosted "
        "zone is unknown"
    )


def bare_zone_id(zone_id: str) -> str:
    return zone_id.rsplit("/", 1)[-1]


def same_rrset(raw: RawRRset, rrset: RRset) -> bool:
    """True when a listed set reads as exactly this model set (values, TTL, alias target)."""
    parsed = from_route53(raw)
    return isinstance(parsed, RRset) and parsed == rrset and parsed.ttl == rrset.ttl
