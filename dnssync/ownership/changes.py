"""The write side of the ownership stage: the TXT changes that travel with record changes.

The planner decides which records to create, update and delete; for each it asks
:class:`OwnershipChanges` for the ownership TXT changes that go in the same change group
(docs/ownership.md, "How ownership is decided"):

- a create or update writes our typed TXT (``OWNERSHIP_TTL``), or adds our value to it;
  a TXT there that is not ours is never touched;
- a delete removes the record's typed TXT, and our pre-v0.12 TXT once the last record it
  owns is gone (other TXT data at the name stays: only our value is taken out);
- a CNAME created over our pre-v0.12 TXT replaces it with the typed one;
- our typed TXTs whose record is gone (deleted by hand) are orphans, cleaned up.

It also says why a create must not happen (:meth:`OwnershipChanges.create_blocker`):
the name, or the record's ownership TXT name, holds data that is not ours.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping, Set

from dnssync.errors import OwnershipError
from dnssync.model.changes import Action, Change, ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import MANAGED_TYPES, RecordKey, RecordType, RRset
from dnssync.ownership.registry import ExistingOwnership, ZoneOwnership

# Ownership TXT records get a fixed TTL so a record's TTL change never churns its TXT.
OWNERSHIP_TTL = 300


class OwnershipChanges:
    """The TXT side of one zone's plan.

    ``ours`` are the records we own (:meth:`ZoneOwnership.owners`), ``deleted`` those of
    them the plan deletes, ``desired`` the keys of every record the plan wants. The
    planner asks in key order; which TXT names are already spoken for carries over from
    one record to the next, and decides what :meth:`orphans` cleans up at the end.
    """

    def __init__(
        self,
        zone: ZoneOwnership,
        ours: Mapping[RecordKey, ExistingOwnership],
        deleted: Set[RecordKey],
        desired: Iterable[RecordKey],
    ) -> None:
        self.zone = zone
        self.ours = ours
        self.deleted = deleted
        self._desired = set(desired)
        # TXT names that stay or are dealt with by a record's own changes.
        self._used: set[DomainName] = set()
        # Typed ownership TXTs that go with the records deleted in this plan.
        self._deleted_txts = {ours[k].txt.name for k in deleted if not ours[k].legacy}
        # A pre-v0.12 TXT stays while a record it owns stays.
        self._used.update(o.txt.name for k, o in ours.items() if o.legacy and k not in deleted)
        # Ownership TXT names the desired records need (a name may be both a record's and,
        # without a prefix, the typed TXT of another: "a-b" for b's A record).
        self._wanted = _txt_names(zone, self._desired)

    # -- asked for every record the plan wants --------------------------------------------

    def txt_name(self, key: RecordKey, resource: str) -> DomainName:
        """The ownership TXT name of key; OwnershipError when it cannot be named, or the
        resource cannot be recorded in it."""
        name = self.zone.registry.txt_name(key.name, key.rtype, self.zone.zone)
        self.zone.registry.content(resource)
        return name

    def shared_txt_name(self, key: RecordKey, txt_name: DomainName) -> str | None:
        """Why key cannot be written: a wildcard and the name its replacement spells (same
        type) would share one ownership TXT (docs/ownership.md, "Wildcards")."""
        registry = self.zone.registry
        twin = registry.wildcard_twin(key.name)
        if twin is None:
            return None
        other = RecordKey(twin, key.rtype)
        if other not in self._desired and other not in self.zone.rrsets:
            return None
        return (
            f"{key} is not written: its ownership TXT {txt_name.fqdn} would also be that of "
            f"{other} (--txt-wildcard-replacement {registry.wildcard_replacement!r}); choose a "
            "replacement that no published name uses"
        )

    def claim(self, txt_name: DomainName) -> None:
        """A wanted record's TXT name: it is no orphan."""
        self._used.add(txt_name)

    # -- creates ---------------------------------------------------------------------------

    def create_blocker(self, key: RecordKey, txt_name: DomainName) -> str | None:
        """Why a create at key must not happen, or None."""
        if key.rtype is RecordType.CNAME and key.name in self._wanted:
            return f"cannot create CNAME {key.name.fqdn}: the name holds an ownership TXT"
        staying = self._staying_beside(key)
        if key.rtype is RecordType.CNAME:
            problem = self._cname_blocker(key, staying)
        else:
            problem = self._cname_at_name(key, staying)
        return problem or self._txt_name_blocker(key, txt_name)

    def for_create(self, key: RecordKey, txt_name: DomainName, resource: str) -> list[Change]:
        """The TXT changes that go with creating the record at key."""
        changes = self._write_txt(txt_name, resource)
        beside = self.zone.rrsets.get(RecordKey(key.name, RecordType.TXT))
        if (
            key.rtype is RecordType.CNAME
            and beside is not None
            and key.name not in self._used
            and key.name not in self._deleted_txts
        ):
            # Our pre-v0.12 TXT cannot stay beside a CNAME; the typed one replaces it.
            changes.append(Change(Action.DELETE, self.zone.zone, None, beside, resource))
            self._used.add(key.name)
        return changes

    def _staying_beside(self, key: RecordKey) -> set[RecordKey]:
        """The other records at key's name that stay (not deleted, not ownership TXTs)."""
        others = (RecordKey(key.name, t) for t in self.zone.types_at.get(key.name, ()))
        return {
            k
            for k in others
            if k.rtype is not key.rtype
            and k not in self.deleted
            and not self.zone.is_ownership_txt(k)
        }

    def _cname_blocker(self, key: RecordKey, staying: set[RecordKey]) -> str | None:
        # An ownership TXT at the name itself (pre-v0.12) must go for a CNAME to be
        # written: possible only when it holds nothing but our ownership, and is not the
        # typed ownership TXT of another record.
        beside = self.zone.rrsets.get(RecordKey(key.name, RecordType.TXT))
        if (
            not staying
            and beside is not None
            and beside.name not in self._deleted_txts
            and (not self.zone.is_legacy_txt(key.name) or self.zone.without_ours(beside))
        ):
            staying = {beside.key}
        if not staying:
            return None
        kinds = ", ".join(sorted(k.rtype.value for k in staying))
        return f"cannot create CNAME {key.name.fqdn}: the name already holds {kinds}"

    def _cname_at_name(self, key: RecordKey, staying: set[RecordKey]) -> str | None:
        cname = RecordKey(key.name, RecordType.CNAME)
        if cname not in staying:
            return None
        if cname in self.ours:
            return (
                f"cannot create {key}: {key.name.fqdn} is still our CNAME, not deleted "
                "(the policy or an incomplete source forbids deletes)"
            )
        return f"cannot create {key}: {key.name.fqdn} is a CNAME not owned by dnssync"

    def _txt_name_blocker(self, key: RecordKey, txt_name: DomainName) -> str | None:
        if self._cname_stays_at(txt_name):
            return f"cannot create {key}: its ownership name {txt_name.fqdn} is a CNAME"
        if RecordKey(txt_name, RecordType.TXT) not in self.zone.rrsets:
            return None
        distrust = self.zone.untrusted_txts.get(txt_name)
        if distrust is not None:
            return (
                f"cannot create {key}: its ownership TXT {txt_name.fqdn} cannot be trusted: "
                f"{distrust.reason}"
            )
        found = self.zone.ownership_txts.get(txt_name)
        if found is None:
            return f"cannot create {key}: its ownership name {txt_name.fqdn} holds other TXT data"
        if found[0].owner != self.zone.owner_id:
            return f"cannot create {key}: it is claimed by owner {found[0].owner!r}"
        return None

    def _cname_stays_at(self, name: DomainName) -> bool:
        if RecordType.CNAME not in self.zone.types_at.get(name, ()):
            return False  # asked for every record: answered without building a key
        cname = RecordKey(name, RecordType.CNAME)
        return cname in self.zone.rrsets and cname not in self.deleted

    # -- updates ---------------------------------------------------------------------------

    def for_update(self, txt_name: DomainName, resource: str) -> list[Change]:
        """The TXT changes that go with keeping (and maybe updating) one of our records."""
        if self._cname_stays_at(txt_name):
            return []
        return self._write_txt(txt_name, resource)

    def legacy_unmigrated(self, key: RecordKey, txt_name: DomainName) -> str | None:
        """Why our record at key keeps its pre-v0.12 TXT (no typed TXT is written), or None."""
        mine = self.ours.get(key)
        if (
            mine is not None
            and mine.legacy
            and txt_name in self.zone.types_at
            and txt_name not in self.zone.ownership_txts
        ):
            return (
                f"{key} is owned through a pre-v0.12 TXT, but its ownership name "
                f"{txt_name.fqdn} holds other data, so the new TXT is not written"
            )
        return None

    def _write_txt(self, txt_name: DomainName, resource: str) -> list[Change]:
        """Create or rewrite our ownership TXT; a TXT there that is not ours is never
        touched."""
        content = self.zone.registry.content(resource)
        have = self.zone.rrsets.get(RecordKey(txt_name, RecordType.TXT))
        if have is None:
            wanted = RRset.of(txt_name, RecordType.TXT, OWNERSHIP_TTL, [content])
            return [Change(Action.CREATE, self.zone.zone, wanted, None, resource)]
        if not self.zone.is_our_txt(txt_name):
            return []
        if have.values == (content,):
            return []  # the common case: just our value, as written
        # Values beside our ownership value (unusual) are kept as they are.
        others = self.zone.without_ours(have)
        if set(have.values) == {content, *others}:
            return []
        new = have.with_values([content, *others])
        return [Change(Action.UPDATE, self.zone.zone, new, have, resource)]

    # -- deletes ---------------------------------------------------------------------------

    def for_delete(self, key: RecordKey) -> list[Change]:
        """The TXT changes that go with deleting our record at key (one of ``deleted``)."""
        mine = self.ours[key]
        changes = []
        if not mine.legacy:
            changes.append(
                Change(Action.DELETE, self.zone.zone, None, mine.txt, mine.ownership.resource)
            )
            self._used.add(mine.txt.name)
        if key.name not in self._used and key.name not in self._wanted:
            legacy = self._legacy_txt_removal(key)
            if legacy is not None:
                changes.append(legacy)
                self._used.add(key.name)
        return changes

    def _legacy_txt_removal(self, key: RecordKey) -> Change | None:
        """Our pre-v0.12 TXT at the name of the last record it owns, removed with that
        record.

        Left behind, it would make whatever record someone later puts at that name look
        ours. Other TXT data at the name (SPF...) is kept: only our value is taken out.
        """
        if not self.zone.is_our_txt(key.name) or not self.zone.is_legacy_txt(key.name):
            return None
        # Records it may still own (an AAAA never is, as in ExternalDNS).
        remaining = [
            k
            for k in self.zone.managed_keys()
            if k.name == key.name
            and k != key
            and k.rtype is not RecordType.AAAA
            and k not in self.deleted
        ]
        if remaining:
            return None
        ownership, txt = self.zone.ownership_txts[key.name]
        return self._remove_ours(txt, ownership.resource)

    def _remove_ours(self, txt: RRset, resource: str | None) -> Change:
        """Our value out of a TXT RRset: the RRset goes unless other data shares it."""
        kept = self.zone.without_ours(txt)
        if not kept:
            return Change(Action.DELETE, self.zone.zone, None, txt, resource)
        return Change(Action.UPDATE, self.zone.zone, txt.with_values(kept), txt, resource)

    # -- after every record ----------------------------------------------------------------

    def orphans(
        self, desired: Container[RecordKey], manages: Callable[[DomainName], bool]
    ) -> list[ChangeGroup]:
        """Our typed ownership TXTs whose record is gone (deleted by hand): clean them up."""
        groups = []
        for txt_name, (found, rrset) in sorted(self.zone.ownership_txts.items()):
            if txt_name in self._used or found.owner != self.zone.owner_id:
                continue
            if self._is_orphan(txt_name, desired, manages):
                groups.append(ChangeGroup((self._remove_ours(rrset, found.resource),)))
        return groups

    def _is_orphan(
        self,
        txt_name: DomainName,
        desired: Container[RecordKey],
        manages: Callable[[DomainName], bool],
    ) -> bool:
        zone = self.zone
        keys = [RecordKey(n, t) for n, t in zone.registry.record_keys_for(txt_name)]
        if not keys:
            return False  # a legacy TXT at a record's own name: it belongs to that name
        if not all(manages(k.name) for k in keys):
            return False
        if any(k in zone.rrsets or k in desired or k in zone.occluded for k in keys):
            return False
        if any(_wildcard_beside(zone, k) for k in keys):
            return False  # maybe a wildcard's TXT under another --txt-wildcard-replacement
        here = zone.types_at.get(txt_name, ())
        # It may be the pre-v0.12 TXT of the record at its own name.
        return not any(t in MANAGED_TYPES and t is not RecordType.AAAA for t in here)


def _txt_names(zone: ZoneOwnership, keys: Iterable[RecordKey]) -> set[DomainName]:
    names: set[DomainName] = set()
    for key in keys:
        try:
            names.add(zone.registry.txt_name(key.name, key.rtype, zone.zone))
        except OwnershipError:
            continue
    return names


def _wildcard_beside(zone: ZoneOwnership, key: RecordKey) -> bool:
    """A wildcard of key's type next to key's name (``*.apps`` for ``wc.apps``): then the
    TXT naming key may be that wildcard's, written with a replacement we were not given
    (ExternalDNS's --txt-wildcard-replacement), so it is no orphan."""
    parent = key.name.parent
    if parent is None:
        return False
    return RecordKey(parent.prepend("*"), key.rtype) in zone.rrsets
