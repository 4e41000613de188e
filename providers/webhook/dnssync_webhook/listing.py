"""What ``GET /records`` answered, split into dnssync's zones.

ExternalDNS webhooks list every record they hold in one answer, without zones. A
:class:`Listing` places each endpoint in its zone (the longest that contains it) and keeps,
per RecordKey, both the RRset the planner sees and the server's own endpoint (its target
text, TTL, set identifier, labels, provider-specific properties): an update or delete sends
that endpoint back exactly as the server gave it.

Keys dnssync cannot change safely are set aside with the reason: several endpoints with
one name and type (set identifiers: routing policies), or targets that cannot be read. The
planner still sees such a key as taken (so it never creates over it); a write to it is
refused. Zone cuts are the exception: an NS (below the apex) or DNAME endpoint that cannot
be read fails the listing, since the planner must know every name it may not touch. The
apex NS is left out (it is no delegation).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dnssync.model.changes import Action, Change
from dnssync.model.names import DomainName, find_zone
from dnssync.model.records import CUT_TYPES, RecordKey, RecordType, RRset

from .domain_filter import WebhookDomainFilter
from .endpoints import Endpoint, EndpointError, key_of, to_rrset

log = logging.getLogger(__name__)


class ListingError(ValueError):
    """The listing cannot be used as a whole."""


@dataclass
class ZoneView:
    zone: DomainName
    rrsets: dict[RecordKey, RRset] = field(default_factory=dict)
    endpoints: dict[RecordKey, Endpoint] = field(default_factory=dict)
    # Keys the provider will not write, with why (the planner still sees them as taken).
    blocked: dict[RecordKey, str] = field(default_factory=dict)

    def holds(self, change: Change) -> bool:
        """The zone is as the change expects before it (create: absent; else: ``old``)."""
        have = self.rrsets.get(change.key)
        return have is None if change.action is Action.CREATE else have == change.old

    def done(self, change: Change) -> bool:
        """The zone is as the change leaves it."""
        have = self.rrsets.get(change.key)
        return have is None if change.action is Action.DELETE else have == change.new

    def record(self, change: Change, sent: Endpoint | None) -> None:
        """Advance the view by a change the server accepted."""
        if change.new is None:
            self.rrsets.pop(change.key, None)
            self.endpoints.pop(change.key, None)
            return
        self.rrsets[change.key] = change.new
        if sent is not None:
            self.endpoints[change.key] = sent


@dataclass
class Listing:
    zones: dict[DomainName, ZoneView]
    fetched_at: float
    served: set[DomainName] = field(default_factory=set)
    endpoint_count: int = 0

    @classmethod
    def build(
        cls,
        endpoints: Iterable[Endpoint],
        zones: Sequence[DomainName],
        domain_filter: WebhookDomainFilter,
        fetched_at: float,
    ) -> Listing:
        zone_tuple = tuple(zones)
        views = {z: ZoneView(z) for z in zone_tuple}
        by_key: dict[DomainName, dict[RecordKey, list[Endpoint]]] = defaultdict(
            lambda: defaultdict(list)
        )
        count = 0
        for endpoint in endpoints:
            count += 1
            key = key_of(endpoint)
            if key is None:  # a type dnssync does not manage (MX, NS, ...) or a bad name
                continue
            if not domain_filter.matches(key.name):
                continue
            zone = find_zone(key.name, zone_tuple)
            if zone is not None and not (key.rtype is RecordType.NS and key.name == zone):
                by_key[zone][key].append(endpoint)
        for zone, keys in by_key.items():
            view = views[zone]
            for key, found in keys.items():
                _place(view, key, found)
        return cls(views, fetched_at, endpoint_count=count)


def _place(view: ZoneView, key: RecordKey, found: list[Endpoint]) -> None:
    rrsets: list[RRset] = []
    for endpoint in found:
        try:
            rrset = to_rrset(endpoint)
        except EndpointError as exc:
            if key.rtype in CUT_TYPES:
                raise ListingError(
                    f"a zone cut the webhook lists cannot be read, so the names it hides "
                    f"are unknown: {exc}"
                ) from None
            log.warning("webhook: %s; the record is left alone", exc)
            view.blocked[key] = f"the webhook's {endpoint.describe()} cannot be read: {exc}"
            continue
        if rrset is not None:
            rrsets.append(rrset)
    if len(found) > 1:
        idents = ", ".join(repr(e.set_identifier) for e in found)
        view.blocked[key] = (
            f"the webhook holds {len(found)} endpoints for {key} (set identifiers {idents}: "
            "routing policies), which dnssync does not manage"
        )
    if rrsets:
        # Several endpoints: the planner sees their union, so the name counts as taken.
        first = rrsets[0]
        values = {v for r in rrsets for v in r.values}
        view.rrsets[key] = first if len(rrsets) == 1 else first.with_values(values)
    if len(found) == 1 and key not in view.blocked:
        view.endpoints[key] = found[0]
