"""What moto does not check: the real API's errors, through botocore's Stubber.

Every canned error is a real Route53 error body (the XML Route53 sends), parsed by
botocore's own response parser, so the provider sees exactly what it would see from AWS.
"""

from __future__ import annotations

import datetime
import itertools
import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.parsers import RestXMLParser
from botocore.stub import Stubber
from dnssync_route53.options import Settings
from dnssync_route53.provider import Route53Provider
from dnssync_route53.ratelimit import TokenBucket
from dnssync_route53.retry import Backoff

from dnssync.errors import ProviderError
from dnssync.model.changes import ChangeGroup
from dnssync.model.names import DomainName
from dnssync.testing.builders import create, delete, ownership_txt, rrset, update
from tests.providers.route53.r53_helpers import SimulatedClock, simulated_bucket

ZONE = DomainName.parse("example.com")
ZONE_ID = "Z0123456789ABCDEFGHIJ"
NS = "https://route53.amazonaws.com/doc/2013-04-01/"


def error_body(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>7eb28fd5-9ce6-11e4-a8e8-9f105805808f</RequestId></ErrorResponse>"
    ).encode()


EXISTS = "Tried to create resource record set [name='{}', type='{}'] but it already exists"
NOT_FOUND = "Tried to delete resource record set [name='{}', type='{}'] but it was not found"
CNAME_CONFLICT = (
    "RRSet of type CNAME with DNS name {} is not permitted as it conflicts with other records "
    "with the same DNS name in zone example.com."
)
THROTTLING = error_body("Throttling", "Rate exceeded")
PRIOR_REQUEST = error_body(
    "PriorRequestNotComplete",
    "The request was rejected because Route 53 was still processing a prior request.",
)


class Canned:
    """A Stubber whose errors come from real Route53 XML bodies."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "route53",
            region_name="us-east-1",
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        self.stub = Stubber(self.client)
        self._parser = RestXMLParser()
        self._shape = self.client.meta.service_model.operation_model(
            "ChangeResourceRecordSets"
        ).output_shape

    def error(self, method: str, body: bytes, status: int = 400, **expected: Any) -> None:
        parsed = self._parser.parse(
            {"status_code": status, "headers": {}, "body": body}, self._shape
        )
        error = parsed["Error"]
        self.stub.add_client_error(
            method,
            service_error_code=error["Code"],
            service_message=error["Message"],
            http_status_code=status,
            service_error_meta={k: v for k, v in error.items() if k not in ("Code", "Message")},
            response_meta=parsed.get("ResponseMetadata"),
            expected_params=expected or None,
        )

    def rejected(self, *messages: str, **expected: Any) -> None:
        text = messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"
        self.error(
            "change_resource_record_sets", error_body("InvalidChangeBatch", text), **expected
        )

    def zones(self, *zones: tuple[str, str, bool]) -> None:
        self.stub.add_response(
            "list_hosted_zones",
            {
                "HostedZones": [
                    {
                        "Id": f"/hostedzone/{zid}",
                        "Name": name,
                        "CallerReference": zid,
                        "Config": {"PrivateZone": private},
                    }
                    for zid, name, private in zones
                ],
                "Marker": "",
                "IsTruncated": False,
                "MaxItems": "100",
            },
        )

    def accepted(self, **expected: Any) -> None:
        self.stub.add_response(
            "change_resource_record_sets",
            {
                "ChangeInfo": {
                    "Id": "/change/C2682N5HXP0BZ4",
                    "Status": "PENDING",
                    "SubmittedAt": datetime.datetime(2026, 11, 24, tzinfo=datetime.UTC),
                }
            },
            expected_params=expected or None,
        )


@pytest.fixture
def canned() -> Iterator[Canned]:
    stubbed = Canned()
    stubbed.zones((ZONE_ID, "example.com.", False))
    with stubbed.stub:
        yield stubbed
    stubbed.stub.assert_no_pending_responses()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def provider_for(
    canned: Canned,
    sleeps: Sleeps | None = None,
    bucket: TokenBucket | None = None,
    **settings: Any,
) -> Route53Provider:
    backoff = Backoff(sleep=sleeps if sleeps is not None else Sleeps(), rng=random.Random(7))
    return Route53Provider(
        Settings(**settings),
        client=canned.client,
        backoff=backoff,
        bucket=bucket or simulated_bucket(),
    )


def batch(*changes: dict[str, Any]) -> dict[str, Any]:
    return {"HostedZoneId": ZONE_ID, "ChangeBatch": {"Changes": list(changes)}}


def a_set(name: str, *values: str, ttl: int = 300) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": "A",
        "TTL": ttl,
        "ResourceRecords": [{"Value": v} for v in values],
    }


def groups_named(*labels: str) -> list[ChangeGroup]:
    out = []
    for i, label in enumerate(labels):
        record = rrset(f"{label}.example.com", "A", f"192.0.2.{i + 1}")
        out.append(
            create(ZONE, record, ownership_txt(record.name.text, "A", f"service/ns/{label}"))
        )
    return out


# -- throttling -----------------------------------------------------------------------------


def test_throttling_is_retried_with_backoff_and_counted(canned: Canned) -> None:
    canned.error("change_resource_record_sets", THROTTLING)
    canned.error("change_resource_record_sets", PRIOR_REQUEST)
    canned.accepted()
    sleeps = Sleeps()
    provider = provider_for(canned, sleeps)
    result = provider.apply(ZONE, groups_named("a"))
    assert result.ok and len(result.applied) == 1
    assert provider.requests.counts[("change", "throttled")] == 2
    assert provider.requests.counts[("change", "ok")] == 1
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0  # jittered, growing


def test_a_throttle_holds_the_whole_process_off_for_the_backoff(canned: Canned) -> None:
    """Every request takes the bucket (the Stubber answers at before-call, after it); a
    throttled one pushes the next request of any caller back by the backoff delay."""
    canned.error("change_resource_record_sets", THROTTLING)
    canned.error("change_resource_record_sets", THROTTLING)
    canned.accepted()
    clock = SimulatedClock()
    granted: list[float] = []
    sleeps = Sleeps()
    bucket = simulated_bucket(5, clock, granted)
    provider = provider_for(canned, sleeps, bucket)
    assert provider.apply(ZONE, groups_named("a")).ok
    # ListHostedZones, then the change three times.
    assert len(granted) == 4 == sum(provider.requests.counts.values())
    gaps = [b - a for a, b in itertools.pairwise(granted)]
    assert gaps[0] == pytest.approx(0.2)
    assert gaps[1] == pytest.approx(max(0.2, sleeps[0]))
    assert gaps[2] == pytest.approx(max(0.2, sleeps[1]))
    assert sleeps[1] > sleeps[0] >= 0.5


def test_another_provider_of_the_process_waits_out_a_throttle(canned: Canned) -> None:
    canned.error("change_resource_record_sets", THROTTLING)
    canned.accepted()
    clock = SimulatedClock()
    granted: list[float] = []
    bucket = simulated_bucket(5, clock, granted)
    other_aws = Canned()
    other_aws.zones((ZONE_ID, "example.com.", False))
    other = provider_for(other_aws, bucket=bucket)
    backoffs: list[float] = []

    def meanwhile(seconds: float) -> None:
        """While the throttled caller backs off, another one of the process sends."""
        backoffs.append(seconds)
        with other_aws.stub:
            assert other.zones() == (ZONE,)

    backoff = Backoff(sleep=meanwhile, rng=random.Random(7))
    provider = Route53Provider(Settings(), client=canned.client, backoff=backoff, bucket=bucket)
    assert provider.apply(ZONE, groups_named("a")).ok
    # zones, the throttled change, the other provider's zones, the retried change
    assert len(granted) == 4
    assert granted[2] - granted[1] == pytest.approx(backoffs[0])
    assert granted[3] - granted[2] == pytest.approx(0.2)


def test_http_400_rate_exceeded_without_a_known_code_is_a_throttle(canned: Canned) -> None:
    canned.error("change_resource_record_sets", error_body("ThrottlingException", "Rate exceeded"))
    canned.accepted()
    provider = provider_for(canned)
    assert provider.apply(ZONE, groups_named("a")).ok
    assert provider.requests.counts[("change", "throttled")] == 1


def test_throttling_that_never_ends_is_bounded(canned: Canned) -> None:
    for _ in range(5):
        canned.error("change_resource_record_sets", THROTTLING)
    sleeps = Sleeps()
    provider = provider_for(canned, sleeps)
    with pytest.raises(ProviderError, match="kept throttling ChangeResourceRecordSets"):
        provider.apply(ZONE, groups_named("a"))
    assert provider.requests.counts[("change", "throttled")] == 5
    assert len(sleeps) == 4 and sum(sleeps) <= Backoff().longest_total


def test_throttling_after_some_batches_reports_the_rest(canned: Canned) -> None:
    canned.accepted()
    for _ in range(5):
        canned.error("change_resource_record_sets", THROTTLING)
    provider = provider_for(canned, limits=Settings().limits.__class__(changes=2))
    groups = groups_named("a", "b")
    result = provider.apply(ZONE, groups)
    assert result.applied == (groups[0],)
    (failure,) = result.failed
    assert failure.group == groups[1]
    assert "b.example.com. A" in failure.message and "kept throttling" in failure.message


def test_throttled_listing_resumes_where_it_stopped(canned: Canned) -> None:
    page1 = {
        "ResourceRecordSets": [a_set("a.example.com.", "192.0.2.1")],
        "IsTruncated": True,
        "NextRecordName": "b.example.com.",
        "NextRecordType": "A",
        "MaxItems": "300",
    }
    page2 = {
        "ResourceRecordSets": [a_set("b.example.com.", "192.0.2.2")],
        "IsTruncated": False,
        "MaxItems": "300",
    }
    first = {"HostedZoneId": ZONE_ID, "MaxItems": "300"}
    following = {**first, "StartRecordName": "b.example.com.", "StartRecordType": "A"}
    canned.stub.add_response("list_resource_record_sets", page1, first)
    canned.error("list_resource_record_sets", THROTTLING, **following)
    canned.stub.add_response("list_resource_record_sets", page2, following)
    provider = provider_for(canned)
    names = [r.name.text for r in provider.records(ZONE)]
    assert names == ["a.example.com", "b.example.com"]
    assert provider.requests.counts[("list", "ok")] == 2
    assert provider.requests.counts[("list", "throttled")] == 1


# -- rejected batches -------------------------------------------------------------------------


def test_record_exists_is_isolated_by_name(canned: Canned) -> None:
    groups = groups_named("a", "b", "c", "d")
    canned.rejected(EXISTS.format("c.example.com.", "A"))
    canned.accepted()  # a, b, d together
    canned.rejected(EXISTS.format("c.example.com.", "A"))  # c alone
    provider = provider_for(canned)
    result = provider.apply(ZONE, groups)
    assert result.applied == (groups[0], groups[1], groups[3])
    (failure,) = result.failed
    assert failure.group == groups[2] and failure.conflict
    assert failure.message == (
        "a-c.example.com. TXT, c.example.com. A: Route53 rejected the change: "
        "Tried to create resource record set [name='c.example.com.', type='A'] but it already "
        "exists"
    )
    assert provider.requests.counts[("change", "rejected")] == 2
    assert provider.requests.total("change") == 3


def test_several_messages_name_several_groups(canned: Canned) -> None:
    good = groups_named("a", "b")
    stale = rrset("old.example.com", "A", "192.0.2.50")
    gone = delete(ZONE, stale, ownership_txt("old.example.com", "A", "service/ns/old"))
    clash = create(ZONE, rrset("x.example.com", "CNAME", "lb.example.net."))
    canned.rejected(
        NOT_FOUND.format("old.example.com.", "A"),
        CNAME_CONFLICT.format("x.example.com."),
    )
    canned.accepted()
    canned.rejected(NOT_FOUND.format("old.example.com.", "A"))
    canned.rejected(CNAME_CONFLICT.format("x.example.com."))
    result = provider_for(canned).apply(ZONE, [good[0], gone, clash, good[1]])
    assert set(result.applied) == set(good)
    messages = {f.group: f.message for f in result.failed}
    assert "but it was not found" in messages[gone]
    assert "old.example.com. A" in messages[gone]
    assert "conflicts with other records" in messages[clash]
    assert "x.example.com. CNAME" in messages[clash]
    assert all(f.conflict for f in result.failed)


def test_bisection_when_the_message_names_nothing(canned: Canned) -> None:
    groups = groups_named("a", "b", "c", "d")
    odd = "Invalid Resource Record: 'FATAL problem: DomainLabelEmpty encountered with '''"
    canned.rejected(odd)  # a b c d
    canned.accepted()  # a b
    canned.rejected(odd)  # c d
    canned.rejected(odd)  # c
    canned.accepted()  # d
    provider = provider_for(canned)
    result = provider.apply(ZONE, groups)
    assert result.applied == (groups[0], groups[1], groups[3])
    (failure,) = result.failed
    assert failure.group == groups[2] and not failure.conflict
    assert "c.example.com. A" in failure.message and "DomainLabelEmpty" in failure.message
    assert provider.requests.total("change") == 5


def test_update_is_sent_as_delete_then_create_deletes_first(canned: Canned) -> None:
    old = rrset("web.example.com", "A", "192.0.2.1", ttl=300)
    new = rrset("web.example.com", "A", "192.0.2.2", "192.0.2.3", ttl=60)
    gone = rrset("gone.example.com", "A", "192.0.2.9")
    fresh = rrset("fresh.example.com", "A", "192.0.2.8")
    canned.accepted(
        **batch(
            {"Action": "DELETE", "ResourceRecordSet": a_set("gone.example.com.", "192.0.2.9")},
            {"Action": "DELETE", "ResourceRecordSet": a_set("web.example.com.", "192.0.2.1")},
            {
                "Action": "CREATE",
                "ResourceRecordSet": a_set("web.example.com.", "192.0.2.2", "192.0.2.3", ttl=60),
            },
            {"Action": "CREATE", "ResourceRecordSet": a_set("fresh.example.com.", "192.0.2.8")},
        )
    )
    groups = [create(ZONE, fresh), update(ZONE, old, new), delete(ZONE, gone)]
    assert provider_for(canned).apply(ZONE, groups).ok


def test_stale_update_is_a_conflict_reported_by_name(canned: Canned) -> None:
    old = rrset("web.example.com", "A", "192.0.2.1")
    new = rrset("web.example.com", "A", "192.0.2.2")
    canned.rejected(NOT_FOUND.format("web.example.com.", "A"))
    result = provider_for(canned).apply(ZONE, [update(ZONE, old, new)])
    (failure,) = result.failed
    assert failure.conflict and not result.applied
    assert failure.message.startswith("web.example.com. A: Route53 rejected the change: ")


# -- clear errors -----------------------------------------------------------------------------


def test_access_denied_names_the_operation(canned: Canned) -> None:
    canned.error(
        "change_resource_record_sets",
        error_body(
            "AccessDenied",
            "User: arn:aws:sts::123456789012:assumed-role/dnssync/i-0abc is not authorized to "
            f"perform: route53:ChangeResourceRecordSets on resource: "
            f"arn:aws:route53:::hostedzone/{ZONE_ID}",
        ),
        status=403,
    )
    provider = provider_for(canned)
    with pytest.raises(ProviderError) as caught:
        provider.apply(ZONE, groups_named("a"))
    text = str(caught.value)
    assert text.startswith("access denied for Route53 ChangeResourceRecordSets: User: arn:aws:sts")
    assert provider.requests.counts[("change", "error")] == 1


def test_bad_credentials_never_leak(canned: Canned) -> None:
    canned.error(
        "change_resource_record_sets",
        error_body(
            "InvalidClientTokenId", "The security token included in the request is invalid."
        ),
        status=403,
    )
    with pytest.raises(ProviderError) as caught:
        provider_for(canned).apply(ZONE, groups_named("a"))
    text = str(caught.value)
    assert "AWS rejected the credentials" in text and "AWS_PROFILE" in text
    assert "AKIDEXAMPLE" not in text and "wJalrXUtnFEMI" not in text
    assert caught.value.__cause__ is None and caught.value.__context__ is not None


def test_zone_deleted_under_us(canned: Canned) -> None:
    canned.error(
        "change_resource_record_sets",
        error_body("NoSuchHostedZone", f"No hosted zone found with ID: {ZONE_ID}"),
        status=404,
    )
    canned.zones()  # the cache was dropped: the next call lists the zones again
    provider = provider_for(canned)
    with pytest.raises(ProviderError, match="hosted zone not found"):
        provider.apply(ZONE, groups_named("a"))
    assert provider.zones() == ()
