"""The rfc2136 provider against real servers: BIND9, and Knot DNS for interop.

Most tests run against both servers (``server`` fixture); a few are about one server's
behaviour (BIND's max-records-per-type, stopping BIND in the middle of an apply).
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import math
import os
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import dns.message
import dns.query
import dns.rcode
import dns.tsig
import dns.update
import dns.zone
import pytest
from dnssync_rfc2136.batching import pack
from dnssync_rfc2136.options import MAX_MESSAGE_BYTES, parse_options
from dnssync_rfc2136.provider import Rfc2136Provider
from dnssync_rfc2136.updates import build, overhead

from dnssync.errors import ProviderError
from dnssync.model.changes import ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import Text
from dnssync.testing.builders import create, delete, ownership_txt, rrset, update
from testinfra.bind import BindServer, DnsServer, TsigCredentials
from tests.providers.rfc2136.zone_views import index, truth

pytestmark = pytest.mark.bind

ProviderFor = Callable[..., Rfc2136Provider]


@pytest.fixture(params=["bind", "knot"])
def server(request: pytest.FixtureRequest) -> DnsServer:
    return request.getfixturevalue(f"{request.param}_server")  # type: ignore[no-any-return]


@pytest.fixture
def zone(request: pytest.FixtureRequest, server: DnsServer) -> DomainName:
    allocate: Callable[[], DomainName] = request.getfixturevalue(f"{server.kind}_zones")
    return allocate()


@pytest.fixture
def provider(server: DnsServer, zone: DomainName, provider_for: ProviderFor) -> Iterator[Any]:
    p = provider_for(server, zone)
    yield p
    p.close()


# -- helpers ------------------------------------------------------------------------------


def other_writer(server: DnsServer, zone: DomainName) -> dns.update.UpdateMessage:
    """An UPDATE from someone else (same key: think of a second tool or a person)."""
    message = dns.update.UpdateMessage(zone.fqdn)
    message.use_tsig(server.tsig.dns_key())
    return message


def send(server: DnsServer, message: dns.message.Message) -> str:
    answer = dns.query.tcp(message, server.host, port=server.port, timeout=10)
    return dns.rcode.to_text(answer.rcode())


def owned(zone: DomainName, label: str, rtype: str, *values: str) -> ChangeGroup:
    record = rrset(f"{label}.{zone.text}", rtype, *values)
    return create(zone, record, ownership_txt(record.name.text, rtype, f"service/t/{label}"))


def updates_sent(provider: Rfc2136Provider) -> int:
    return provider.requests.total("update")


def wrong_secret() -> str:
    return base64.b64encode(os.urandom(32)).decode()


# -- reading ------------------------------------------------------------------------------


def test_reads_every_managed_type_srv_included(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    message = other_writer(server, zone)
    message.add("web", 300, "A", "192.0.2.10")
    message.add("web", 300, "AAAA", "2001:db8::10")
    message.add("alias", 300, "CNAME", "web.example.net.")
    message.add("_kerberos._udp", 300, "SRV", "0 100 88 kdc-a.example.net.")
    message.add("_kerberos._udp", 300, "SRV", "10 50 88 kdc-b.example.net.")
    message.add("long", 300, "TXT", '"' + "x" * 255 + '" "tail"')
    message.add("web", 300, "MX", "10 mail.example.net.")
    assert send(server, message) == "NOERROR"
    held = index(provider, zone)
    srv = rrset(
        f"_kerberos._udp.{zone.text}",
        "SRV",
        "0 100 88 kdc-a.example.net.",
        "10 50 88 kdc-b.example.net.",
    )
    assert held[srv.key] == srv
    assert held[rrset(f"web.{zone.text}", "A", "192.0.2.10").key].value_texts() == ["192.0.2.10"]
    assert held[rrset(f"web.{zone.text}", "AAAA", "::1").key].value_texts() == ["2001:db8::10"]
    assert held[rrset(f"alias.{zone.text}", "CNAME", "x.").key].value_texts() == [
        "web.example.net."
    ]
    long_txt = held[rrset(f"long.{zone.text}", "TXT", "x").key]
    assert long_txt.values == (Text((b"x" * 255, b"tail")),)
    assert all(key.rtype.value != "MX" for key in held)


def test_soa_shortcut_skips_the_transfer(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    first = provider.records(zone)
    assert provider.requests.total("axfr") == 1
    assert provider.requests.total("soa") == 0
    axfr_bytes = provider.requests.bytes_received

    provider.requests.reset()
    assert provider.records(zone) == first
    assert provider.requests.total("soa") == 1
    assert provider.requests.total("axfr") == 0
    assert provider.requests.bytes_received < axfr_bytes

    message = other_writer(server, zone)
    message.add("late", 300, "A", "192.0.2.99")
    assert send(server, message) == "NOERROR"
    provider.requests.reset()
    held = index(provider, zone)
    assert rrset(f"late.{zone.text}", "A", "192.0.2.99") in held.values()
    assert provider.requests.total("soa") == 1
    assert provider.requests.total("axfr") == 1


def test_after_apply_the_next_read_is_one_soa_query(
    zone: DomainName, provider: Rfc2136Provider
) -> None:
    provider.records(zone)
    assert provider.apply(zone, [owned(zone, "app", "A", "192.0.2.1")]).ok
    provider.requests.reset()
    held = index(provider, zone)
    assert rrset(f"app.{zone.text}", "A", "192.0.2.1") in held.values()
    # The check after writing advanced the cache: no transfer needed now.
    assert provider.requests.total("axfr") == 0
    assert provider.requests.total("soa") == 1


# -- writing ------------------------------------------------------------------------------


def test_thousand_records_in_few_messages(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    groups = [
        owned(zone, f"host-{i:04d}", "A", f"10.0.{i // 250}.{i % 250 + 1}") for i in range(1000)
    ]
    provider.records(zone)
    provider.requests.reset()
    result = provider.apply(zone, groups)
    assert result.ok, [f.message for f in result.failed[:3]]
    assert len(result.applied) == 1000
    messages = updates_sent(provider)
    # 2,000 RRsets (A + ownership TXT) with their prerequisites: about 150 kB of UPDATE.
    assert messages <= 8, messages
    assert provider.requests.bytes_sent / messages < 65_536
    # Every group kept its guards: one SOA query checks the write, no transfer.
    assert provider.requests.total("axfr") == 0
    assert provider.requests.total("query") == 1
    held = truth(server, zone)
    assert held[f"host-0999.{zone.fqdn} A"] == ["10.0.3.250"]
    assert sum(1 for key in held if key.startswith("a-host-")) == 1000

    provider.requests.reset()
    result = provider.apply(zone, [_delete_of(g) for g in groups])
    assert result.ok
    assert updates_sent(provider) <= 8
    assert not any("host-" in key for key in truth(server, zone))


def _delete_of(group: ChangeGroup) -> ChangeGroup:
    return delete(group.primary.zone, *(c.rrset for c in group))


def test_each_message_stays_under_64k(zone: DomainName, provider: Rfc2136Provider) -> None:
    sizes: list[int] = []
    transport = provider._transport
    original = transport.exchange

    def watching(operation: str, message: dns.message.Message, *args: Any, **kw: Any) -> Any:
        before = provider.requests.bytes_sent
        answer = original(operation, message, *args, **kw)
        sizes.append(provider.requests.bytes_sent - before)
        return answer

    transport.exchange = watching  # type: ignore[method-assign]
    long_values = [f"v={i}-" + "y" * 180 for i in range(40)]
    groups = [owned(zone, f"big{i:03d}", "TXT", *long_values) for i in range(40)]
    result = provider.apply(zone, groups)
    assert result.ok, [f.message for f in result.failed[:2]]
    assert len(sizes) >= 2
    assert max(sizes) < 65_536


def test_create_over_another_writer_is_a_conflict(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    provider.records(zone)  # the planner's read: 'raced' does not exist yet
    message = other_writer(server, zone)
    message.add("raced", 300, "A", "198.51.100.1")
    assert send(server, message) == "NOERROR"
    result = provider.apply(zone, [owned(zone, "raced", "A", "192.0.2.1")])
    (failure,) = result.failed
    assert failure.conflict
    assert "another writer" in failure.message
    held = truth(server, zone)
    assert held[f"raced.{zone.fqdn} A"] == ["198.51.100.1"]
    assert f"a-raced.{zone.fqdn} TXT" not in held  # the group stayed whole


def test_update_and_delete_after_another_writer_are_conflicts(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    mine = rrset(f"mine.{zone.text}", "A", "192.0.2.1")
    gone = rrset(f"gone.{zone.text}", "A", "192.0.2.2")
    txt = ownership_txt(mine.name.text, "A", "service/t/mine")
    gone_txt = ownership_txt(gone.name.text, "A", "service/t/gone")
    assert provider.apply(zone, [create(zone, mine, txt), create(zone, gone, gone_txt)]).ok

    message = other_writer(server, zone)
    message.replace("mine", 300, "A", "198.51.100.7")
    message.add("gone", 300, "A", "198.51.100.8")
    assert send(server, message) == "NOERROR"

    result = provider.apply(
        zone,
        [
            update(zone, mine, rrset(f"mine.{zone.text}", "A", "192.0.2.9")),
            delete(zone, gone, gone_txt),
        ],
    )
    assert not result.applied
    assert len(result.failed) == 2
    assert all(f.conflict for f in result.failed)
    held = truth(server, zone)
    assert held[f"mine.{zone.fqdn} A"] == ["198.51.100.7"]
    assert held[f"gone.{zone.fqdn} A"] == ["192.0.2.2", "198.51.100.8"]
    assert f"a-gone.{zone.fqdn} TXT" in held  # not half-deleted


def test_bad_group_isolated_and_the_rest_applied(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    message = other_writer(server, zone)
    message.add("taken", 300, "A", "198.51.100.1")
    assert send(server, message) == "NOERROR"
    groups = [owned(zone, f"good{i:03d}", "A", "192.0.2.1") for i in range(200)]
    bad = owned(zone, "taken", "A", "192.0.2.2")
    groups.insert(117, bad)
    result = provider.apply(zone, groups)
    assert [f.group for f in result.failed] == [bad]
    assert result.failed[0].conflict
    assert len(result.applied) == 200
    # One message, then halving down to the bad group: about 2 log2(n) more.
    assert updates_sent(provider) <= 2 * math.ceil(math.log2(len(groups))) + 2
    held = truth(server, zone)
    assert sum(1 for key in held if key.startswith("good")) == 200


def test_record_beside_a_foreign_cname_is_refused_whole(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    provider.records(zone)
    message = other_writer(server, zone)
    message.add("svc", 300, "CNAME", "elsewhere.example.net.")
    assert send(server, message) == "NOERROR"
    result = provider.apply(zone, [owned(zone, "svc", "A", "192.0.2.5")])
    (failure,) = result.failed
    assert failure.conflict and "CNAME" in failure.message
    held = truth(server, zone)
    assert held[f"svc.{zone.fqdn} CNAME"] == ["elsewhere.example.net."]
    assert f"a-svc.{zone.fqdn} TXT" not in held


def test_silently_ignored_write_is_detected_and_undone(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    """A -> CNAME switch while another writer adds an AAAA at the name.

    The message deletes our A and adds the CNAME; prerequisites are checked before the
    delete, so none can say "no other data at the name". The server answers NOERROR and
    drops the CNAME (BIND and Knot do). The read-back sees it, reports the group, and
    removes the CNAME's ownership TXT that did get written.
    """
    a = rrset(f"switch.{zone.text}", "A", "192.0.2.1")
    a_txt = ownership_txt(a.name.text, "A", "service/t/switch")
    assert provider.apply(zone, [create(zone, a, a_txt)]).ok

    message = other_writer(server, zone)
    message.add("switch", 300, "AAAA", "2001:db8::77")
    assert send(server, message) == "NOERROR"

    cname = rrset(f"switch.{zone.text}", "CNAME", "lb-1.elb.example.net.")
    cname_txt = ownership_txt(cname.name.text, "CNAME", "service/t/switch")
    gone = delete(zone, a, a_txt)
    wanted = create(zone, cname, cname_txt)
    result = provider.apply(zone, [wanted, gone])
    assert result.applied == (gone,)
    (failure,) = result.failed
    assert failure.group == wanted
    assert failure.conflict
    assert "did not apply" in failure.message
    assert "undone" in failure.message
    held = truth(server, zone)
    assert f"switch.{zone.fqdn} CNAME" not in held
    assert f"cname-switch.{zone.fqdn} TXT" not in held  # no half-written group left
    assert held[f"switch.{zone.fqdn} AAAA"] == ["2001:db8::77"]
    assert f"switch.{zone.fqdn} A" not in held


def test_repeating_applied_creates_never_duplicates(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    groups = [owned(zone, f"rep{i}", "A", "192.0.2.1", "192.0.2.2") for i in range(5)]
    assert provider.apply(zone, groups).ok
    again = provider.apply(zone, groups)
    assert not again.applied
    assert all(f.conflict for f in again.failed)
    held = truth(server, zone)
    assert held[f"rep3.{zone.fqdn} A"] == ["192.0.2.1", "192.0.2.2"]
    assert len(held[f"a-rep3.{zone.fqdn} TXT"]) == 1


# -- authentication -----------------------------------------------------------------------


@pytest.mark.parametrize("case", ["wrong secret", "unknown key", "no key"])
def test_auth_failures_are_clear_and_write_nothing(
    case: str,
    server: DnsServer,
    zone: DomainName,
    provider: Rfc2136Provider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    options = server.provider_options(zone.text)
    secret = str(options["rfc2136_tsig_secret"])
    if case == "wrong secret":
        options["rfc2136_tsig_secret"] = bad_secret = wrong_secret()
        expected = "BADSIG"
    elif case == "unknown key":
        options["rfc2136_tsig_keyname"] = "nobody-knows-me"
        bad_secret = secret
        expected = "BADKEY"
    else:
        del options["rfc2136_tsig_keyname"], options["rfc2136_tsig_secret"]
        options["rfc2136_insecure"] = True
        bad_secret = secret
        expected = "REFUSED" if server.kind == "bind" else "NOTAUTH"
    intruder = Rfc2136Provider.create(options)
    before = truth(server, zone)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ProviderError) as reading:
        intruder.records(zone)
    with pytest.raises(ProviderError) as writing:
        intruder.apply(zone, [owned(zone, "intruder", "A", "192.0.2.66")])
    for error in (reading.value, writing.value):
        text = str(error)
        assert secret not in text and bad_secret not in text
    assert expected in str(writing.value), str(writing.value)
    if case != "no key":
        assert "TSIG" in str(reading.value) or "key" in str(reading.value)
    assert secret not in caplog.text and bad_secret not in caplog.text
    assert truth(server, zone) == before


def test_unsigned_transfer_refused_clearly(
    server: DnsServer, zone: DomainName, provider_for: ProviderFor
) -> None:
    p = provider_for(server, zone, tsig_axfr=False)
    with pytest.raises(ProviderError, match=r"AXFR.*refused.*--rfc2136-tsig-axfr"):
        p.records(zone)


# -- network ------------------------------------------------------------------------------


def test_server_down_is_a_provider_error(zone: DomainName) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    creds = TsigCredentials.generate()
    p = Rfc2136Provider.create(
        {
            "rfc2136_host": "127.0.0.1",
            "rfc2136_port": port,
            "rfc2136_zone": (zone.text,),
            "rfc2136_tsig_keyname": creds.key_name,
            "rfc2136_tsig_secret": creds.secret,
        }
    )
    with pytest.raises(ProviderError, match="connection refused"):
        p.records(zone)
    with pytest.raises(ProviderError, match="connection refused"):
        p.apply(zone, [owned(zone, "x", "A", "192.0.2.1")])
    assert p.requests.counts[("axfr", "network_error")] == 1


def test_silent_server_times_out_in_bounded_time(zone: DomainName) -> None:
    creds = TsigCredentials.generate()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections (backlog), never answers
        config = parse_options(
            {
                "rfc2136_host": "127.0.0.1",
                "rfc2136_port": silent.getsockname()[1],
                "rfc2136_zone": (zone.text,),
                "rfc2136_tsig_keyname": creds.key_name,
                "rfc2136_tsig_secret": creds.secret,
            }
        )
        p = Rfc2136Provider(dataclasses.replace(config, timeout=0.5, axfr_timeout=0.5))
        start = time.monotonic()
        with pytest.raises(ProviderError, match=r"no answer within 0.5s"):
            p.records(zone)
        with pytest.raises(ProviderError, match=r"no answer within 0.5s"):
            p.apply(zone, [owned(zone, "x", "A", "192.0.2.1")])
        assert time.monotonic() - start < 5
    assert p.requests.counts[("update", "timeout")] == 1


# -- BIND specifics -----------------------------------------------------------------------


def test_bind_rrset_limit_fails_one_group_only(
    bind_server: BindServer, bind_zone: DomainName, provider_for: ProviderFor
) -> None:
    p = provider_for(bind_server, bind_zone)
    wide = owned(bind_zone, "wide", "A", *[f"198.51.100.{i + 1}" for i in range(101)])
    fine = [owned(bind_zone, f"fine{i}", "A", "192.0.2.1") for i in range(5)]
    result = p.apply(bind_zone, [*fine[:2], wide, *fine[2:]])
    (failure,) = result.failed
    assert failure.group == wide
    assert not failure.conflict
    assert "max-records-per-type" in failure.message
    assert len(result.applied) == 5


def test_bind_stopped_mid_run_then_retried(provider_for: ProviderFor) -> None:
    """named dies after the second message; the next run finishes without loss or doubles."""
    zone = DomainName.parse("crash.test")
    with BindServer([zone.text]) as server:
        desired = [owned(zone, f"svc{i:02d}", "A", f"192.0.2.{i + 1}") for i in range(40)]
        p = provider_for(server, zone, max_message_bytes=1500, timeout=2.0)
        p.records(zone)
        transport = p._transport
        original = transport.exchange
        sent: list[str] = []

        def crash_after_two(operation: str, message: Any, *args: Any, **kw: Any) -> Any:
            if operation == "update" and len(sent) == 2:
                server.stop(keep_data=True)
            sent.append(operation)
            return original(operation, message, *args, **kw)

        transport.exchange = crash_after_two  # type: ignore[method-assign]
        with pytest.raises(ProviderError) as caught:
            p.apply(zone, desired)
        message = str(caught.value)
        assert "connection refused" in message or "closed the connection" in message
        assert "were applied before the failure" in message
        with pytest.raises(ProviderError):
            p.records(zone)  # still down: an error, never an empty zone

        server.start()
        transport.exchange = original  # type: ignore[method-assign]
        # Next cycle: read, plan what is missing, apply.
        held = index(p, zone)
        missing = [g for g in desired if g.primary.key not in held]
        assert 0 < len(missing) < len(desired)
        assert p.apply(zone, missing).ok
        # A naive retry of everything writes nothing twice.
        again = p.apply(zone, desired)
        assert not again.applied and all(f.conflict for f in again.failed)
        final = truth(server, zone)
        for i, group in enumerate(desired):
            assert final[f"svc{i:02d}.{zone.fqdn} A"] == [f"192.0.2.{i + 1}"], group
            assert len(final[f"a-svc{i:02d}.{zone.fqdn} TXT"]) == 1


def test_delete_leaves_other_data_at_the_name(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    mine = rrset(f"shared.{zone.text}", "A", "192.0.2.1")
    txt = ownership_txt(mine.name.text, "A", "service/t/shared")
    assert provider.apply(zone, [create(zone, mine, txt)]).ok
    message = other_writer(server, zone)
    message.add("shared", 300, "AAAA", "2001:db8::1")
    message.add("shared", 300, "TXT", '"v=spf1 -all"')
    assert send(server, message) == "NOERROR"
    assert provider.apply(zone, [delete(zone, mine, txt)]).ok
    held = truth(server, zone)
    assert f"shared.{zone.fqdn} A" not in held
    assert held[f"shared.{zone.fqdn} AAAA"] == ["2001:db8::1"]
    assert held[f"shared.{zone.fqdn} TXT"] == ['"v=spf1 -all"']


def test_zone_not_served_is_a_clear_error(server: DnsServer, provider_for: ProviderFor) -> None:
    missing = DomainName.parse("not-served.test")
    p = provider_for(server, missing)
    with pytest.raises(ProviderError, match=r"AXFR\) of not-served.test. .*refused"):
        p.records(missing)
    with pytest.raises(ProviderError, match=r"not authoritative|NOTAUTH"):
        p.apply(missing, [owned(missing, "x", "A", "192.0.2.1")])


@pytest.mark.parametrize("host", ["::1", "localhost"])
def test_host_may_be_ipv6_or_a_name(
    bind_server: BindServer, bind_zone: DomainName, host: str
) -> None:
    options = bind_server.provider_options(bind_zone.text)
    options["rfc2136_host"] = host
    p = Rfc2136Provider.create(options)
    assert p.apply(bind_zone, [owned(bind_zone, "v6", "AAAA", "2001:db8::6")]).ok
    assert rrset(f"v6.{bind_zone.text}", "AAAA", "2001:db8::6") in p.records(bind_zone)


def test_a_failure_while_the_next_message_is_built_stops_the_run(
    server: DnsServer, zone: DomainName
) -> None:
    """Messages go one at a time while the next is built: the first refusal of the key
    (a wrong secret) ends the run, and no later message is sent."""
    options = server.provider_options(zone.text)
    options["rfc2136_tsig_secret"] = wrong_secret()
    intruder = Rfc2136Provider.create(options)
    groups = [owned(zone, f"many-{i}", "A", "192.0.2.66") for i in range(2000)]
    before = truth(server, zone)
    try:
        with pytest.raises(ProviderError, match="BADSIG"):
            intruder.apply(zone, groups)
        assert intruder.requests.total("update") == 1
    finally:
        intruder.close()
    assert truth(server, zone) == before


def test_groups_the_server_refuses_never_stop_the_others(
    bind_server: BindServer, bind_zones: Callable[[], DomainName], provider_for: ProviderFor
) -> None:
    """BIND's check-names refuses an A record at a name with '_'. Such groups sort first,
    before any good one is applied; they are reported, and every other group is written
    (found by a hostile run: three of them once made the writer give up on the zone)."""
    zone = bind_zones()
    provider = provider_for(bind_server, zone)
    try:
        provider.records(zone)
        bad = [owned(zone, f"_bad{i}", "A", "192.0.2.1") for i in range(5)]
        good = [owned(zone, f"good{i}", "A", "192.0.2.2") for i in range(10)]
        result = provider.apply(zone, [*bad, *good])
        assert {f.group for f in result.failed} == set(bad)
        assert all("REFUSED" in f.message for f in result.failed)
        assert set(result.applied) == set(good)
    finally:
        provider.close()
    held = truth(bind_server, zone)
    assert sum(1 for key in held if key.startswith("good")) == 10


def test_a_key_refused_everywhere_stops_after_one_message_of_groups(
    bind_server: BindServer, bind_zones: Callable[[], DomainName], provider_for: ProviderFor
) -> None:
    """Every group of the first message refused, nothing applied: the refusal is about us
    (here: an unsigned UPDATE), and the later messages are never sent."""
    zone = bind_zones()
    options = bind_server.provider_options(zone.text)
    del options["rfc2136_tsig_keyname"], options["rfc2136_tsig_secret"]
    options["rfc2136_insecure"] = True
    unsigned = Rfc2136Provider.create(options)
    groups = [owned(zone, f"u{i:04d}", "A", "192.0.2.3") for i in range(1500)]
    entries = [build(zone, g) for g in groups]
    batches = pack(entries, MAX_MESSAGE_BYTES - overhead(zone, None)).batches
    assert len(batches) > 1
    try:
        with pytest.raises(ProviderError, match="refused every update"):
            unsigned.apply(zone, groups)
        # The first message, then its halves down to single groups: 2n - 1 messages.
        assert unsigned.requests.total("update") == 2 * len(batches[0]) - 1
    finally:
        unsigned.close()
