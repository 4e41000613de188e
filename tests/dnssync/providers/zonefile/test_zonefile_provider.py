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
from tests.dnssync.providers.zonefile.zonefile_kit import ZONE, rr_data, write_zone


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


# -- the exact-state checks on the file's own data -------------------------------------


def test_data_the_model_cannot_hold_is_never_overwritten(tmp_path: Path) -> None:
    # A CNAME whose target the model cannot hold: invisible to the planner, kept as is.
    path = write_zone(tmp_path, "odd 300 CNAME strange\\.target.example.net.\n")
    provider = ZoneFileProvider(tmp_path, [ZONE])
    assert "odd.example.com" not in {r.name.text for r in provider.records(ZONE)}
    over = create(ZONE, rrset("odd.example.com", "CNAME", "lb.example.net."))
    beside = create(ZONE, rrset("odd.example.com", "A", "192.0.2.1"))
    result = provider.apply(ZONE, [over, beside])
    assert not result.applied
    assert [f.conflict for f in result.failed] == [True, True]
    assert "odd.example.com. CNAME already exists: 300 CNAME strange\\.target" in (
        result.failed[0].message
    )
    assert "would hold a CNAME and other data (A)" in result.failed[1].message
    assert "strange\\.target.example.net." in path.read_text()


def test_a_change_outside_the_zone_is_a_conflict_not_a_crash(tmp_path: Path) -> None:
    write_zone(tmp_path, "")
    provider = ZoneFileProvider(tmp_path, [ZONE])
    result = provider.apply(ZONE, [create(ZONE, rrset("app.example.org", "A", "192.0.2.1"))])
    assert result.failed and "outside the zone example.com." in result.failed[0].message


def test_a_group_is_all_or_nothing_in_the_file(tmp_path: Path) -> None:
    path = write_zone(tmp_path, "taken 300 A 192.0.2.1\n")
    before = rr_data(path)
    provider = ZoneFileProvider(tmp_path, [ZONE])
    group = create(
        ZONE,
        rrset("fresh.example.com", "A", "192.0.2.2"),
        rrset("taken.example.com", "A", "192.0.2.3"),
    )
    result = provider.apply(ZONE, [group])
    assert not result.applied
    assert rr_data(path) == before  # not even the serial moved: nothing was written
