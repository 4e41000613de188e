"""The zone planner with ownership as its own stage plans exactly as it did before.

Random zones mix records of every type (NS and DNAME cuts included), ownership TXTs that
are ours, another owner's, contested, untrusted or shared with other data, typed and
pre-v0.12, at the names a registry with a random prefix or suffix gives; random desired
records, domain filters, kept objects and incomplete sources. Whatever the mix, the plan,
the diagnostics and the counts equal those of the planner before the refactor
(``zone_planner_before``, a frozen copy).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from dnssync.errors import OwnershipError
from dnssync.model.names import DomainName
from dnssync.model.records import RData, RecordKey, RecordType, RRset, Text, parse_rdata
from dnssync.model.refs import ObjectRef
from dnssync.ownership.txt import TxtRegistry
from dnssync.planning import zone_planner
from dnssync.rules.merge import Contribution, DesiredRecord
from tests.dnssync.planning import zone_planner_before

ZONE = DomainName.parse("example.com")
OURS, THEIRS = "ours", "theirs"
# The apex, plain names, a name that is also a typed TXT name without a prefix ("a-b" for
# b's A; "cname-a" for a's CNAME), a delegation and a DNAME with names below them, SRV.
LABELS = ("@", "a", "b", "a-b", "cname-a", "a-a", "sub", "x.sub", "d", "y.d", "_k._tcp")
RESOURCES = ("service/ns/x", "service/ns/y", "tcproute/ns/z")
REGISTRIES = (
    ("", ""),
    ("dnssync-%{record_type}.", ""),
    ("_own.", ""),
    ("", "-own"),
    ("%{record_type}-x.", ""),
)
VALUES: dict[RecordType, tuple[str, ...]] = {
    RecordType.A: ("192.0.2.1", "192.0.2.2"),
    RecordType.AAAA: ("2001:db8::1", "2001:db8::2"),
    RecordType.CNAME: ("lb1.example.net.", "a.example.com."),
    RecordType.SRV: ("0 5 88 a.example.com.", "10 5 464 lb1.example.net."),
    RecordType.NS: ("ns1.example.net.",),
    RecordType.DNAME: ("example.net.",),
    RecordType.TXT: ("v=spf1 -all",),
}
EXISTING_TYPES = tuple(VALUES)
DESIRED_TYPES = (RecordType.A, RecordType.AAAA, RecordType.CNAME, RecordType.SRV, RecordType.TXT)


def ownership_content(owner: str, resource: str) -> str:
    return f"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}"


# What an ownership-like TXT value says: ours, theirs, untrusted (padded, no owner), data.
TXT_CONTENT = st.one_of(
    st.builds(ownership_content, st.sampled_from([OURS, THEIRS]), st.sampled_from(RESOURCES)),
    st.just("heritage=external-dns, external-dns/owner=ours"),
    st.just("heritage=external-dns,external-dns/resource=service/ns/x"),
    st.just("v=spf1 -all"),
)


def name_of(label: str) -> DomainName:
    return ZONE if label == "@" else DomainName.parse(f"{label}.{ZONE.text}")


@dataclass(frozen=True)
class Case:
    registry: TxtRegistry
    existing: tuple[RRset, ...]
    desired: dict[RecordKey, DesiredRecord]
    allow_deletes: bool
    keep_resources: frozenset[str]
    unmanaged: frozenset[DomainName]

    def manages(self) -> Callable[[DomainName], bool]:
        return lambda n: n not in self.unmanaged


def rrset_of(draw: st.DrawFn, name: DomainName, rtype: RecordType) -> RRset:
    size = 1 if rtype in (RecordType.CNAME, RecordType.DNAME) else 2
    texts = draw(st.lists(st.sampled_from(VALUES[rtype]), min_size=1, max_size=size, unique=True))
    if rtype is RecordType.TXT:
        texts += draw(st.lists(TXT_CONTENT, max_size=2))
    values: list[RData] = [
        Text.of(t) if rtype is RecordType.TXT else parse_rdata(rtype, t) for t in texts
    ]
    return RRset.of(name, rtype, draw(st.sampled_from([60, 300])), values)


def ownership_txts(draw: st.DrawFn, registry: TxtRegistry, keys: list[RecordKey]) -> list[RRset]:
    """TXTs at the typed ownership names of some of the keys (and at their own names)."""
    found = []
    for key in keys:
        if not draw(st.booleans()):
            continue
        names = [key.name]
        # A name that cannot carry a typed TXT gets only the pre-v0.12 form.
        with contextlib.suppress(OwnershipError):
            names.append(registry.txt_name(key.name, key.rtype, ZONE))
        txt_name = draw(st.sampled_from(names))
        texts = draw(st.lists(TXT_CONTENT, min_size=1, max_size=3))
        found.append(RRset.of(txt_name, RecordType.TXT, 300, [Text.of(t) for t in texts]))
    return found


@st.composite
def cases(draw: st.DrawFn) -> Case:
    prefix, suffix = draw(st.sampled_from(REGISTRIES))
    registry = TxtRegistry(OURS, prefix, suffix)
    existing: list[RRset] = []
    for label in LABELS:
        for rtype in draw(st.lists(st.sampled_from(EXISTING_TYPES), max_size=3, unique=True)):
            existing.append(rrset_of(draw, name_of(label), rtype))
    existing += ownership_txts(draw, registry, [r.key for r in existing])
    # Occasionally the same RRset twice: the planner reads them in order.
    if existing and draw(st.booleans()):
        existing.append(draw(st.sampled_from(existing)))
    existing = draw(st.permutations(existing))
    desired: dict[RecordKey, DesiredRecord] = {}
    for label in draw(st.lists(st.sampled_from(LABELS), max_size=6, unique=True)):
        rtype = draw(st.sampled_from(DESIRED_TYPES))
        rrset = rrset_of(draw, name_of(label), rtype)
        refs = draw(st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2, unique=True))
        contributors = tuple(Contribution(_ref(r), "metadata.annotations") for r in refs)
        desired[rrset.key] = DesiredRecord(rrset, contributors)
    all_names = sorted({r.name for r in existing} | {k.name for k in desired})
    return Case(
        registry,
        tuple(existing),
        desired,
        allow_deletes=draw(st.booleans()),
        keep_resources=frozenset(draw(st.lists(st.sampled_from(RESOURCES), max_size=1))),
        unmanaged=frozenset(draw(st.lists(st.sampled_from(all_names), max_size=2)))
        if all_names
        else frozenset(),
    )


def _ref(text: str) -> ObjectRef:
    ref = ObjectRef.parse(text)
    assert ref is not None
    return ref


@dataclass(frozen=True)
class Outcome:
    plan: object
    diagnostics: tuple[object, ...]
    owned: int
    desired_count: int


def outcome(plan_zone: Callable[..., object], case: Case) -> Outcome | str:
    desired: Mapping[RecordKey, DesiredRecord] = case.desired
    try:
        result = plan_zone(
            ZONE,
            desired,
            case.existing,
            case.registry,
            allow_deletes=case.allow_deletes,
            keep_resources=case.keep_resources,
            manages=case.manages(),
        )
    except Exception as exc:  # both planners must fail alike, too
        return f"{type(exc).__name__}: {exc}"
    assert isinstance(result, zone_planner.ZonePlanResult | zone_planner_before.ZonePlanResult)
    return Outcome(result.plan, tuple(result.diagnostics), result.owned, result.desired_count)


@settings(max_examples=500)
@given(cases())
def test_the_planner_plans_as_before(case: Case) -> None:
    before = outcome(zone_planner_before.plan_zone, case)
    after = outcome(zone_planner.plan_zone, case)
    assert after == before
