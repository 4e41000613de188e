"""Where a zone is cut: names at or below a delegation, or below a DNAME, are occluded.

An NS RRset below the apex delegates its name and everything under it to another zone
(RFC 1034 4.2.1): data there is not served by this zone (only glue belongs there). A DNAME
redirects every name strictly below its owner (RFC 6672 2.4). dnssync never creates,
updates or deletes records at such names, and never changes the NS or DNAME itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dnssync.model.names import DomainName
from dnssync.model.records import RecordType, RRset


@dataclass(frozen=True, slots=True)
class Cut:
    """The NS or DNAME that occludes a name."""

    name: DomainName
    rtype: RecordType

    def describe(self) -> str:
        if self.rtype is RecordType.NS:
            return f"the delegation {self.name.fqdn} (NS)"
        return f"the DNAME at {self.name.fqdn}"


class ZoneCuts:
    """The delegations (NS below the apex) and DNAMEs of one zone."""

    def __init__(self, zone: DomainName, rrsets: Iterable[RRset]) -> None:
        self.zone = zone
        self._delegations: set[DomainName] = set()
        self._dnames: set[DomainName] = set()
        for rrset in rrsets:
            if rrset.rtype is RecordType.NS and rrset.name != zone:
                self._delegations.add(rrset.name)
            elif rrset.rtype is RecordType.DNAME:
                self._dnames.add(rrset.name)

    def __bool__(self) -> bool:
        return bool(self._delegations or self._dnames)

    def occluding(self, name: DomainName) -> Cut | None:
        """The cut that occludes ``name`` (the one nearest the apex), or None."""
        if not self:
            return None
        found: Cut | None = None
        below_name = False  # a DNAME occludes names strictly below it, not its owner
        current: DomainName | None = name
        while current is not None and current.is_subdomain_of(self.zone):
            if current in self._delegations and current != self.zone:
                found = Cut(current, RecordType.NS)
            elif below_name and current in self._dnames:
                found = Cut(current, RecordType.DNAME)
            if current == self.zone:
                break
            current = current.parent
            below_name = True
        return found
