"""PowerDNS Authoritative (gsqlite3 backend) as an RFC 2136 server: the SRV round trip and
the ways it answers differently from BIND and Knot.

The contract suite runs against it too (test_rfc2136_contract.py). Its differences
(testinfra/powerdns.py): REFUSED instead of a silently ignored write beside a CNAME, an
unsigned REFUSED instead of BADSIG for a wrong key, NOTAUTH for an unsigned UPDATE.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Callable, Iterator

import dns.query
import dns.update
import pytest
from dnssync_rfc2136.provider import Rfc2136Provider

from dnssync.errors import ProviderError
from dnssync.model.names import DomainName
from dnssync.testing.builders import create, delete, ownership_txt, rrset, update
from testinfra.powerdns import PowerDnsServer

pytestmark = pytest.mark.bind

ProviderFor = Callable[..., Rfc2136Provider]


@pytest.fixture
def zone(powerdns_zones: Callable[[], DomainName]) -> DomainName:
    return powerdns_zones()


@pytest.fixture
def provider(
    powerdns_server: PowerDnsServer, zone: DomainName, provider_for: ProviderFor
) -> Iterator[Rfc2136Provider]:
    p = provider_for(powerdns_server, zone)
    yield p
    p.close()


def test_srv_round_trip(
    powerdns_server: PowerDnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    name = f"_kerberos._udp.{zone.text}"
    srv = rrset(name, "SRV", "0 100 88 kdc-a.example.net.", "10 50 750 kdc-b.example.net.")
    txt = ownership_txt(name, "SRV", "service/krb/kdc-udp")
    assert provider.apply(zone, [create(zone, srv, txt)]).ok
    # What PowerDNS serves, asked without the provider.
    assert powerdns_server.query(name + ".", "SRV") == [
        "0 100 88 kdc-a.example.net.",
        "10 50 750 kdc-b.example.net.",
    ]
    assert powerdns_server.query(f"srv-{name}.", "TXT") == [txt.values[0].to_text()]
    held = {r.key: r for r in provider.records(zone)}
    assert held[srv.key] == srv and held[txt.key] == txt

    moved = rrset(name, "SRV", "0 100 8888 kdc-a.example.net.", ttl=60)
    assert provider.apply(zone, [update(zone, srv, moved)]).ok
    assert powerdns_server.query(name + ".", "SRV") == ["0 100 8888 kdc-a.example.net."]
    assert {r.key: r for r in provider.records(zone)}[srv.key] == moved

    assert provider.apply(zone, [delete(zone, moved, txt)]).ok
    assert powerdns_server.query(name + ".", "SRV") == []
    assert srv.key not in {r.key for r in provider.records(zone)}


def test_a_record_beside_a_foreign_cname_is_refused_and_nothing_changes(
    powerdns_server: PowerDnsServer, zone: DomainName, provider: Rfc2136Provider
) -> None:
    message = dns.update.UpdateMessage(zone.fqdn)
    message.use_tsig(powerdns_server.tsig.dns_key())
    message.add("taken", 300, "CNAME", "elsewhere.example.net.")
    answer = dns.query.tcp(message, powerdns_server.host, port=powerdns_server.port, timeout=10)
    assert answer.rcode() == 0
    record = rrset(f"taken.{zone.text}", "A", "192.0.2.5")
    result = provider.apply(zone, [create(zone, record)])
    assert not result.applied and result.failed
    assert powerdns_server.query(f"taken.{zone.fqdn}", "CNAME") == ["elsewhere.example.net."]
    assert powerdns_server.query(f"taken.{zone.fqdn}", "A") == []


def test_a_wrong_secret_is_a_clear_error_without_the_secret(
    powerdns_server: PowerDnsServer, zone: DomainName, caplog: pytest.LogCaptureFixture
) -> None:
    """PowerDNS answers a bad signature with an unsigned REFUSED (BIND, Knot: BADSIG)."""
    options = powerdns_server.provider_options(zone.text)
    options["rfc2136_tsig_secret"] = bad = base64.b64encode(os.urandom(32)).decode()
    intruder = Rfc2136Provider.create(options)
    caplog.set_level(logging.DEBUG)
    for attempt in (
        lambda: intruder.records(zone),
        lambda: intruder.apply(zone, [create(zone, rrset(f"x.{zone.text}", "A", "192.0.2.1"))]),
    ):
        with pytest.raises(ProviderError) as caught:
            attempt()
        message = str(caught.value)
        assert powerdns_server.tsig.key_name in message, message
        assert bad not in message and powerdns_server.tsig.secret not in message
    assert bad not in caplog.text and powerdns_server.tsig.secret not in caplog.text
    assert powerdns_server.query(f"x.{zone.fqdn}", "A") == []
