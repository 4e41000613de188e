"""The provider contract suite through the webhook protocol.

Three servers: our small fake (testinfra/webhook_fake.py), and ExternalDNS's own webhook
server (``external-dns --webhook-server``) wrapping its in-memory provider and its RFC 2136
provider (in front of a real BIND).

ExternalDNS's RFC 2136 provider lists what a zone transfer gives it, but keeps only
CNAME, DNAME, A, AAAA, TXT, NS and PTR (SRV and MX are dropped: ``Records()`` in
``provider/rfc2136/rfc2136.go``), and gives each string of a TXT record as a target of its
own. So through it an SRV record can be written but never read back, and a TXT record of
more than one string (over 255 characters) reads back as several values. Those two
contract tests are expected to fail there, strictly: if ExternalDNS fixes it, they pass
and the marker must go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from dnssync_webhook.provider import WebhookProvider

from dnssync.model.names import DomainName
from dnssync.providers.base import Provider
from dnssync.testing.builders import create, rrset
from dnssync.testing.contract import ProviderContract
from testinfra.external_dns_webhook import ExternalDnsWebhook
from testinfra.webhook_fake import FakeWebhook
from tests.providers.webhook.webhook_helpers import make_provider


class TestWebhookContractFake(ProviderContract):
    @pytest.fixture
    def zone(self) -> DomainName:
        return DomainName.parse("contract.test")

    @pytest.fixture
    def provider(self, zone: DomainName) -> Iterator[Provider]:
        with FakeWebhook(domain_filter={"include": [zone.text, "other.test"]}) as fake:
            provider = make_provider(fake.url)
            yield provider
            provider.close()


class TestWebhookContractFakeSmallBodies(TestWebhookContractFake):
    """The same against a server that takes bodies of 2 KiB at most (413 above): the
    provider learns the limit and every larger apply spans several requests."""

    @pytest.fixture
    def provider(self, zone: DomainName) -> Iterator[Provider]:
        with FakeWebhook(domain_filter={"include": [zone.text]}, max_body=2048) as fake:
            provider = make_provider(fake.url)
            yield provider
            provider.close()


class TestWebhookContractExternalDnsInMemory(ProviderContract):
    @pytest.fixture
    def zone(self, inmemory_zones: Callable[[], DomainName]) -> DomainName:
        return inmemory_zones()

    @pytest.fixture
    def provider(
        self, edns_inmemory: ExternalDnsWebhook, zone: DomainName
    ) -> Iterator[WebhookProvider]:
        # ExternalDNS's in-memory provider announces an empty domain filter: --zone.
        provider = make_provider(edns_inmemory.url, [zone.text])
        yield provider
        provider.close()


class TestWebhookContractExternalDnsRfc2136(ProviderContract):
    @pytest.fixture
    def zone(self, rfc2136_zones: Callable[[], DomainName]) -> DomainName:
        return rfc2136_zones()

    @pytest.fixture
    def provider(
        self, edns_rfc2136: ExternalDnsWebhook, zone: DomainName
    ) -> Iterator[WebhookProvider]:
        provider = make_provider(edns_rfc2136.url, [zone.text])
        yield provider
        provider.close()

    # Two limits of ExternalDNS's own rfc2136 provider behind the webhook (docs/providers/
    # webhook.md): asserted as they are, so a fixed ExternalDNS shows up here.

    def test_each_type_round_trips(self, provider: Provider, zone: DomainName) -> None:
        """A, AAAA and CNAME round-trip; SRV is written but never listed."""
        sets = [
            rrset(f"edns-a.{zone.fqdn}", "A", "192.0.2.1", "192.0.2.2"),
            rrset(f"edns-aaaa.{zone.fqdn}", "AAAA", "2001:db8::1"),
            rrset(f"edns-cname.{zone.fqdn}", "CNAME", "lb-1.elb.example.net."),
            rrset(f"_edns._tcp.{zone.fqdn}", "SRV", f"0 100 88 edns-a.{zone.fqdn}"),
        ]
        result = provider.apply(zone, [create(zone, s) for s in sets])
        assert not result.failed
        held = {r.key: r for r in provider.records(zone)}
        for listed in sets[:3]:
            assert held.get(listed.key) == listed
        assert sets[3].key not in held

    def test_long_and_quoted_txt_round_trips(self, provider: Provider, zone: DomainName) -> None:
        """A short TXT round-trips; a TXT over 255 bytes comes back as one value per string."""
        quoted = rrset(f"edns-quoted.{zone.fqdn}", "TXT", '"a, b=c"')
        long_text = "k=" + "x" * 300
        long = rrset(f"edns-long.{zone.fqdn}", "TXT", long_text)
        result = provider.apply(zone, [create(zone, quoted), create(zone, long)])
        assert not result.failed
        held = {r.key: r for r in provider.records(zone)}
        assert held[quoted.key] == quoted
        listed = held[long.key]
        assert listed != long
        assert len(listed.values) == 2
        assert sorted(len(v.to_text()) for v in listed.values) == [49, 257]
