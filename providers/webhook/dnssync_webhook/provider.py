"""The webhook provider (``--provider webhook``): any ExternalDNS webhook provider.

Requests (see docs/providers/webhook.md):

* ``GET /`` once, on first use: the media type must be
  ``application/external.dns.webhook+json;version=1``; the answer is the domain filter,
  which gives the zones (or checks ``--zone``).
* ``POST /adjustendpoints``: the desired RRsets as the webhook would store them
  (:meth:`WebhookProvider.adjust`, called by the engine before planning). Answers are
  remembered per RRset for a few minutes, so a reconcile with nothing new sends none.
* ``GET /records``: one listing serves each zone once (a plan over three zones reads
  once); reading a zone again, and every apply, reads again.
* ``POST /records``: groups packed into bodies (see :mod:`.batching`).

The protocol has no preconditions, so before writing, each group's ``Change.old`` is
checked against a listing at most a few seconds old (the plan's, or a new one; a stale
group is a conflict, nothing is sent for it).
After a 5xx or a lost connection the zone is read again: groups already in place count
as applied, groups untouched are sent again (after a pause, split in halves, at most a
bounded number of requests), anything else is reported as a conflict. A 4xx is never
retried: a body of several groups is split in halves to find the one the server refuses
(its answer text is reported with it); 401, 403, 404 and the like are errors of the whole
request. A 413 lowers the body size limit and splits the body.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from dnssync.errors import InvalidRecordError, ProviderError
from dnssync.model.changes import Action, ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import RecordKey, RRset
from dnssync.providers.base import ApplyResult, GroupFailure, Provider, ProviderOptions

from .batching import GroupRequest, body, fits, pack
from .domain_filter import FilterError, WebhookDomainFilter
from .endpoints import Endpoint, EndpointError, key_of, parse_endpoints, to_endpoint, to_rrset
from .listing import Listing, ListingError, ZoneView
from .settings import OPTIONS, WebhookSettings
from .transport import MEDIA_TYPE, Clock, Response, Sleep, Transport, TransportError

log = logging.getLogger(__name__)

MEDIA_BASE, _, MEDIA_VERSION = MEDIA_TYPE.partition(";")
# A listing older than this is never reused for another zone.
LISTING_MAX_AGE = 30.0
# Changes are checked against a listing at most this old (the one the plan was just made
# from); an apply later than that (the daemon's event-driven ones, a CLI waiting for
# "yes") reads the zone again first.
CHECK_MAX_AGE = 5.0
# Answers of /adjustendpoints are reused this long (a reconfigured webhook is seen after).
ADJUST_MEMO_SECONDS = 300.0
# 4xx statuses that are about the request as a whole, not about one group in it.
_WHOLE_REQUEST = {401, 403, 404, 405, 406, 407, 415, 426, 431}


@dataclass(frozen=True, slots=True)
class _Outcome:
    applied: list[GroupRequest]
    failed: list[GroupFailure]


@dataclass
class _Sending:
    """The bodies still to send in one apply, and what became of the others."""

    queue: deque[list[GroupRequest]]
    applied: list[GroupRequest] = field(default_factory=list)
    failed: list[GroupFailure] = field(default_factory=list)
    errors: int = 0  # 5xx answers and lost connections so far
    errors_left: int = 0

    def halve(self, batch: list[GroupRequest]) -> None:
        """Send the batch next, in two halves (as it is, when it is one group)."""
        if len(batch) == 1:
            self.queue.appendleft(batch)
            return
        half = len(batch) // 2
        self.queue.extendleft([batch[half:], batch[:half]])

    def fail(self, batches: list[list[GroupRequest]], message: str) -> None:
        self.failed.extend(GroupFailure(r.group, message) for b in batches for r in b)


class WebhookProvider(Provider):
    name = "webhook"
    description = "any ExternalDNS webhook provider (the ExternalDNS webhook protocol, v1)"
    options = OPTIONS

    def __init__(
        self,
        settings: WebhookSettings | None = None,
        *,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__()
        self.settings = settings or WebhookSettings()
        self._transport = Transport(self.settings, self.requests, sleep=sleep, clock=clock)
        self._sleep = sleep
        self._clock = clock
        self.url = self._transport.shown_url
        self.domain_filter: WebhookDomainFilter | None = None
        self._zones: tuple[DomainName, ...] = ()
        self._listing: Listing | None = None
        # The server's body limit as learned from a 413 (starts at the configured one).
        self.body_limit = self.settings.max_body_bytes
        self._adjusted: dict[RRset, RRset | None] = {}
        self._adjusted_at = 0.0

    @classmethod
    def create(cls, options: ProviderOptions) -> WebhookProvider:
        return cls(WebhookSettings.from_options(options))

    def close(self) -> None:
        self._transport.close()

    # ------------------------------------------------------------------ negotiation

    def negotiate(self) -> WebhookDomainFilter:
        if self.domain_filter is not None:
            return self.domain_filter
        response = self._transport.call("negotiate", "GET", "/")
        if not response.ok:
            raise ProviderError(
                f"webhook {self.url}: negotiation (GET /) answered {response.describe()}"
            )
        _check_media_type(response, self.url)
        try:
            found = WebhookDomainFilter.from_json(_json(response, "GET /", self.url))
        except FilterError as exc:
            raise ProviderError(f"webhook {self.url}: GET /: {exc}") from None
        self._zones = found.zones(self.settings.zones, self.url)
        self.domain_filter = found
        log.info(
            "webhook %s: %s; zones %s",
            self.url,
            found.describe(),
            ", ".join(z.text for z in self._zones),
        )
        return found

    # ------------------------------------------------------------------ reading

    def zones(self) -> tuple[DomainName, ...]:
        self.negotiate()
        return self._zones

    def records(self, zone: DomainName) -> tuple[RRset, ...]:
        return tuple(self._view(zone).rrsets.values())

    def _view(self, zone: DomainName, *, check: bool = False) -> ZoneView:
        """The zone from a listing that has not served it yet, else a fresh one. To
        ``check`` changes before writing, a listing just made (the plan's) serves again."""
        self.negotiate()
        if zone not in self._zones:
            raise ProviderError(
                f"webhook {self.url}: zone {zone.fqdn} is not managed through it "
                f"(zones: {', '.join(z.text for z in self._zones)})"
            )
        listing = self._listing
        age = self._clock() - listing.fetched_at if listing is not None else LISTING_MAX_AGE
        fresh = listing is not None and (
            (zone not in listing.served and age < LISTING_MAX_AGE)
            or (check and age < CHECK_MAX_AGE)
        )
        if not fresh:
            listing = self._fetch()
        assert listing is not None
        listing.served.add(zone)
        return listing.zones[zone]

    def _fetch(self) -> Listing:
        domain_filter = self.negotiate()
        response = self._transport.call("records", "GET", "/records")
        if response.status != 200:
            raise ProviderError(f"webhook {self.url}: GET /records answered {response.describe()}")
        try:
            endpoints = parse_endpoints(_json(response, "GET /records", self.url), "GET /records")
        except EndpointError as exc:
            raise ProviderError(f"webhook {self.url}: GET /records: {exc}") from None
        try:
            listing = Listing.build(endpoints, self._zones, domain_filter, self._clock())
        except ListingError as exc:
            raise ProviderError(f"webhook {self.url}: GET /records: {exc}") from None
        self._listing = listing
        return listing

    # ------------------------------------------------------------------ adjusting

    def adjust(self, rrsets: tuple[RRset, ...]) -> tuple[RRset, ...]:
        """The desired RRsets as the webhook would store them (``POST /adjustendpoints``);
        RRsets the webhook leaves out of its answer are left out."""
        if not rrsets:
            return rrsets
        self.negotiate()
        if self._clock() - self._adjusted_at > ADJUST_MEMO_SECONDS:
            self._adjusted = {}
            self._adjusted_at = self._clock()
        pending = [r for r in dict.fromkeys(rrsets) if r not in self._adjusted]
        if pending:
            self._adjust(pending)
        # Keep only what this call needs, so the memo never outgrows the desired set.
        memo = {r: self._adjusted.get(r) for r in rrsets}
        self._adjusted = memo
        return tuple(a for a in memo.values() if a is not None)

    def _adjust(self, pending: list[RRset]) -> None:
        sendable: list[tuple[RRset, Endpoint]] = []
        for rrset in pending:
            try:
                sendable.append((rrset, to_endpoint(rrset)))
            except InvalidRecordError:
                self._adjusted[rrset] = rrset  # an alias: apply() reports it
        # Half the limit: the answer holds the same endpoints, perhaps with more in them,
        # and must fit in the limit too.
        queue = deque(_chunks(sendable, self.body_limit // 2))
        budget = 4 * len(sendable) + self.settings.attempts
        while queue:
            budget -= 1
            if budget < 0:
                raise ProviderError(f"webhook {self.url}: POST /adjustendpoints: too many tries")
            chunk = queue.popleft()
            payload = b"[" + b",".join(e.encoded() for _, e in chunk) + b"]"
            response = self._transport.call("adjust", "POST", "/adjustendpoints", payload)
            if response.status == 413 and len(chunk) > 1:
                self._learn_limit(len(payload))
                half = len(chunk) // 2
                queue.extendleft([chunk[half:], chunk[:half]])
                continue
            if response.status != 200:
                raise ProviderError(
                    f"webhook {self.url}: POST /adjustendpoints answered {response.describe()}"
                )
            try:
                answer = parse_endpoints(
                    _json(response, "POST /adjustendpoints", self.url), "POST /adjustendpoints"
                )
            except EndpointError as exc:
                raise ProviderError(f"webhook {self.url}: POST /adjustendpoints: {exc}") from None
            self._take_adjusted(chunk, answer)

    def _take_adjusted(self, chunk: list[tuple[RRset, Endpoint]], answer: list[Endpoint]) -> None:
        by_key: dict[RecordKey, Endpoint] = {}
        for endpoint in answer:
            key = key_of(endpoint)
            if key is not None:
                by_key.setdefault(key, endpoint)
        for rrset, _ in chunk:
            adjusted = by_key.get(rrset.key)
            if adjusted is None:
                log.warning(
                    "webhook %s: /adjustendpoints left out %s; it is not managed",
                    self.url,
                    rrset.key,
                )
                self._adjusted[rrset] = None
                continue
            try:
                self._adjusted[rrset] = to_rrset(adjusted)
            except EndpointError as exc:
                raise ProviderError(
                    f"webhook {self.url}: POST /adjustendpoints answered an endpoint dnssync "
                    f"cannot read: {exc}"
                ) from None

    # ------------------------------------------------------------------ writing

    def apply(self, zone: DomainName, groups: Sequence[ChangeGroup]) -> ApplyResult:
        if not groups:
            return ApplyResult(())
        view = self._view(zone, check=True)
        domain_filter = self.negotiate()
        requests: list[GroupRequest] = []
        failed: list[GroupFailure] = []
        for group in groups:
            request = self._prepare(group, view, domain_filter)
            if isinstance(request, GroupFailure):
                failed.append(request)
            else:
                requests.append(request)
        outcome = self._send(zone, requests)
        failed.extend(outcome.failed)
        applied = {id(r.group) for r in outcome.applied}
        order = {id(g): i for i, g in enumerate(groups)}
        failed.sort(key=lambda f: order.get(id(f.group), 0))
        return ApplyResult(tuple(g for g in groups if id(g) in applied), tuple(failed))

    def _prepare(
        self, group: ChangeGroup, view: ZoneView, domain_filter: WebhookDomainFilter
    ) -> GroupRequest | GroupFailure:
        create: list[Endpoint] = []
        old: list[Endpoint] = []
        new: list[Endpoint] = []
        delete: list[Endpoint] = []
        sent: list[Endpoint | None] = []
        for change in group:
            if not domain_filter.matches(change.name):
                return GroupFailure(
                    group,
                    f"{change.key}: outside the webhook's {domain_filter.describe()}",
                )
            if change.key in view.blocked:
                return GroupFailure(group, f"{change.key}: {view.blocked[change.key]}")
            if not view.holds(change):
                have = view.rrsets.get(change.key)
                now = "exists" if have is not None else "does not exist"
                if have is not None and change.action is not Action.CREATE:
                    now = f"is now {', '.join(have.value_texts())} (TTL {have.ttl})"
                return GroupFailure(
                    group,
                    f"{change.action.value} {change.key}: the record {now} at the webhook, "
                    "not what was planned; it changed since (another writer?)",
                    conflict=True,
                )
            kept = view.endpoints.get(change.key)
            try:
                if change.action is Action.CREATE:
                    assert change.new is not None
                    endpoint = to_endpoint(change.new)
                    create.append(endpoint)
                    sent.append(endpoint)
                elif change.action is Action.UPDATE:
                    assert change.new is not None and change.old is not None
                    endpoint = to_endpoint(change.new, kept)
                    old.append(kept if kept is not None else to_endpoint(change.old))
                    new.append(endpoint)
                    sent.append(endpoint)
                else:
                    assert change.old is not None
                    delete.append(kept if kept is not None else to_endpoint(change.old))
                    sent.append(None)
            except InvalidRecordError as exc:
                return GroupFailure(group, f"{change.key}: {exc}")
        request = GroupRequest(
            group, tuple(create), tuple(old), tuple(new), tuple(delete), tuple(sent)
        )
        if not fits(request, self.body_limit):
            return GroupFailure(
                group,
                f"{group.primary.key}: the change is larger ({request.size} bytes) than the "
                f"webhook's body limit ({self.body_limit} bytes)",
            )
        return request

    def _send(self, zone: DomainName, requests: list[GroupRequest]) -> _Outcome:
        state = _Sending(deque(pack(requests, self.body_limit)))
        # 5xx answers and lost connections allowed in this apply: the tries, plus enough
        # halvings to single out one group among all of them.
        state.errors_left = self.settings.attempts + len(requests).bit_length()
        # Every body is bounded too: each group can be halved out of a body once (2n).
        budget = 2 * len(requests) + len(state.queue) + state.errors_left
        while state.queue:
            batch = state.queue.popleft()
            budget -= 1
            if budget < 0:  # cannot happen by the counts above; a guard, not a path
                state.fail([batch, *state.queue], "not sent: the apply's request budget ran out")
                break
            payload = body(batch)
            if self.body_limit and len(payload) > self.body_limit:
                # The limit shrank after a 413 since this body was packed.
                state.queue.extendleft(reversed(pack(batch, self.body_limit)))
                continue
            try:
                response: Response | None = self._transport.send(
                    "apply", "POST", "/records", payload
                )
                problem = ""
            except TransportError as exc:
                response, problem = None, str(exc)
            if response is not None and response.ok:
                self._record(zone, batch)
                state.applied.extend(batch)
            elif response is not None and response.status < 500:
                self._refused(response, batch, state, len(payload))
            else:
                if response is not None:
                    problem = f"webhook {self.url}: POST /records answered {response.describe()}"
                log.warning("%s", problem)
                self._after_error(zone, batch, problem, state)
        return _Outcome(state.applied, state.failed)

    def _refused(
        self, response: Response, batch: list[GroupRequest], state: _Sending, size: int
    ) -> None:
        """A 3xx/4xx: nothing of the body was applied; find the group(s) it is about."""
        if response.status == 413:
            self._learn_limit(size)
        if response.status in _WHOLE_REQUEST or 300 <= response.status < 400:
            message = f"webhook {self.url}: POST /records answered {response.describe()}"
            if not state.applied and not state.failed:
                raise ProviderError(message)
            state.fail([batch], message)
            return
        if len(batch) > 1:
            state.halve(batch)
            return
        what = "is too large for" if response.status == 413 else "was refused by"
        key = batch[0].group.primary.key
        state.fail(
            [batch],
            f"{key} {what} the webhook {self.url}: POST /records answered {response.describe()}"
            + _star_hint(batch[0].group),
        )

    def _after_error(
        self, zone: DomainName, batch: list[GroupRequest], problem: str, state: _Sending
    ) -> None:
        """A 5xx or no answer: the body may be partly applied. Read the zone again and sort
        each group: in place (applied), untouched (sent again, in halves), or neither."""
        state.errors_left -= 1
        state.errors += 1
        if state.errors_left <= 0:  # the rest would most likely fail alike: stop here
            state.fail([batch, *state.queue], f"{problem} (gave up after {state.errors} tries)")
            state.queue.clear()
            return
        self._sleep(self._transport.backoff.delay(state.errors - 1))
        try:
            self._listing = None
            view = self._view(zone)
        except ProviderError as exc:
            state.fail([batch], f"{problem}; then: {exc}")
            return
        untouched: list[GroupRequest] = []
        for request in batch:
            changes = request.group.changes
            if all(view.done(c) for c in changes):
                state.applied.append(request)
            elif all(view.holds(c) for c in changes):
                untouched.append(request)
            else:
                state.failed.append(
                    GroupFailure(
                        request.group,
                        f"{problem}; afterwards {request.group.primary.key} is neither as "
                        "planned nor as before (partly applied, or another writer)",
                        conflict=True,
                    )
                )
        if untouched:
            state.halve(untouched)

    def _record(self, zone: DomainName, batch: list[GroupRequest]) -> None:
        """Advance the current listing by groups the server accepted (no re-read needed)."""
        if self._listing is None:
            return
        view = self._listing.zones[zone]
        for request in batch:
            for change, sent in zip(request.group.changes, request.sent, strict=True):
                view.record(change, sent)

    def _learn_limit(self, refused_size: int) -> None:
        smaller = max(1024, refused_size // 2)
        if not self.body_limit or smaller < self.body_limit:
            log.warning(
                "webhook %s: a %d-byte body was too large (413); bodies now stay under %d bytes",
                self.url,
                refused_size,
                smaller,
            )
            self.body_limit = smaller


def _chunks(items: list[tuple[RRset, Endpoint]], limit: int) -> list[list[tuple[RRset, Endpoint]]]:
    chunks: list[list[tuple[RRset, Endpoint]]] = []
    current: list[tuple[RRset, Endpoint]] = []
    size = 2
    for item in items:
        grow = len(item[1].encoded()) + 1
        if current and limit and size + grow > limit:
            chunks.append(current)
            current, size = [], 2
        current.append(item)
        size += grow
    if current:
        chunks.append(current)
    return chunks


def _check_media_type(response: Response, url: str) -> None:
    """The exact media type ExternalDNS requires, with clear words for each way it fails."""
    raw = response.content_type
    parts = [p.strip().lower() for p in raw.split(";")]
    base, params = parts[0], [p.replace(" ", "") for p in parts[1:] if p]
    if base != MEDIA_BASE:
        shown = raw or "no Content-Type"
        raise ProviderError(
            f"webhook {url}: GET / answered with {shown!r}, not the ExternalDNS webhook media "
            f"type {MEDIA_TYPE!r}: is this URL an ExternalDNS webhook provider?"
        )
    versions = [p.partition("=")[2] for p in params if p.startswith("version=")]
    wanted = MEDIA_VERSION.partition("=")[2]
    if versions != [wanted]:
        spoken = versions[0] if versions else "none"
        raise ProviderError(
            f"webhook {url}: it speaks version {spoken} of the ExternalDNS webhook protocol "
            f"({raw!r}); dnssync speaks version {wanted} ({MEDIA_TYPE!r})"
        )


def _json(response: Response, what: str, url: str) -> object:
    try:
        return json.loads(response.body) if response.body.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProviderError(
            f"webhook {url}: {what} answered a body that is not JSON: {exc}"
        ) from None


def _star_hint(group: ChangeGroup) -> str:
    """Many DNS services take '*' only as a whole leftmost label; a wildcard's ownership
    TXT (``a-*.apps``) has it inside one unless a replacement is set."""
    starred = sorted({c.key.name.fqdn for c in group if c.key.name.has_literal_star})
    if not starred:
        return ""
    return (
        f"; if the service behind the webhook refuses '*' inside a name ({', '.join(starred)}), "
        "set --txt-wildcard-replacement (e.g. 'wildcard') so wildcard ownership TXT names "
        "have none (docs/ownership.md, 'Wildcards')"
    )
