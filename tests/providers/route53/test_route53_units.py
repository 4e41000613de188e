"""Pure parts of the Route53 provider: options, LB zone table, messages, weights, TXT."""

from __future__ import annotations

import http.server
import random
import threading
from collections.abc import Iterator

import boto3
import botocore.config
import pytest
from dnssync_route53.aliases import load_balancer_zone, without_dualstack
from dnssync_route53.api import Route53Api, register_customizations
from dnssync_route53.batching import Prepared, Weight, lower_bound, pack, weigh
from dnssync_route53.convert import decode_name, parse_txt, render_txt, to_route53
from dnssync_route53.options import BatchLimits, TagFilter, parse_settings
from dnssync_route53.rejections import BatchRejected, named_in, split_messages
from dnssync_route53.retry import Backoff
from hypothesis import given
from hypothesis import strategies as st

from dnssync.errors import ConfigError
from dnssync.model.names import DomainName
from dnssync.model.records import Alias, RecordType, RRset, Text
from dnssync.providers.base import RequestCounter
from dnssync.testing.builders import create, delete, rrset
from tests.providers.route53.r53_helpers import simulated_bucket

ZONE = DomainName.parse("example.com")


# -- options ----------------------------------------------------------------------------------


def test_defaults_are_route53_limits() -> None:
    settings = parse_settings({})
    assert settings.limits == BatchLimits(1000, 1000, 32000)
    assert settings.zone_type is None and not settings.zone_tags
    assert settings.evaluate_target_health is True


def test_options_from_the_cli() -> None:
    settings = parse_settings(
        {
            "aws_zone_type": "private",
            "aws_zone_tags": ("team=dns,env=prod", "owned"),
            "aws_batch_change_size": "500",
            "aws_batch_change_size_bytes": 16000,
            "aws_batch_change_size_values": 200,
            "aws_evaluate_target_health": False,
        }
    )
    assert settings.zone_type == "private"
    assert settings.zone_tags == TagFilter((("team", "dns"), ("env", "prod"), ("owned", None)))
    assert settings.limits == BatchLimits(500, 200, 16000)
    assert settings.evaluate_target_health is False


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"aws_zone_type": "both"}, "--aws-zone-type"),
        ({"aws_batch_change_size": 1001}, "between 1 and Route53's limit 1000"),
        ({"aws_batch_change_size_bytes": 0}, "--aws-batch-change-size-bytes"),
        ({"aws_batch_change_size_values": "many"}, "must be an integer"),
        ({"aws_zone_tags": ("=x",)}, "has no key"),
    ],
)
def test_bad_options_are_config_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_settings(options)  # type: ignore[arg-type]


def test_tag_filter() -> None:
    wanted = TagFilter((("team", "dns"), ("owned", None)))
    assert wanted.matches({"team": "dns", "owned": ""})
    assert not wanted.matches({"team": "web", "owned": "x"})
    assert not wanted.matches({"team": "dns"})


# -- LB hosted zones --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hostname", "zone_id"),
    [
        ("my-lb-1234567890.us-east-1.elb.amazonaws.com", "Z35SXDOTRQ7X7K"),
        ("dualstack.my-lb-1234567890.us-east-1.elb.amazonaws.com", "Z35SXDOTRQ7X7K"),
        ("internal-my-lb-1234.eu-central-1.elb.amazonaws.com", "Z215JYRZR1TBD5"),
        ("web-abc.us-west-2.elb.amazonaws.com", "Z1H1FL5HABSF5"),
        ("net-0123456789abcdef.elb.us-west-2.amazonaws.com", "Z18D5FSROUN65G"),
        ("kdc-tcp-1234567890.elb.us-east-1.amazonaws.com", "Z26RNL4JYFTOTI"),
        ("net-1.elb.cn-north-1.amazonaws.com.cn", "Z3QFB96KMJ7ED6"),
        ("web-1.cn-northwest-1.elb.amazonaws.com.cn", "ZM7IZAIOVVDZF"),
        ("web-1.xx-nowhere-9.elb.amazonaws.com", None),
        ("lb.example.net", None),
        ("elb.amazonaws.com.example.net", None),
    ],
)
def test_load_balancer_zones(hostname: str, zone_id: str | None) -> None:
    assert load_balancer_zone(DomainName.parse(hostname)) == zone_id


def test_dualstack_prefix_is_dropped_only_for_load_balancers() -> None:
    lb = DomainName.parse("dualstack.web-1.us-east-1.elb.amazonaws.com")
    assert without_dualstack(lb).text == "web-1.us-east-1.elb.amazonaws.com"
    other = DomainName.parse("dualstack.example.net")
    assert without_dualstack(other) == other


def test_alias_rendering_fills_in_zone_id_and_health() -> None:
    target = DomainName.parse("web-1.eu-west-2.elb.amazonaws.com")
    rendered = to_route53(
        RRset.of(ZONE, RecordType.AAAA, 300, [Alias(target)]),
        zone_id="/hostedzone/ZSELF",
        zone=ZONE,
        evaluate_target_health=True,
    )
    assert rendered == {
        "Name": "example.com.",
        "Type": "AAAA",
        "AliasTarget": {
            "HostedZoneId": "ZHURV8PSTC4K8",
            "DNSName": "web-1.eu-west-2.elb.amazonaws.com.",
            "EvaluateTargetHealth": True,
        },
    }
    same_zone = to_route53(
        RRset.of(ZONE, RecordType.A, 300, [Alias(DomainName.parse("www.example.com"))]),
        zone_id="/hostedzone/ZSELF",
        zone=ZONE,
        evaluate_target_health=False,
    )
    assert same_zone["AliasTarget"]["HostedZoneId"] == "ZSELF"


# -- TXT and names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "strings"),
    [
        (
            '"heritage=external-dns,external-dns/owner=x"',
            (b"heritage=external-dns,external-dns/owner=x",),
        ),
        ('"a \\"quoted\\" value"', (b'a "quoted" value',)),
        ('"back\\\\slash"', (b"back\\slash",)),
        ('"first" "second"', (b"first", b"second")),
        ('"octal\\040space\\073"', (b"octal space;",)),
        ('"caf\\303\\251" "\\000\\377"', (b"caf\xc3\xa9", b"\x00\xff")),
        ("bare", (b"bare",)),
    ],
)
def test_txt_values_from_route53(raw: str, strings: tuple[bytes, ...]) -> None:
    assert parse_txt(raw) == Text(strings)


def test_txt_rendering_round_trips() -> None:
    for text in ('a "quoted" \\ value', "x" * 600, "tab\there", ""):
        rendered = render_txt(Text.of(text))
        assert parse_txt(rendered) == Text.of(text)
    assert render_txt(Text.of("x" * 300)).count('" "') == 1  # split at 255
    assert render_txt(Text((b"caf\xc3\xa9", b'\x00"'))) == '"caf\\303\\251" "\\000\\""'


def test_octal_escapes_in_names() -> None:
    assert decode_name("\\052.example.com.") == "*.example.com."
    assert decode_name("a\\055b.example.com.") == "a-b.example.com."


# -- Route53's messages -----------------------------------------------------------------------


def test_messages_in_brackets_are_split() -> None:
    joined = (
        "[Tried to create resource record set [name='a.example.com.', type='A'] but it "
        "already exists, Tried to delete resource record set [name='b.example.com.', "
        "type='TXT'] but it was not found]"
    )
    assert split_messages(joined) == (
        "Tried to create resource record set [name='a.example.com.', type='A'] but it already "
        "exists",
        "Tried to delete resource record set [name='b.example.com.', type='TXT'] but it was not "
        "found",
    )
    plain = "Tried to create resource record set [name='a.', type='A'] but it already exists"
    assert split_messages(plain) == (plain,)


@pytest.mark.parametrize(
    ("message", "name", "rtype"),
    [
        (
            "Tried to create resource record set [name='x.example.com.', type='A'] but it "
            "already exists",
            "x.example.com",
            RecordType.A,
        ),
        (
            "Tried to delete resource record set [name='\\052.example.com.', type='TXT'] but "
            "it was not found",
            "*.example.com",
            RecordType.TXT,
        ),
        (
            "RRSet of type CNAME with DNS name x.example.com. is not permitted as it conflicts "
            "with other records with the same DNS name in zone example.com.",
            "x.example.com",
            RecordType.CNAME,
        ),
        (
            "RRSet with DNS name y.example.com. is not permitted because a conflicting RRSet "
            "of type CNAME with the same DNS name already exists in zone example.com.",
            "y.example.com",
            None,
        ),
        (
            "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and "
            "ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with "
            "[Action=DELETE, Name=z.example.com., Type=AAAA, SetIdentifier=null]",
            "z.example.com",
            RecordType.AAAA,
        ),
        (
            "Tried to create resource record set duplicate.example.com. type A, but it already "
            "exists",
            "duplicate.example.com",
            RecordType.A,
        ),
    ],
)
def test_names_in_messages(message: str, name: str, rtype: RecordType | None) -> None:
    named = named_in([message])
    assert (DomainName.parse(name), rtype) in named.pairs
    assert named.mentions(DomainName.parse(name), rtype or RecordType.A)


def test_conflict_or_not() -> None:
    assert BatchRejected("InvalidChangeBatch", ["... but it was not found"]).conflict
    assert not BatchRejected("InvalidChangeBatch", ["FATAL problem: bad"]).conflict


# -- weights and packing ----------------------------------------------------------------------


def _element(action: str, *values: str) -> dict[str, object]:
    return {
        "Action": action,
        "ResourceRecordSet": {
            "Name": "x.",
            "Type": "TXT",
            "TTL": 1,
            "ResourceRecords": [{"Value": v} for v in values],
        },
    }


def test_upsert_counts_twice() -> None:
    assert weigh(_element("CREATE", "abc", "de")) == Weight(1, 2, 5)
    assert weigh(_element("DELETE", "abc")) == Weight(1, 1, 3)
    assert weigh(_element("UPSERT", "abc", "de")) == Weight(2, 4, 10)


def _member(group_action: str, n: int, chars: int) -> Prepared:
    record = rrset(f"n{n}.example.com", "A", "192.0.2.1")
    group = create(ZONE, record) if group_action == "create" else delete(ZONE, record)
    element = _element("CREATE" if group_action == "create" else "DELETE", "v" * chars)
    if group_action == "create":
        return Prepared(group, (), (element,))
    return Prepared(group, (element,), ())


def test_packing_respects_every_limit_and_puts_deletes_first() -> None:
    limits = BatchLimits(changes=3, values=1000, characters=100)
    members = [_member("create", i, 30) for i in range(4)] + [_member("delete", 9, 50)]
    batches = pack(members, limits)
    assert [len(b.members) for b in batches] == [2, 3]
    assert batches[0].members[0].phase == 0  # the delete went first
    assert all(b.weight.fits(limits) for b in batches)
    assert lower_bound(members, limits) == 2
    elements = batches[0].elements()
    assert [e["Action"] for e in elements] == ["DELETE", "CREATE"]


def test_backoff_is_jittered_and_bounded() -> None:
    backoff = Backoff(attempts=8, base=1.0, cap=10.0, rng=random.Random(1))
    delays = list(backoff.delays())
    assert len(delays) == 7
    for attempt, delay in enumerate(delays):
        step = min(10.0, 2.0**attempt)
        assert step / 2 <= delay <= step
    assert sum(delays) <= backoff.longest_total


# -- Route53's other error shape, over real HTTP ---------------------------------------------------

ROOT_FORM = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<InvalidChangeBatch xmlns="https://route53.amazonaws.com/doc/2013-04-01/">\n'
    b"  <Messages>\n"
    b"    <Message>Tried to create resource record set [name='a.example.com.', type='A'] "
    b"but it already exists</Message>\n"
    b"    <Message>Tried to delete resource record set [name='b.example.com.', type='A'] "
    b"but it was not found</Message>\n"
    b"  </Messages>\n"
    b"  <RequestId>b25f48e8-84fd-11e6-80d9-574e0c4664cb</RequestId>\n"
    b"</InvalidChangeBatch>"
)


@pytest.fixture
def root_form_server() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(400)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(ROOT_FORM)))
            self.end_headers()
            self.wfile.write(ROOT_FORM)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_invalid_change_batch_root_form_keeps_its_messages(root_form_server: str) -> None:
    """botocore alone turns this body into an error without code or messages."""
    client = boto3.client(
        "route53",
        endpoint_url=root_form_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    register_customizations(client)
    api = Route53Api(client, RequestCounter("route53"), Backoff(sleep=lambda _s: None))
    with pytest.raises(BatchRejected) as caught:
        api.change("Z1", [_element("CREATE", '"x"')])
    assert caught.value.code == "InvalidChangeBatch"
    assert len(caught.value.messages) == 2
    assert "but it already exists" in caught.value.messages[0]
    assert caught.value.conflict


THROTTLED = (
    b'<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
    b"<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    b"<RequestId>0d8cf8e2-5b52-4f53-9c9f-3f1b5b1e0c11</RequestId></ErrorResponse>"
)
ACCEPTED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<ChangeResourceRecordSetsResponse '
    b'xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeInfo><Id>/change/C1</Id>'
    b"<Status>PENDING</Status><SubmittedAt>2026-11-24T12:00:00Z</SubmittedAt></ChangeInfo>"
    b"</ChangeResourceRecordSetsResponse>"
)


def test_every_http_request_is_counted_including_botocore_retries() -> None:
    """botocore's standard mode retries a throttle inside one call; those count too."""
    answers = [(400, THROTTLED), (400, THROTTLED), (200, ACCEPTED)]
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append(self.path)
            status, body = answers[min(len(seen), len(answers)) - 1]
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = boto3.client(
            "route53",
            endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 3}),
        )
        counter = RequestCounter("route53")
        granted: list[float] = []
        bucket = simulated_bucket(5, record=granted)
        api = Route53Api(client, counter, Backoff(sleep=lambda _s: None), bucket)
        assert api.change("Z1", [_element("CREATE", '"x"')]) == "/change/C1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert len(seen) == 3
    assert counter.counts[("change", "retried")] == 2
    assert counter.counts[("change", "ok")] == 1
    assert counter.total("change") == len(seen)
    # botocore's own retries took the request bucket too.
    assert len(granted) == len(seen)


def test_listing_the_provider_does_not_import_boto3() -> None:
    """The CLI imports every provider class to list options; boto3 must wait for create()."""
    import subprocess
    import sys

    code = (
        "import sys; from dnssync.providers.registry import load; load('route53'); "
        "print('boto3' in sys.modules or 'botocore' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@given(
    st.lists(
        st.from_regex(r"[a-z0-9*](?:[a-z0-9*-]{0,8}[a-z0-9*])?", fullmatch=True),
        min_size=1,
        max_size=3,
    )
)
def test_star_names_as_route53_lists_them_decode_exactly(labels: list[str]) -> None:
    """Route53 writes every '*' of a name as \\052 in its listings (a wildcard label and
    the ownership TXT of one, a-*.apps, alike); decoding gives the name back."""
    name = ".".join([*labels, "example", "com"]) + "."
    listed = name.replace("*", "\\052")
    assert DomainName.parse(decode_name(listed)) == DomainName.parse(name)
