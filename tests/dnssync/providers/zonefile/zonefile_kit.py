"""Helpers for the zone-file provider tests: zones on disk, plans, and the exact-data check.

"Foreign records unchanged" is checked on the RR data as dnspython reads it back: the set
of RRs (owner, type, TTL, wire-form rdata) of every RRset the plan did not name is the same
before and after, and the SOA differs only in its serial. Comments, layout and record order
are not data and are not kept (docs/providers/zonefile.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.zone

from dnssync.model.changes import Plan
from dnssync.model.names import DomainName
from dnssync.model.records import RecordKey, RRset
from dnssync.model.refs import ObjectRef
from dnssync.ownership.txt import TxtRegistry
from dnssync.planning.planner import PlanSettings, build_plan
from dnssync.providers.base import ApplyResult, Provider
from dnssync.providers.dnswire import rdatatype
from dnssync.rules.merge import Contribution, DesiredRecord, MergeResult

ZONE = DomainName.parse("example.com")
ORIGIN = dns.name.from_text("example.com.")
FILE = "example.com.zone"
HEAD = (
    "$ORIGIN example.com.\n"
    "$TTL 300\n"
    "@ 3600 IN SOA ns1 hostmaster ( 7 3600 600 1209600 300 )\n"
    "@ 3600 IN NS ns1\n"
    "ns1 IN A 192.0.2.53\n"
)

RRKey = tuple[dns.name.Name, int]
RRData = tuple[int, frozenset[bytes]]


def write_zone(directory: Path, body: str, *, head: str = HEAD, name: str = FILE) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes((head + body).encode("utf-8"))
    return path


def rr_data(path: Path, origin: dns.name.Name = ORIGIN) -> dict[RRKey, RRData]:
    """Every RRset of a zone file as (ttl, wire-form rdatas), read by dnspython."""
    zone = dns.zone.from_file(
        str(path),
        origin=origin,
        relativize=False,
        check_origin=False,
        allow_directives=("$ORIGIN", "$TTL"),  # never expand a hostile $GENERATE here
    )
    found: dict[RRKey, RRData] = {}
    for name, node in zone.nodes.items():
        for rdataset in node.rdatasets:
            assert rdataset.rdclass == dns.rdataclass.IN
            found[(name, rdataset.rdtype)] = (
                rdataset.ttl,
                frozenset(r.to_wire() for r in rdataset),
            )
    return found


def without_serial(data: Mapping[RRKey, RRData]) -> dict[RRKey, RRData]:
    """The RR data with the SOA serial (the one field dnssync changes) blanked."""
    out = dict(data)
    key = (ORIGIN, int(dns.rdatatype.SOA))
    if key in out:
        ttl, rdatas = out[key]
        # serial is the 4 octets after the two names; names here are uncompressed wire
        out[key] = (ttl, frozenset(_blank_serial(r) for r in rdatas))
    return out


def _blank_serial(wire: bytes) -> bytes:
    index = 0
    for _ in range(2):  # mname, rname
        while wire[index]:
            index += wire[index] + 1
        index += 1
    return wire[:index] + b"\0\0\0\0" + wire[index + 4 :]


def touched(plan: Plan) -> set[RRKey]:
    return {(dns.name.from_text(c.name.fqdn), int(rdatatype(c.rtype))) for c in plan.changes}


def assert_foreign_unchanged(
    before: Mapping[RRKey, RRData], after: Mapping[RRKey, RRData], changed: Iterable[RRKey]
) -> None:
    skip = set(changed)
    old = {k: v for k, v in without_serial(before).items() if k not in skip}
    new = {k: v for k, v in without_serial(after).items() if k not in skip}
    assert new == old


def desired(*rrsets: RRset, resource: str = "service/ns/app") -> MergeResult:
    ref = ObjectRef.parse(resource)
    assert ref is not None
    records: dict[RecordKey, DesiredRecord] = {
        r.key: DesiredRecord(r, (Contribution(ref, "metadata.annotations"),)) for r in rrsets
    }
    return MergeResult(records=records)


def plan_for(provider: Provider, wanted: MergeResult, registry: TxtRegistry | None = None) -> Plan:
    settings = PlanSettings(registry=registry or TxtRegistry("test"), force=True)
    return build_plan(wanted, provider.zones(), provider.records, settings)


def apply(provider: Provider, plan: Plan) -> list[ApplyResult]:
    return [provider.apply(z.zone, z.groups) for z in plan.zones if z.groups]


def temp_files(directory: Path) -> list[str]:
    return sorted(p for p in os.listdir(directory) if p.endswith(".tmp"))
