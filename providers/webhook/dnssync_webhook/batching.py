"""Change groups packed into ``POST /records`` bodies.

* A group (a record and its ownership TXT) is never split: it travels in one body.
* A body stays within the size limit (the server's ``--webhook-provider-max-body-size``,
  32 MiB by default, or less after a 413 taught us better).
* A body never holds one RecordKey twice (ExternalDNS's in-memory provider refuses such a
  batch whole).
* Deletes whose names a create or update in the same apply also touches go in earlier
  bodies: a server may apply a body's creates before its deletes (ExternalDNS's RFC 2136
  provider does), and an A beside a CNAME not yet deleted is refused or silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dnssync.model.changes import Action, ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import RecordKey

from .endpoints import Endpoint

# {"create":[],"updateOld":[],"updateNew":[],"delete":[]}: the most a body adds besides
# its endpoints and the commas between them.
_BODY_OVERHEAD = 56
_LISTS = ("create", "updateOld", "updateNew", "delete")


@dataclass(frozen=True, slots=True)
class GroupRequest:
    """A group's endpoints, ready to go into a body."""

    group: ChangeGroup
    create: tuple[Endpoint, ...] = ()
    update_old: tuple[Endpoint, ...] = ()
    update_new: tuple[Endpoint, ...] = ()
    delete: tuple[Endpoint, ...] = ()
    # The endpoint each change sends as its new state (None for deletes), in change order.
    sent: tuple[Endpoint | None, ...] = ()

    @property
    def keys(self) -> frozenset[RecordKey]:
        return frozenset(c.key for c in self.group)

    @property
    def names(self) -> frozenset[DomainName]:
        return frozenset(c.name for c in self.group)

    @property
    def size(self) -> int:
        """Bytes this group adds to a body: its endpoints and a comma after each."""
        return sum(len(e.encoded()) + 1 for e in self._endpoints())

    def _endpoints(self) -> Iterable[Endpoint]:
        yield from self.create
        yield from self.update_old
        yield from self.update_new
        yield from self.delete


def body(requests: Sequence[GroupRequest]) -> bytes:
    """The ``plan.Changes`` JSON of these groups (lower-camel keys, empty lists left out)."""
    lists: dict[str, list[bytes]] = {name: [] for name in _LISTS}
    for request in requests:
        lists["create"].extend(e.encoded() for e in request.create)
        lists["updateOld"].extend(e.encoded() for e in request.update_old)
        lists["updateNew"].extend(e.encoded() for e in request.update_new)
        lists["delete"].extend(e.encoded() for e in request.delete)
    parts = [
        b'"' + name.encode() + b'":[' + b",".join(items) + b"]"
        for name, items in lists.items()
        if items
    ]
    return b"{" + b",".join(parts) + b"}"


def fits(request: GroupRequest, limit: int) -> bool:
    return not limit or request.size + _BODY_OVERHEAD <= limit


def phases(requests: Sequence[GroupRequest]) -> list[list[GroupRequest]]:
    """Deletes at names that creates or updates also touch first, then the rest."""
    touched = {name for r in requests if r.group.action is not Action.DELETE for name in r.names}
    first = [r for r in requests if r.group.action is Action.DELETE and r.names & touched]
    rest = [r for r in requests if not (r.group.action is Action.DELETE and r.names & touched)]
    return [p for p in (first, rest) if p]


def pack(requests: Sequence[GroupRequest], limit: int) -> list[list[GroupRequest]]:
    """Bodies in order: each within ``limit`` bytes (0: no limit), no key twice, deletes
    that must go first in bodies of their own. Groups too large alone are not packed:
    check :func:`fits` first."""
    batches: list[list[GroupRequest]] = []
    for phase in phases(requests):
        current: list[GroupRequest] = []
        size = _BODY_OVERHEAD
        keys: set[RecordKey] = set()
        for request in phase:
            grow = request.size
            clash = bool(keys & request.keys)
            if current and (clash or (limit and size + grow > limit)):
                batches.append(current)
                current, size, keys = [], _BODY_OVERHEAD, set()
            current.append(request)
            size += grow
            keys |= request.keys
        if current:
            batches.append(current)
    return batches
