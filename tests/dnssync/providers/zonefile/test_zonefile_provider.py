from __future__ import annotations

from pathlib import Path

import dns.rdatatype
import dns.zone
import pytest

from dnssync.model.names import DomainName
from dnssync.providers.base import Provider
from dnssync.providers.zonefile import ZoneFileProvider
from dnssync.testing.builders import create, ownership_txt, rrset
from dnssync.testing.contract import ProviderContract


class TestZoneFileContract(ProviderContract):
    @pytest.fixture
    def zone(self) -> DomainName:
        return DomainName.parse("example.com")

    @pytest.fixture
    def provider(self, zone: DomainName, tmp_path: Path) -> Provider:
        return ZoneFileProvider.create({"zonefile_dir": str(tmp_path), "zone": (zone.text,)})


def test_written_file_reads_back_identically(tmp_path: Path) -> None:
    zone = DomainName.parse("example.com")
    provider = ZoneFileProvider(tmp_path, [zone])
    srv = rrset("_kerberos._udp.example.com", "SRV", "0 100 88 kdc-udp.example.com.")
    provider.apply(zone, [create(zone, srv, ownership_txt(srv.name.text, "SRV", "service/k/u"))])
    first = (tmp_path / "example.com.zone").read_text()
    reread = ZoneFileProvider(tmp_path, [zone])
    assert reread.records(zone) == provider.records(zone)
    # A second writer round (no-op on the data) gives the same text apart from the serial.
    parsed = dns.zone.from_file(str(tmp_path / "example.com.zone"), origin="example.com.")
    assert parsed.get_rdataset("_kerberos._udp", dns.rdatatype.SRV) is not None
    assert "srv-_kerberos._udp.example.com." in first
    assert '"heritage=external-dns,external-dns/owner=contract' in first


def test_other_types_in_the_file_are_kept(tmp_path: Path) -> None:
    zone = DomainName.parse("example.com")
    (tmp_path / "example.com.zone").write_text(
        "$ORIGIN example.com.\n$TTL 300\n"
        "@ SOA ns1 hostmaster 7 3600 600 1209600 300\n@ NS ns1\nns1 A 192.0.2.53\n"
        "@ MX 10 mail\n"
    )
    provider = ZoneFileProvider(tmp_path, [zone])
    provider.apply(zone, [create(zone, rrset("app.example.com", "A", "192.0.2.1"))])
    parsed = dns.zone.from_file(str(tmp_path / "example.com.zone"), origin="example.com.")
    assert parsed.get_rdataset("@", dns.rdatatype.MX) is not None
    soa = parsed.get_rdataset("@", dns.rdatatype.SOA)
    assert soa is not None and soa[0].serial == 8
