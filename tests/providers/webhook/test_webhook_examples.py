"""The worked examples of docs/rules.md through the CLI and ExternalDNS's own webhook server.

``dnssync plan`` -> ``apply`` -> ``plan`` with ``--provider webhook`` against
``external-dns --webhook-server``:

* wrapping its RFC 2136 provider in front of a real BIND: what was written is checked in
  BIND by zone transfer. ExternalDNS's RFC 2136 provider never lists SRV records
  (``Records()`` drops them), so through it the SRV records are written but invisible:
  the second plan re-creates exactly the SRV records and nothing else, and applying it
  changes nothing in BIND (an RR added twice is one RR). That is ExternalDNS's limit,
  pinned here so that a change on either side shows;
* wrapping its in-memory provider, which lists everything: the second plan is empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dns.query
import dns.rdatatype
import pytest

from dnssync.cli.main import main
from testinfra import bind as bind_mod
from testinfra.bind import BindServer
from testinfra.external_dns_webhook import ExternalDnsWebhook
from testinfra.gates import require_dns

pytestmark = [pytest.mark.bind, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
KERBEROS = REPO / "examples" / "kerberos"
AWS = REPO / "examples" / "aws"
OWNER = "webhook-e2e"
ZONE = "example.com"

Zone = dict[tuple[str, str], tuple[int, frozenset[str]]]


def owner_txt(resource: str) -> str:
    return f'"heritage=external-dns,external-dns/owner={OWNER},external-dns/resource={resource}"'


EXPECTED = {
    KERBEROS: {
        ("kdc-tcp.example.com.", "A"): frozenset({"203.0.113.10"}),
        ("kdc-udp.example.com.", "A"): frozenset({"203.0.113.11"}),
        ("_kerberos._tcp.example.com.", "SRV"): frozenset({"0 100 88 kdc-tcp.example.com."}),
        ("_kerberos._udp.example.com.", "SRV"): frozenset({"0 100 88 kdc-udp.example.com."}),
        ("a-kdc-tcp.example.com.", "TXT"): frozenset({owner_txt("service/krb/kdc-tcp")}),
        ("a-kdc-udp.example.com.", "TXT"): frozenset({owner_txt("service/krb/kdc-udp")}),
        ("srv-_kerberos._tcp.example.com.", "TXT"): frozenset({owner_txt("service/krb/kdc-tcp")}),
        ("srv-_kerberos._udp.example.com.", "TXT"): frozenset({owner_txt("service/krb/kdc-udp")}),
    },
    AWS: {
        ("kdc-tcp.example.com.", "CNAME"): frozenset(
            {"kdc-tcp-1234567890.elb.us-east-1.amazonaws.com."}
        ),
        ("kdc-udp.example.com.", "CNAME"): frozenset(
            {"kdc-udp-0987654321.elb.us-east-1.amazonaws.com."}
        ),
        ("_kerberos._tcp.example.com.", "SRV"): frozenset(
            {"0 100 88 kdc-tcp-1234567890.elb.us-east-1.amazonaws.com."}
        ),
        ("_kerberos._udp.example.com.", "SRV"): frozenset(
            {"0 100 88 kdc-udp-0987654321.elb.us-east-1.amazonaws.com."}
        ),
        ("cname-kdc-tcp.example.com.", "TXT"): frozenset({owner_txt("service/krb/kdc-tcp")}),
        ("cname-kdc-udp.example.com.", "TXT"): frozenset({owner_txt("service/krb/kdc-udp")}),
        ("srv-_kerberos._tcp.example.com.", "TXT"): frozenset({owner_txt("service/krb/kdc-tcp")}),
        ("srv-_kerberos._udp.example.com.", "TXT"): frozenset({owner_txt("service/krb/kdc-udp")}),
    },
}


@pytest.fixture
def bind(edns_binary: None) -> Iterator[BindServer]:
    require_dns(bind_mod.available(), "BIND9 (/usr/sbin/named) is not installed")
    with BindServer((ZONE,)) as server:
        yield server


def transfer(server: BindServer) -> Zone:
    """The zone by AXFR (TSIG): (name, type) -> (ttl, values); SOA, NS, ns1 and the marker
    left out."""
    key = server.tsig.dns_key()
    data: dict[tuple[str, str], tuple[int, set[str]]] = {}
    for message in dns.query.xfr(
        server.host,
        ZONE,
        port=server.port,
        keyring={key.name: key},
        keyname=key.name,
        relativize=False,
        lifetime=30,
    ):
        for rrset in message.answer:
            rtype = dns.rdatatype.to_text(rrset.rdtype)
            name = rrset.name.to_text().lower()
            if rtype in ("SOA", "NS") or name.startswith((bind_mod.MARKER_LABEL + ".", "ns1.")):
                continue
            _ttl, values = data.setdefault((name, rtype), (rrset.ttl, set()))
            values.update(r.to_text() for r in rrset)
    return {k: (ttl, frozenset(v)) for k, (ttl, v) in data.items()}


def dnssync(
    url: str, command: str, manifests: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, object]]:
    argv = [
        command,
        "--manifests",
        str(manifests),
        "--owner-id",
        OWNER,
        "--provider",
        "webhook",
        "--webhook-provider-url",
        url,
        "--zone",  # ExternalDNS's own providers announce an empty domain filter
        ZONE,
        "--output",
        "json",
        *extra,
    ]
    code = main(argv)
    out = capsys.readouterr().out
    return code, (json.loads(out) if out.strip() else {})


def changes(doc: dict[str, object]) -> set[tuple[str, str, str]]:
    items = doc.get("changes")
    assert isinstance(items, list)
    return {(c["action"], c["name"], c["type"]) for c in items}


@pytest.mark.parametrize("manifests", [KERBEROS, AWS], ids=["kerberos", "aws"])
def test_examples_through_externaldns_rfc2136_webhook_into_bind(
    bind: BindServer, manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = EXPECTED[manifests]
    with ExternalDnsWebhook.rfc2136(bind) as hook:
        code, doc = dnssync(hook.url, "plan", manifests, capsys)
        assert code == 2
        assert changes(doc) == {("create", name, rtype) for name, rtype in expected}

        code, _ = dnssync(hook.url, "apply", manifests, capsys, "--yes")
        assert code == 0
        zone = transfer(bind)
        assert {k: v for k, (_ttl, v) in zone.items()} == expected
        assert all(ttl == 300 for ttl, _ in zone.values())

        # Again: only the SRV records, which ExternalDNS's rfc2136 provider cannot list.
        code, doc = dnssync(hook.url, "plan", manifests, capsys)
        srv = {k for k in expected if k[1] == "SRV"}
        assert (code, changes(doc)) == (2, {("create", n, t) for n, t in srv})
        serial = bind.query(ZONE + ".", "SOA")
        code, _ = dnssync(hook.url, "apply", manifests, capsys, "--yes")
        assert code == 0
        assert transfer(bind) == zone  # re-adding the same SRV records changed nothing
        assert bind.query(ZONE + ".", "SOA") == serial


@pytest.mark.parametrize("manifests", [KERBEROS, AWS], ids=["kerberos", "aws"])
def test_examples_through_externaldns_inmemory_webhook_converge(
    edns_binary: None, manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ExternalDnsWebhook.inmemory((ZONE,)) as hook:
        code, doc = dnssync(hook.url, "plan", manifests, capsys)
        assert code == 2 and len(changes(doc)) == 8
        code, _ = dnssync(hook.url, "apply", manifests, capsys, "--yes")
        assert code == 0
        code, doc = dnssync(hook.url, "plan", manifests, capsys)
        assert (code, doc["changes"]) == (0, [])
