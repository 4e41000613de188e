"""The Route53 provider. boto3 is imported only when a client is made (see ``api``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dnssync.errors import InvalidNameError, InvalidRecordError, ProviderError
from dnssync.model.changes import Action, Change, ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import CUT_TYPES, RecordKey, RecordType, RRset
from dnssync.providers.base import ApplyResult, GroupFailure, Provider, ProviderOptions

from .batching import Element, Prepared, oversized, pack
from .convert import RawRRset, Skipped, decode_name, from_route53, same_rrset, to_route53
from .options import OPTIONS, Settings, parse_settings
from .ratelimit import TokenBucket, shared_bucket
from .rejections import ZoneGone
from .retry import Backoff
from .zones import HostedZone, ZoneDirectory

if TYPE_CHECKING:
    from .api import Route53Api

log = logging.getLogger(__name__)


class Route53Provider(Provider):
    name = "route53"
    description = "AWS Route53 hosted zones (boto3; credentials from the AWS chain)"
    options = OPTIONS
    supports_alias = True

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        client: Any = None,
        backoff: Backoff | None = None,
        bucket: TokenBucket | None = None,
    ) -> None:
        """``client`` is a boto3 route53 client (tests pass one); by default one is made
        from boto3's own chain when first needed. ``bucket`` paces the requests; by default
        the process's one, at ``--aws-requests-per-second``."""
        super().__init__()
        self.settings = settings or Settings()
        self._client = client
        self._backoff = backoff
        self._bucket = bucket
        self._api: Route53Api | None = None
        self._zones: ZoneDirectory | None = None
        # What Route53 returned for each set, so a DELETE repeats it exactly.
        self._listed: dict[DomainName, dict[RecordKey, RawRRset]] = {}
        self._warned: set[tuple[DomainName, str, str]] = set()  # skipped sets, logged once

    @classmethod
    def create(cls, options: ProviderOptions) -> Route53Provider:
        return cls(parse_settings(options))

    # -- the Provider interface ----------------------------------------------------------

    def zones(self) -> tuple[DomainName, ...]:
        return self.directory.names()

    def records(self, zone: DomainName) -> tuple[RRset, ...]:
        hosted = self.directory.by_name(zone)
        found: dict[RecordKey, RRset] = {}
        raw_by_key: dict[RecordKey, RawRRset] = {}
        try:
            listed = list(self.api.record_sets(hosted.id))
        except ZoneGone:
            self.directory.invalidate()
            raise
        for raw in listed:
            parsed = from_route53(raw)
            if parsed is None:
                continue
            if isinstance(parsed, Skipped):
                _refuse_unreadable_cut(zone, parsed)
                if (zone, parsed.name, parsed.rtype) not in self._warned:
                    self._warned.add((zone, parsed.name, parsed.rtype))
                    log.warning(
                        "zone %s: leaving %s %s alone: it %s",
                        zone.fqdn,
                        parsed.name,
                        parsed.rtype,
                        parsed.reason,
                    )
                continue
            if parsed.rtype is RecordType.NS and parsed.name == zone:
                continue  # the apex NS is no delegation, and never ours
            if parsed.key in found and parsed.rtype in CUT_TYPES:
                # Weighted NS sets at one name: one cut, whatever the policy.
                merged = found[parsed.key].values + parsed.values
                found[parsed.key] = found[parsed.key].with_values(merged)
                continue
            if parsed.key in found:
                raise ProviderError(f"zone {zone.fqdn}: Route53 listed {parsed.key} twice")
            found[parsed.key] = parsed
            raw_by_key[parsed.key] = raw
        self._listed[zone] = raw_by_key
        return tuple(found[k] for k in sorted(found))

    def apply(self, zone: DomainName, groups: Sequence[ChangeGroup]) -> ApplyResult:
        from .submit import submit

        hosted = self.directory.by_name(zone)
        failed: list[GroupFailure] = []
        ready: list[Prepared] = []
        for group in groups:
            try:
                member = self._prepare(hosted, group)
            except (InvalidRecordError, ProviderError) as exc:
                failed.append(GroupFailure(group, _names(group) + f": {exc}"))
                continue
            too_big = oversized(member, self.settings.limits)
            if too_big:
                failed.append(
                    GroupFailure(
                        group,
                        f"{_names(group)}: too large for one Route53 change request: {too_big}",
                    )
                )
                continue
            ready.append(member)
        nothing_to_send = [m for m in ready if not (m.deletes or m.creates)]
        batches = pack([m for m in ready if m.deletes or m.creates], self.settings.limits)
        api = self.api
        try:
            outcome = submit(batches, lambda changes: _send(api, hosted, changes))
        except ZoneGone:
            self.directory.invalidate()
            raise
        self._remember(zone, hosted, outcome.applied)
        failed.extend(outcome.failed)
        applied = {id(m.group) for m in [*outcome.applied, *nothing_to_send]}
        position = {id(g): i for i, g in enumerate(groups)}
        return ApplyResult(
            tuple(g for g in groups if id(g) in applied),
            tuple(sorted(failed, key=lambda f: position.get(id(f.group), len(position)))),
        )

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None
            self._zones = None

    # -- helpers ---------------------------------------------------------------------------

    @property
    def api(self) -> Route53Api:
        if self._api is None:
            from .api import Route53Api, make_client, register_customizations

            client = self._client
            if client is None:
                client = make_client()
            else:
                register_customizations(client)
            self._api = Route53Api(client, self.requests, self._backoff, self.bucket)
        return self._api

    @property
    def bucket(self) -> TokenBucket:
        if self._bucket is None:
            self._bucket = shared_bucket(self.settings.requests_per_second)
        return self._bucket

    @property
    def directory(self) -> ZoneDirectory:
        if self._zones is None:
            self._zones = ZoneDirectory(self.api, self.settings)
        return self._zones

    def hosted_zone(self, zone: DomainName) -> HostedZone:
        """The hosted zone (id, private or public) that serves a zone name."""
        return self.directory.by_name(zone)

    def hosted_zone_by_id(self, zone_id: str) -> HostedZone:
        return self.directory.by_id(zone_id)

    def _render(self, hosted: HostedZone, rrset: RRset) -> Element:
        return to_route53(
            rrset,
            zone_id=hosted.id,
            zone=hosted.name,
            evaluate_target_health=self.settings.evaluate_target_health,
        )

    def _old(self, hosted: HostedZone, rrset: RRset) -> Element:
        """The set to DELETE: exactly as Route53 listed it when it still reads the same."""
        raw = self._listed.get(hosted.name, {}).get(rrset.key)
        if raw is not None and same_rrset(raw, rrset):
            return dict(raw)
        return self._render(hosted, rrset)

    def _prepare(self, hosted: HostedZone, group: ChangeGroup) -> Prepared:
        deletes: list[Element] = []
        creates: list[Element] = []
        for change in group:
            if self._ttl_only_alias_update(hosted, change):
                continue
            if change.old is not None:
                deletes.append(
                    {"Action": "DELETE", "ResourceRecordSet": self._old(hosted, change.old)}
                )
            if change.new is not None:
                creates.append(
                    {"Action": "CREATE", "ResourceRecordSet": self._render(hosted, change.new)}
                )
        return Prepared(group, tuple(deletes), tuple(creates))

    def _ttl_only_alias_update(self, hosted: HostedZone, change: Change) -> bool:
        """Route53 aliases have no TTL: an update of the TTL alone changes nothing there."""
        if change.old is None or change.new is None or not change.new.is_alias:
            return False
        return self._render(hosted, change.old) == self._render(hosted, change.new)

    def _remember(self, zone: DomainName, hosted: HostedZone, applied: Sequence[Prepared]) -> None:
        listed = self._listed.get(zone)
        if listed is None:
            return
        for member in applied:
            for change in member.group:
                if change.action is Action.DELETE:
                    listed.pop(change.key, None)
                elif change.new is not None:
                    listed[change.key] = self._render(hosted, change.new)


def _send(api: Route53Api, hosted: HostedZone, changes: list[Element]) -> None:
    change_id = api.change(hosted.id, changes)
    log.info("zone %s: Route53 accepted %d changes (%s)", hosted.name.fqdn, len(changes), change_id)


def _names(group: ChangeGroup) -> str:
    return ", ".join(sorted({f"{c.name.fqdn} {c.rtype.value}" for c in group}))


def _refuse_unreadable_cut(zone: DomainName, skipped: Skipped) -> None:
    """An NS or DNAME we cannot read hides where the zone is cut: refuse to plan blind."""
    if skipped.rtype not in {t.value for t in CUT_TYPES}:
        return
    try:
        DomainName.parse(decode_name(skipped.name))
    except InvalidNameError:
        return  # no name of ours can be at or below an owner name we cannot even hold
    raise ProviderError(
        f"zone {zone.fqdn}: {skipped.name} {skipped.rtype} {skipped.reason}; the names below "
        "it cannot be kept apart, so the zone is not planned"
    )
