"""Records that were written for an object: the success side of its Events."""

from __future__ import annotations

from dataclasses import dataclass

from dnssync.model.names import DomainName
from dnssync.model.records import RRset
from dnssync.model.refs import ObjectRef


@dataclass(frozen=True, slots=True)
class Publication:
    """``rrset`` was created or changed in ``zone`` for the object ``ref``."""

    ref: ObjectRef
    zone: DomainName
    rrset: RRset

    @property
    def message(self) -> str:
        """``Published kdc-tcp.example.com A 203.0.113.10 in example.com``."""
        values = ", ".join(self.rrset.value_texts())
        return (
            f"Published {self.rrset.name.text} {self.rrset.rtype.value} {values} "
            f"in {self.zone.text}"
        )
