"""What ExternalDNS's RFC 2136 provider, served as a webhook, can and cannot list, pinned.

These are its limits, not dnssync's (``Records()`` in ``provider/rfc2136/rfc2136.go``),
shown with the records checked in BIND itself, so that a change on either side shows:

* SRV records are written (BIND serves them) but never listed;
* a TXT record of one string, quotes and escapes included, round-trips exactly;
* a TXT record of several strings (over 255 characters) is listed as one value per string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from dnssync_webhook.provider import WebhookProvider

from dnssync.model.names import DomainName
from dnssync.model.records import Text
from dnssync.testing.builders import create, ownership_txt, rrset
from testinfra.bind import BindServer
from testinfra.external_dns_webhook import ExternalDnsWebhook
from tests.providers.webhook.webhook_helpers import make_provider

pytestmark = pytest.mark.bind


@pytest.fixture
def zone(rfc2136_zones: Callable[[], DomainName]) -> DomainName:
    return rfc2136_zones()


@pytest.fixture
def provider(edns_rfc2136: ExternalDnsWebhook, zone: DomainName) -> Iterator[WebhookProvider]:
    p = make_provider(edns_rfc2136.url, [zone.text])
    yield p
    p.close()


def test_srv_is_written_but_never_listed(
    bind_for_webhook: BindServer, zone: DomainName, provider: WebhookProvider
) -> None:
    name = f"_kerberos._udp.{zone.text}"
    srv = rrset(name, "SRV", "0 100 88 kdc.example.net.")
    txt = ownership_txt(name, "SRV", "service/krb/kdc-udp")
    assert provider.apply(zone, [create(zone, srv, txt)]).ok
    assert bind_for_webhook.query(name + ".", "SRV") == ["0 100 88 kdc.example.net."]
    listed = {r.key: r for r in provider.records(zone)}
    assert srv.key not in listed
    assert listed[txt.key] == txt  # its ownership TXT is listed, and reads back exactly
    # So a plan would create it again: the create is accepted and changes nothing.
    assert provider.apply(zone, [create(zone, srv)]).ok
    assert bind_for_webhook.query(name + ".", "SRV") == ["0 100 88 kdc.example.net."]


def test_txt_of_one_string_round_trips_several_strings_do_not(
    bind_for_webhook: BindServer, zone: DomainName, provider: WebhookProvider
) -> None:
    quoted = rrset(f"quoted.{zone.text}", "TXT", '"a \\"quoted\\" value, with=commas"')
    long = rrset(f"long.{zone.text}", "TXT", "k=" + "x" * 300)
    assert provider.apply(zone, [create(zone, quoted), create(zone, long)]).ok
    assert bind_for_webhook.query(f"long.{zone.fqdn}", "TXT") == [long.values[0].to_text()]
    listed = {r.key: r for r in provider.records(zone)}
    assert listed[quoted.key] == quoted
    assert set(listed[long.key].values) == {Text.of("k=" + "x" * 253), Text.of("x" * 47)}
