"""The read side of the ownership stage: which of a zone's records are ours.

Given the records a zone serves, every ownership TXT is read (:mod:`.txt`) and each record
is matched to the TXT that owns it: the typed TXT (``a-app.example.com``), or the pre-v0.12
TXT at the record's own name (never for AAAA, as in ExternalDNS). A record is ours only
when that TXT names our owner id (docs/ownership.md, "How ownership is decided"):

- a TXT with several owners is contested, so it counts as another owner's;
- a TXT that claims the ExternalDNS heritage but does not parse exactly (:class:`Untrusted`)
  is data nobody owns: what it would own is never ours and never anyone's.

The write side, the TXT changes that travel with planned record changes, is
:mod:`.changes`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Self

from dnssync.errors import OwnershipError
from dnssync.model.names import DomainName
from dnssync.model.records import MANAGED_TYPES, RData, RecordKey, RecordType, RRset, Text
from dnssync.ownership.txt import Ownership, TxtRegistry, Untrusted, parse_ownership, read_ownership


@dataclass(frozen=True, slots=True)
class ExistingOwnership:
    """The ownership TXT that owns a record, and whether it is the pre-v0.12 form."""

    ownership: Ownership
    txt: RRset
    legacy: bool


@dataclass(frozen=True, slots=True)
class Owners:
    """A zone's managed records split by owner (only at names the run manages)."""

    ours: dict[RecordKey, ExistingOwnership]
    # Not ours: another owner's (with its TXT), or nobody's (None).
    foreign: dict[RecordKey, ExistingOwnership | None]


@dataclass
class ZoneOwnership:
    """A zone's served records, indexed, with their ownership resolved."""

    zone: DomainName
    registry: TxtRegistry
    rrsets: dict[RecordKey, RRset] = field(default_factory=dict)
    ownership_txts: dict[DomainName, tuple[Ownership, RRset]] = field(default_factory=dict)
    # TXT RRsets with a value that claims the ExternalDNS heritage but cannot be trusted.
    untrusted_txts: dict[DomainName, Untrusted] = field(default_factory=dict)
    # A tuple, not a set: most names hold one type, and a zone has hundreds of thousands.
    types_at: dict[DomainName, tuple[RecordType, ...]] = field(default_factory=dict)
    # Records that exist but are not served by the zone (occluded): never read for
    # ownership, but a TXT that owns one of them is not an orphan.
    occluded: set[RecordKey] = field(default_factory=set)

    @classmethod
    def of(
        cls,
        zone: DomainName,
        registry: TxtRegistry,
        served: Iterable[RRset],
        occluded: Iterable[RecordKey] = (),
    ) -> Self:
        state = cls(zone, registry, occluded=set(occluded))
        # Every record of the zone passes here: the loop is kept lean.
        rrsets, types_at = state.rrsets, state.types_at
        for rrset in served:
            key = rrset.key
            if key not in rrsets:
                types_at[key.name] = (*types_at.get(key.name, ()), key.rtype)
            rrsets[key] = rrset
            if key.rtype is RecordType.TXT:
                state._add_txt(rrset)
        return state

    def _add_txt(self, rrset: RRset) -> None:
        claims: list[Ownership] = []
        for value in rrset.values:
            found = read_ownership(value.joined) if isinstance(value, Text) else None
            if isinstance(found, Untrusted):
                self.untrusted_txts.setdefault(rrset.name, found)
            elif found is not None:
                claims.append(found)
        if claims and rrset.name not in self.untrusted_txts:
            # Claimed by several owners: contested, so not ours.
            theirs = [c for c in claims if c.owner != self.registry.owner_id]
            self.ownership_txts[rrset.name] = ((theirs or claims)[0], rrset)

    @property
    def owner_id(self) -> str:
        return self.registry.owner_id

    def ownership_of(self, key: RecordKey) -> ExistingOwnership | None:
        """The ownership TXT that owns the record at key, whoever it names, or None."""
        if self.sharing_txt(key) is not None:
            return None  # one TXT for two records: it cannot say which it owns
        try:
            txt_name = self.registry.txt_name(key.name, key.rtype, self.zone)
        except OwnershipError:
            txt_name = None
        typed = self.ownership_txts.get(txt_name) if txt_name is not None else None
        if typed is not None:
            return ExistingOwnership(typed[0], typed[1], legacy=False)
        # Pre-v0.12 ExternalDNS: a TXT at the record's own name (never for AAAA, as there),
        # unless that TXT is the typed ownership TXT of a record in the zone.
        if key.rtype is not RecordType.AAAA and self.is_legacy_txt(key.name):
            found, txt = self.ownership_txts[key.name]
            return ExistingOwnership(found, txt, legacy=True)
        return None

    def owners(self, manages: Callable[[DomainName], bool]) -> Owners:
        """The managed records at names ``manages`` accepts, split into ours and not ours."""
        ours: dict[RecordKey, ExistingOwnership] = {}
        foreign: dict[RecordKey, ExistingOwnership | None] = {}
        for key in self.managed_keys():
            if not manages(key.name):
                continue
            found = self.ownership_of(key)
            if found is not None and found.ownership.owner == self.owner_id:
                ours[key] = found
            else:
                foreign[key] = found
        return Owners(ours, foreign)

    def sharing_txt(self, key: RecordKey) -> RecordKey | None:
        """The record in the zone whose ownership TXT name is key's too, or None.

        With --txt-wildcard-replacement X, ``*.apps`` and ``X.apps`` (same type) share it.
        """
        twin = self.registry.wildcard_twin(key.name)
        other = RecordKey(twin, key.rtype) if twin is not None else None
        return other if other is not None and other in self.rrsets else None

    def distrusted(self, key: RecordKey) -> str | None:
        """Why the ownership TXT that would own key cannot be trusted, or None."""
        other = self.sharing_txt(key)
        if other is not None:
            return (
                f"its ownership TXT name is also that of {other} (--txt-wildcard-replacement "
                f"{self.registry.wildcard_replacement!r}), so it cannot say which it owns"
            )
        try:
            names = [self.registry.txt_name(key.name, key.rtype, self.zone), key.name]
        except OwnershipError:
            names = [key.name]
        for name in names:
            found = self.untrusted_txts.get(name)
            if found is not None:
                return f"its ownership TXT {name.fqdn} cannot be trusted: {found.reason}"
        return None

    def is_legacy_txt(self, name: DomainName) -> bool:
        """An ownership TXT at name that is not the typed TXT of an existing record."""
        if name not in self.ownership_txts:
            return False
        return not any(
            RecordKey(n, t) in self.rrsets for n, t in self.registry.record_keys_for(name)
        )

    def is_ownership_txt(self, key: RecordKey) -> bool:
        return key.rtype is RecordType.TXT and key.name in self.ownership_txts

    def is_our_txt(self, name: DomainName) -> bool:
        """An ownership TXT at name that names our owner id."""
        found = self.ownership_txts.get(name)
        return found is not None and found[0].owner == self.owner_id

    def managed_keys(self) -> list[RecordKey]:
        return [k for k in self.rrsets if k.rtype in MANAGED_TYPES]

    def without_ours(self, txt: RRset) -> list[RData]:
        """The values of a TXT RRset other than our ownership values."""
        return [v for v in txt.values if not self.is_our_value(v)]

    def is_our_value(self, value: RData) -> bool:
        if not isinstance(value, Text):
            return False
        parsed = parse_ownership(value.joined)
        return parsed is not None and parsed.owner == self.owner_id
