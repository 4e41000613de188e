"""testinfra.dns_proxy: messages pass unchanged (TSIG still verifies) and are counted by kind."""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator

import dns.message
import dns.query
import dns.rcode
import dns.update
import pytest

from testinfra import bind as bind_mod
from testinfra.bind import BindServer, DnsServer
from testinfra.dns_proxy import DnsCountingProxy, classify

pytestmark = pytest.mark.bind


def test_classify_by_opcode_and_question_type() -> None:
    assert classify(dns.message.make_query("example.test.", "SOA").to_wire()) == ("query:SOA", 0)
    assert classify(dns.message.make_query("example.test.", "AXFR").to_wire()) == ("axfr", 0)
    assert classify(dns.message.make_query("example.test.", "IXFR").to_wire()) == ("ixfr", 0)
    update = dns.update.UpdateMessage("example.test.")
    update.add("a", 300, "A", "192.0.2.1")
    update.add("b", 300, "A", "192.0.2.2")
    assert classify(update.to_wire()) == ("update", 2)
    assert classify(b"\x00\x01") == ("malformed", 0)
    response = struct.pack("!HHHHHH", 1, 0x8000, 0, 0, 0, 0)
    assert classify(response) == ("response", 0)


@pytest.fixture
def server() -> Iterator[DnsServer]:
    if not bind_mod.available():
        pytest.fail("BIND9 (/usr/sbin/named) is not installed")
    with BindServer(("proxy.test",)) as bind:
        yield bind


def test_forwards_udp_and_tcp_and_counts(server: DnsServer) -> None:
    key = server.tsig.dns_key()
    with DnsCountingProxy(server.host, server.port) as proxy:
        update = dns.update.UpdateMessage("proxy.test", keyring={key.name: key}, keyname=key.name)
        update.add("a", 300, "A", "192.0.2.1")
        update.add("b", 300, "A", "192.0.2.2")
        answer = dns.query.tcp(update, proxy.host, port=proxy.port, timeout=5)
        assert answer.rcode() == dns.rcode.NOERROR  # signed, relayed, verified by BIND
        update = dns.update.UpdateMessage("proxy.test", keyring={key.name: key}, keyname=key.name)
        update.add("c", 300, "A", "192.0.2.3")
        answer = dns.query.udp(update, proxy.host, port=proxy.port, timeout=5)
        assert answer.rcode() == dns.rcode.NOERROR
        soa = dns.query.udp(
            dns.message.make_query("proxy.test", "SOA"), proxy.host, port=proxy.port, timeout=5
        )
        assert soa.answer
        names = {
            rrset.name.to_text()
            for message in dns.query.xfr(
                proxy.host, "proxy.test", port=proxy.port, keyring={key.name: key}, keyname=key.name
            )
            for rrset in message.answer
        }
        assert {"a", "b", "c"} <= names
        deadline = time.monotonic() + 5
        while proxy.snapshot().get("messages", 0) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        counts = proxy.reset()
    assert counts["update"] == 2
    assert (counts["tcp:update"], counts["udp:update"]) == (1, 1)
    assert counts["update_rrs"] == 3
    assert counts["query:SOA"] == 1
    assert counts["axfr"] == counts["tcp:axfr"] == 1
    assert counts["messages"] == 4
    assert counts["bytes_out"] > counts["bytes_in"] > 0
    assert proxy.snapshot() == {}
