"""The narrow, typed slice of the Route53 API that dnssync uses (boto3 is untyped).

Everything that talks to AWS goes through :class:`Route53Api`, which

- builds the client from boto3's own chain (credentials, region, ``AWS_ENDPOINT_URL_ROUTE_53``)
  with botocore's standard retry mode;
- counts every request in the provider's :class:`RequestCounter` by operation and result
  (``ok``, ``throttled``, ``rejected``, ``error``, and ``retried`` for the attempts
  botocore repeated inside one call);
- takes the process's :class:`TokenBucket` before every HTTP request (``ratelimit``);
- retries throttling (``Throttling``, ``PriorRequestNotComplete``, HTTP 400 "Rate
  exceeded") that botocore gave up on, with jittered bounded backoff;
- turns errors into :class:`ProviderError` messages without secrets, and a rejected change
  batch into :class:`BatchRejected` with Route53's messages.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

from dnssync.errors import ProviderError
from dnssync.providers.base import RequestCounter

from .ratelimit import TokenBucket, attach
from .rejections import REJECTION_CODES, BatchRejected, ZoneGone, split_messages
from .retry import Backoff

log = logging.getLogger(__name__)

PAGE_SIZE = 300
TAG_BATCH = 10  # ListTagsForResources takes at most 10 ids

THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "PriorRequestNotComplete",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
    }
)
CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "MissingAuthenticationToken",
        "IncompleteSignature",
    }
)
ACCESS_CODES = frozenset({"AccessDenied", "AccessDeniedException"})

Raw = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ZoneInfo:
    id: str  # bare id, without "/hostedzone/"
    name: str  # as Route53 spells it, with the trailing dot
    private: bool


def make_client() -> Any:
    """A route53 client from boto3's default chain, with standard retries."""
    config = botocore.config.Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=10,
        read_timeout=60,
        user_agent_extra="dnssync-route53",
    )
    try:
        client = boto3.session.Session().client("route53", config=config)
    except botocore.exceptions.BotoCoreError as exc:
        raise ProviderError(f"cannot set up the Route53 client: {redact(str(exc))}") from None
    register_customizations(client)
    return client


def register_customizations(client: Any) -> None:
    client.meta.events.register(
        "before-parse.route53.ChangeResourceRecordSets",
        recover_invalid_change_batch,
        unique_id="dnssync-route53-invalid-change-batch",
    )


def recover_invalid_change_batch(
    response_dict: Mapping[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    """Route53 may answer ``<InvalidChangeBatch><Messages><Message>...`` instead of the usual
    ``<ErrorResponse><Error>``; botocore then loses code and messages. Put them back."""
    if int(response_dict.get("status_code", 200)) < 300:
        return
    body = response_dict.get("body") or b""
    if b"InvalidChangeBatch" not in body[:400]:
        return
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return
    if root.tag.rsplit("}", 1)[-1] != "InvalidChangeBatch":
        return
    messages = [
        (m.text or "").strip() for m in root.iter() if m.tag.rsplit("}", 1)[-1] == "Message"
    ]
    customized_response_dict["Error"] = {
        "Code": "InvalidChangeBatch",
        "Message": "; ".join(m for m in messages if m),
        "Messages": messages,
    }


_USERINFO = re.compile(r"(?<=//)[^/@\s]+@")


def redact(text: str) -> str:
    """Drop user:password@ from URLs in botocore messages."""
    return _USERINFO.sub("***@", text)


def error_code(response: Mapping[str, Any]) -> str:
    return str(response.get("Error", {}).get("Code") or "")


def is_throttle(response: Mapping[str, Any]) -> bool:
    error = response.get("Error", {})
    if error_code(response) in THROTTLE_CODES:
        return True
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status in (400, 429) and "rate exceeded" in str(error.get("Message", "")).lower()


def rejection_messages(response: Mapping[str, Any]) -> list[str]:
    error = response.get("Error", {})
    listed = error.get("Messages")
    if isinstance(listed, list) and listed:
        return [str(m) for m in listed]
    return list(split_messages(str(error.get("Message", ""))))


class Route53Api:
    def __init__(
        self,
        client: Any,
        counter: RequestCounter,
        backoff: Backoff | None = None,
        bucket: TokenBucket | None = None,
    ) -> None:
        self._client = client
        self._counter = counter
        self._backoff = backoff or Backoff()
        self._bucket = bucket
        if bucket is not None:
            attach(client, bucket)

    def close(self) -> None:
        close = getattr(self._client, "close", None)
        if callable(close):
            close()

    # -- zones -------------------------------------------------------------------------

    def list_zones(self) -> list[ZoneInfo]:
        zones: list[ZoneInfo] = []
        for page in self._paginate("list_zones", "list_hosted_zones", {}, _zones_resume):
            zones.extend(_zone_info(raw) for raw in page.get("HostedZones", ()))
        return zones

    def zone_tags(self, zone_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        tags: dict[str, dict[str, str]] = {}
        for start in range(0, len(zone_ids), TAG_BATCH):
            chunk = list(zone_ids[start : start + TAG_BATCH])

            def fetch(ids: list[str] = chunk) -> Raw:
                return dict(
                    self._client.list_tags_for_resources(ResourceType="hostedzone", ResourceIds=ids)
                )

            answer = self._call("list_tags", fetch)
            for tag_set in answer.get("ResourceTagSets", ()):
                tags[str(tag_set["ResourceId"])] = {
                    str(t["Key"]): str(t.get("Value", "")) for t in tag_set.get("Tags", ())
                }
        return tags

    def get_zone(self, zone_id: str) -> ZoneInfo:
        answer = self._call("get_zone", lambda: self._client.get_hosted_zone(Id=zone_id))
        return _zone_info(answer["HostedZone"])

    # -- records -----------------------------------------------------------------------

    def record_sets(self, zone_id: str) -> Iterator[Raw]:
        """Every ResourceRecordSet of the zone, through the paginator, 300 a page."""
        kwargs = {"HostedZoneId": zone_id, "PaginationConfig": {"PageSize": PAGE_SIZE}}
        for page in self._paginate("list", "list_resource_record_sets", kwargs, _records_resume):
            yield from page.get("ResourceRecordSets", ())

    def change(self, zone_id: str, changes: list[Raw]) -> str:
        """Apply one change batch; returns the change id. Raises BatchRejected."""
        answer = self._call(
            "change",
            lambda: self._client.change_resource_record_sets(
                HostedZoneId=zone_id, ChangeBatch={"Changes": changes}
            ),
        )
        return str(answer.get("ChangeInfo", {}).get("Id", ""))

    # -- plumbing ----------------------------------------------------------------------

    def _call(self, operation: str, fn: Callable[[], Raw]) -> Raw:
        delays = self._backoff.delays()
        while True:
            try:
                result = fn()
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
                self._backoff.sleep(self._failed(operation, exc, delays))
                continue
            self._succeeded(operation, result)
            return result

    def _paginate(
        self,
        operation: str,
        method: str,
        kwargs: dict[str, Any],
        resume: Callable[[Raw], dict[str, str]],
    ) -> Iterator[Raw]:
        """Pages from a boto3 paginator; each page request is counted, and a throttled
        one is retried by restarting the paginator where it stopped."""
        delays = self._backoff.delays()
        paginator = self._client.get_paginator(method)
        start: dict[str, str] = {}
        while True:
            try:
                for page in paginator.paginate(**kwargs, **start):
                    self._succeeded(operation, page)
                    yield page
                    start = resume(page)
                return
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
                self._backoff.sleep(self._failed(operation, exc, delays))

    def _succeeded(self, operation: str, response: Mapping[str, Any]) -> None:
        self._count_retries(operation, response)
        self._counter.count(operation, "ok")

    def _failed(self, operation: str, exc: Exception, delays: Iterator[float]) -> float:
        """Count a failed request; the delay before retrying it, or raise the mapped error."""
        if isinstance(exc, botocore.exceptions.BotoCoreError):
            self._counter.count(operation, "error")
            raise ProviderError(describe_botocore_error(operation, exc)) from None
        assert isinstance(exc, botocore.exceptions.ClientError)
        response: Mapping[str, Any] = exc.response
        self._count_retries(operation, response)
        code = error_code(response)
        if is_throttle(response):
            self._counter.count(operation, "throttled")
            delay = next(delays, None)
            if delay is None:
                raise ProviderError(
                    f"Route53 kept throttling {exc.operation_name} ({code or 'Rate exceeded'}) "
                    f"after {self._backoff.attempts} attempts with backoff; the account's "
                    "request rate (5/s) is shared by every client of the account"
                ) from None
            log.info("Route53 throttled %s (%s); retrying in %.1fs", operation, code, delay)
            if self._bucket is not None:
                self._bucket.hold_off(delay)  # every request of the process waits, not just this
            return delay
        if code in REJECTION_CODES:
            self._counter.count(operation, "rejected")
            raise BatchRejected(code, rejection_messages(response)) from None
        self._counter.count(operation, "error")
        if code == "NoSuchHostedZone":
            raise ZoneGone(describe_client_error(exc.operation_name, response)) from None
        raise ProviderError(describe_client_error(exc.operation_name, response)) from None

    def _count_retries(self, operation: str, response: Mapping[str, Any]) -> None:
        retries = int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0)
        for _ in range(retries):
            self._counter.count(operation, "retried")


def _zone_info(raw: Mapping[str, Any]) -> ZoneInfo:
    return ZoneInfo(
        str(raw["Id"]).rsplit("/", 1)[-1],
        str(raw["Name"]),
        bool(raw.get("Config", {}).get("PrivateZone", False)),
    )


def _zones_resume(page: Raw) -> dict[str, str]:
    return {"Marker": str(page["NextMarker"])} if page.get("NextMarker") else {}


def _records_resume(page: Raw) -> dict[str, str]:
    pairs = (
        ("StartRecordName", "NextRecordName"),
        ("StartRecordType", "NextRecordType"),
        ("StartRecordIdentifier", "NextRecordIdentifier"),
    )
    return {start: str(page[nxt]) for start, nxt in pairs if page.get(nxt)}


def describe_client_error(operation: str, response: Mapping[str, Any]) -> str:
    code = error_code(response)
    message = redact(str(response.get("Error", {}).get("Message", "")))
    if code in CREDENTIAL_CODES:
        return (
            f"AWS rejected the credentials for Route53 {operation} ({code}); check "
            "AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the pod's IAM role (IRSA)"
        )
    if code in ACCESS_CODES:
        return f"access denied for Route53 {operation}: {message}"
    if code == "NoSuchHostedZone":
        return f"Route53 hosted zone not found ({operation}): {message}"
    return f"Route53 {operation} failed: {code or 'error'}: {message}"


def describe_botocore_error(operation: str, exc: botocore.exceptions.BotoCoreError) -> str:
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return (
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY, or run with an IAM role (IRSA, instance profile)"
        )
    if isinstance(
        exc,
        (
            botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectTimeoutError,
            botocore.exceptions.ReadTimeoutError,
        ),
    ):
        return f"cannot reach Route53 ({operation}): {redact(str(exc))}"
    return f"Route53 {operation} failed: {type(exc).__name__}: {redact(str(exc))}"
