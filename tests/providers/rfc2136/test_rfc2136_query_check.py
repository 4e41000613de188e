"""A small write is checked by queries, not by a zone transfer (the daemon's event path).

The rfc2136 writer checks every write for updates the server ignored. For a write of a few
RRsets it queries them (with the SOA, pipelined on one connection) instead of transferring
the zone, and advances its cached zone when the serial moved by exactly its own UPDATEs,
so an event costs one UPDATE and one query session, and the next full read one SOA query.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import dns.query
import dns.rcode
import dns.update
import pytest
from dnssync_rfc2136.provider import Rfc2136Provider
from dnssync_rfc2136.writer import QUERY_CHECK_LIMIT

from dnssync.model.changes import ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import RecordKey, RecordType
from dnssync.testing.builders import create, delete, ownership_txt, rrset, update
from testinfra.bind import DnsServer
from tests.providers.rfc2136.zone_views import index, truth

pytestmark = pytest.mark.bind


@pytest.fixture(params=["bind", "knot"])
def server(request: pytest.FixtureRequest) -> DnsServer:
    return request.getfixturevalue(f"{request.param}_server")  # type: ignore[no-any-return]


@pytest.fixture
def zone(request: pytest.FixtureRequest, server: DnsServer) -> DomainName:
    allocate: Callable[[], DomainName] = request.getfixturevalue(f"{server.kind}_zones")
    return allocate()


@pytest.fixture
def provider(
    server: DnsServer, zone: DomainName, provider_for: Callable[..., Rfc2136Provider]
) -> Iterator[Any]:
    p = provider_for(server, zone)
    yield p
    p.close()


def owned(zone: DomainName, label: str, rtype: str, *values: str) -> ChangeGroup:
    record = rrset(f"{label}.{zone.text}", rtype, *values)
    return create(zone, record, ownership_txt(record.name.text, rtype, f"service/t/{label}"))


def other_write(server: DnsServer, zone: DomainName, *records: tuple[str, str, str]) -> None:
    message = dns.update.UpdateMessage(zone.fqdn)
    message.use_tsig(server.tsig.dns_key())
    for name, rtype, value in records:
        message.add(name, 300, rtype, value)
    answer = dns.query.tcp(message, server.host, port=server.port, timeout=10)
    assert answer.rcode() == dns.rcode.NOERROR


def counts(provider: Rfc2136Provider) -> dict[str, int]:
    return {op: provider.requests.total(op) for op in ("axfr", "soa", "query", "update")}


def test_small_writes_transfer_nothing_and_keep_the_soa_shortcut(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    first = owned(zone, "web", "A", "192.0.2.1")
    provider.records(zone)
    provider.requests.reset()
    for group in (
        first,
        update(zone, first.primary.rrset, rrset(f"web.{zone.text}", "A", "192.0.2.2")),
        owned(zone, "api", "AAAA", "2001:db8::1"),
    ):
        assert provider.apply(zone, [group]).ok
    assert counts(provider) == {"axfr": 0, "soa": 0, "query": 3, "update": 3}

    provider.requests.reset()
    held = {r.key: r for r in provider.records(zone)}
    assert counts(provider) == {"axfr": 0, "soa": 1, "query": 0, "update": 0}
    web_key = RecordKey(DomainName.parse(f"web.{zone.text}"), RecordType.A)
    assert held[web_key].value_texts() == ["192.0.2.2"]
    assert rrset(f"api.{zone.text}", "AAAA", "2001:db8::1") in held.values()
    assert first.changes[1].rrset in held.values()  # the ownership TXT

    web = held[web_key]
    txt = first.changes[1].rrset
    provider.requests.reset()
    assert provider.apply(zone, [delete(zone, web, txt)]).ok
    assert provider.requests.total("axfr") == 0
    provider.requests.reset()
    held = {r.key: r for r in provider.records(zone)}
    assert counts(provider) == {"axfr": 0, "soa": 1, "query": 0, "update": 0}
    assert web.key not in held and txt.key not in held


def test_another_writer_in_between_means_the_next_read_transfers(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    provider.records(zone)
    other_write(server, zone, ("theirs", "A", "198.51.100.1"))
    assert provider.apply(zone, [owned(zone, "mine", "A", "192.0.2.1")]).ok
    provider.requests.reset()
    held = {str(r.key) for r in provider.records(zone)}
    # The serial moved by two, not one: the cached zone is not trusted, it is re-read.
    assert provider.requests.total("axfr") == 1
    assert any("theirs" in k for k in held) and any("mine" in k for k in held)


def test_ignored_write_is_caught_and_undone_without_a_transfer(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    """A -> CNAME switch while another writer adds an AAAA: the server answers NOERROR and
    drops the CNAME; the query check sees it and undoes the CNAME's ownership TXT."""
    a = rrset(f"switch.{zone.text}", "A", "192.0.2.1")
    a_txt = ownership_txt(a.name.text, "A", "service/t/switch")
    assert provider.apply(zone, [create(zone, a, a_txt)]).ok
    other_write(server, zone, ("switch", "AAAA", "2001:db8::77"))
    cname = rrset(f"switch.{zone.text}", "CNAME", "lb-1.elb.example.net.")
    cname_txt = ownership_txt(cname.name.text, "CNAME", "service/t/switch")
    wanted = create(zone, cname, cname_txt)
    gone = delete(zone, a, a_txt)
    provider.requests.reset()
    result = provider.apply(zone, [wanted, gone])
    assert result.applied == (gone,)
    (failure,) = result.failed
    assert failure.group == wanted and failure.conflict and "undone" in failure.message
    assert provider.requests.total("axfr") == 0
    provider.requests.reset()
    held = {r.key for r in provider.records(zone)}
    assert cname.key not in held and cname_txt.key not in held and a.key not in held
    # Part of the write was ignored: the cached zone is not advanced, the next read transfers.
    assert provider.requests.total("axfr") == 1


def test_a_wildcard_does_not_make_a_delete_look_ignored(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    other_write(server, zone, (f"*.apps.{zone.fqdn}", "A", "192.0.2.80"))
    group = owned(zone, "shop.apps", "A", "192.0.2.80")
    assert provider.apply(zone, [group]).ok
    record, txt = (c.rrset for c in group)
    result = provider.apply(zone, [delete(zone, record, txt)])
    assert result.ok and len(result.applied) == 1
    held = {r.key for r in provider.records(zone)}
    assert record.key not in held and txt.key not in held


def test_a_large_write_transfers_nothing_and_keeps_the_soa_shortcut(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    """Every group kept its CNAME guard, so the write is checked by one SOA query and the
    cached zone advanced with what was written."""
    groups = [owned(zone, f"h{i}", "A", "192.0.2.9") for i in range(QUERY_CHECK_LIMIT)]
    provider.records(zone)
    provider.requests.reset()
    assert provider.apply(zone, groups).ok  # 2 RRsets per group: over the limit
    assert provider.requests.total("axfr") == 0
    assert provider.requests.total("query") == 1  # the SOA alone
    held = index(provider, zone)  # from the cache: one SOA query
    assert provider.requests.total("axfr") == 0
    assert provider.requests.total("soa") == 1
    for i in (0, QUERY_CHECK_LIMIT - 1):
        key = RecordKey(DomainName.parse(f"h{i}.{zone.text}"), RecordType.A)
        assert held[key] == rrset(f"h{i}.{zone.text}", "A", "192.0.2.9")
    assert {str(k) for k in held} == set(truth(server, zone)) - {
        f"{zone.fqdn} SOA",
        f"{zone.fqdn} NS",
    }


def test_a_large_write_queries_the_groups_that_went_unguarded(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    """An A -> CNAME switch (the delete and the create in one message: the CNAME cannot be
    guarded) among many guarded groups, while another writer put an AAAA at the name: the
    server ignores the CNAME, and the check, querying just that group, reports and undoes
    it."""
    a = rrset(f"switch.{zone.text}", "A", "192.0.2.1")
    a_txt = ownership_txt(a.name.text, "A", "service/t/switch")
    assert provider.apply(zone, [create(zone, a, a_txt)]).ok
    other_write(server, zone, (f"switch.{zone.fqdn}", "AAAA", "2001:db8::77"))
    cname = rrset(f"switch.{zone.text}", "CNAME", "lb-1.elb.example.net.")
    wanted = create(zone, cname, ownership_txt(cname.name.text, "CNAME", "service/t/switch"))
    gone = delete(zone, a, a_txt)
    many = [owned(zone, f"m{i}", "A", "192.0.2.9") for i in range(QUERY_CHECK_LIMIT)]
    provider.requests.reset()
    result = provider.apply(zone, [gone, *many, wanted])
    assert provider.requests.total("axfr") == 0
    (failure,) = result.failed
    assert failure.group == wanted and failure.conflict and "undone" in failure.message
    assert len(result.applied) == QUERY_CHECK_LIMIT + 1
    held = truth(server, zone)
    assert f"switch.{zone.fqdn} CNAME" not in held
    assert f"cname-switch.{zone.fqdn} TXT" not in held
    assert held[f"switch.{zone.fqdn} AAAA"] == ["2001:db8::77"]
    # The ignored write leaves the cache behind: the next read transfers the zone.
    provider.requests.reset()
    assert RecordKey(DomainName.parse(f"m0.{zone.text}"), RecordType.A) in index(provider, zone)
    assert provider.requests.total("axfr") == 1


def test_a_read_ahead_leaves_one_soa_query_for_the_first_read(
    server: DnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    other_write(server, zone, (f"web.{zone.fqdn}", "A", "192.0.2.1"))
    provider.requests.reset()
    provider.prefetch()
    assert counts(provider) == {"axfr": 1, "soa": 0, "query": 0, "update": 0}
    held = index(provider, zone)
    assert counts(provider) == {"axfr": 1, "soa": 1, "query": 0, "update": 0}
    assert held[RecordKey(DomainName.parse(f"web.{zone.text}"), RecordType.A)] == rrset(
        f"web.{zone.text}", "A", "192.0.2.1"
    )


def test_a_read_waits_for_the_read_ahead_in_flight(
    zone: DomainName, provider: Rfc2136Provider
) -> None:
    provider.requests.reset()
    ahead = threading.Thread(target=provider.prefetch)
    ahead.start()
    provider.records(zone)
    ahead.join(timeout=60)
    assert not ahead.is_alive()
    # Whichever came first transferred the zone; the other asked for the SOA serial only.
    assert provider.requests.total("axfr") == 1


def test_a_read_ahead_that_fails_raises_nothing(
    start_server: Callable[[str, Sequence[str]], DnsServer],
    provider_for: Callable[..., Rfc2136Provider],
    caplog: pytest.LogCaptureFixture,
) -> None:
    gone = start_server("bind", ["gone.test"])
    unreachable = provider_for(gone, DomainName.parse("gone.test"))
    gone.stop()
    try:
        with caplog.at_level(logging.DEBUG, logger="dnssync_rfc2136.provider"):
            unreachable.prefetch()
        assert "reading gone.test. ahead failed" in caplog.text
    finally:
        unreachable.close()
