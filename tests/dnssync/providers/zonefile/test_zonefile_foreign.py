"""Records dnssync does not own are written back with exactly their data.

"Exactly" means: after plan -> apply, every RRset the plan did not name holds the same RRs
(owner, type, TTL, wire-form rdata) as before, and the SOA differs only in its serial.
Checked three ways: with dnspython, with BIND's own loader (``named-checkzone``, whose
canonical dump must agree too), and with a real ``named`` serving the written file.
Comments, layout and record order are not data and are not kept.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import dns.name
import dns.query
import dns.rdatatype
import dns.zone
import pytest

from dnssync.model.diagnostics import Diagnostic
from dnssync.ownership.txt import TxtRegistry
from dnssync.providers.zonefile import ZoneFileProvider
from dnssync.testing.builders import rrset
from testinfra.bind import MARKER_LABEL, BindServer
from testinfra.bind import available as bind_available
from testinfra.gates import require_dns
from tests.dnssync.providers.zonefile.zonefile_kit import (
    FILE,
    ZONE,
    apply,
    assert_foreign_unchanged,
    desired,
    plan_for,
    rr_data,
    temp_files,
    touched,
    write_zone,
)

OWNED = (
    'a-web 300 TXT "heritage=external-dns,external-dns/owner=test,'
    'external-dns/resource=service/ns/app"\n'
    "web 60 A 192.0.2.10\n"
    'a-old 300 TXT "heritage=external-dns,external-dns/owner=test,'
    'external-dns/resource=service/ns/app"\n'
    "old 300 A 192.0.2.11\n"
)

FOREIGN = r"""
@ 3600 MX 10 mail.example.net.
@ 3600 TXT "v=spf1 " "include:_spf.example.net " "-all"
@ 3600 CAA 0 issue "letsencrypt.org"
mail 120 A 192.0.2.25
mail 120 AAAA 2001:DB8:0:0::25
www 7200 CNAME web.example.com.
_sip._tcp 300 SRV 10 60 5060 mail.example.com.
1.2.0.192.in-addr 300 PTR mail.example.com.
esc 300 TXT "a\"quoted\" \\back" "semi;colon" ""
bytes 300 TXT "caf\195\169" "\000\001\255" "tab\009end"
utf8 300 TXT "naïve ☃"
long 300 TXT ( "{long}" "y" )
spf 300 TXT v=spf1 -all
MixedCase 300 A 192.0.2.30
*.wild 300 A 192.0.2.31
odd\.label 300 TXT "a label with a dot"
host 300 HINFO "PC" "Linux"
host 300 SSHFP 1 1 0123456789abcdef0123456789abcdef01234567
_443._tcp.host 300 TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
unknown 300 TYPE65534 \# 3 010203
sub 86400 NS ns1.sub.example.com.
sub 86400 NS ns2.example.net.
sub 86400 DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ns1.sub 86400 A 192.0.2.53
legacy 300 DNAME target.example.net.
""".replace("{long}", "x" * 255)


@pytest.fixture
def zone_dir(tmp_path: Path) -> Path:
    zones = tmp_path / "zones"
    write_zone(zones, OWNED + FOREIGN)
    return zones


def converge(zones: Path) -> tuple[list[Diagnostic], set[tuple[object, int]]]:
    """Plan and apply the desired state; the diagnostics and the RRsets the plan named."""
    provider = ZoneFileProvider(zones, [ZONE])
    wanted = desired(
        rrset("web.example.com", "A", "192.0.2.20", ttl=60),  # update
        rrset("new.example.com", "A", "192.0.2.21"),  # create
        rrset("host.example.com", "CNAME", "lb.example.net."),  # beside HINFO, SSHFP: no
        rrset("x.sub.example.com", "A", "192.0.2.22"),  # under a delegation: no
        rrset("x.legacy.example.com", "A", "192.0.2.23"),  # under a DNAME: no
        rrset("sub.example.com", "A", "192.0.2.24"),  # the delegation point: no
    )
    plan = plan_for(provider, wanted, TxtRegistry("test"))
    results = apply(provider, plan)
    applied = {c.key for r in results for g in r.applied for c in g}
    refused = [f for r in results for f in r.failed]
    assert all(f.conflict for f in refused)
    assert [str(c.key) for f in refused for c in f.group] == [
        "host.example.com. CNAME",
        "cname-host.example.com. TXT",
    ]
    assert {str(k) for k in applied} == {
        "web.example.com. A",  # its TXT already says what it should
        "new.example.com. A",
        "a-new.example.com. TXT",
        "old.example.com. A",
        "a-old.example.com. TXT",
    }
    return list(plan.diagnostics), touched(plan)


def test_foreign_records_are_kept_exactly(zone_dir: Path) -> None:
    path = zone_dir / FILE
    before = rr_data(path)
    diagnostics, changed = converge(zone_dir)
    after = rr_data(path)
    assert_foreign_unchanged(before, after, changed)
    assert (before.keys() - changed) <= after.keys()
    # The plan named only our records, and the ones it refused were not written.
    assert {dns.rdatatype.to_text(t) for _, t in changed} == {"A", "TXT", "CNAME"}
    occluded = sorted(d.message for d in diagnostics if d.reason == "Occluded")
    assert len(occluded) == 3
    assert "occluded by the delegation sub.example.com. (NS)" in occluded[0]
    assert any("occluded by the DNAME at legacy.example.com." in m for m in occluded)
    assert temp_files(zone_dir) == []


def test_the_written_file_keeps_the_ttl_directive(zone_dir: Path) -> None:
    converge(zone_dir)
    text = (zone_dir / FILE).read_text()
    assert text.startswith("$TTL 300\n")
    assert 'esc.example.com. 300 IN TXT "a\\"quoted\\" \\\\back" "semi;colon" ""' in text
    assert 'bytes.example.com. 300 IN TXT "caf\\195\\169" "\\000\\001\\255" "tab\\009end"' in text


def test_a_second_plan_after_apply_is_empty(zone_dir: Path) -> None:
    converge(zone_dir)
    provider = ZoneFileProvider(zone_dir, [ZONE])
    wanted = desired(
        rrset("web.example.com", "A", "192.0.2.20", ttl=60),
        rrset("new.example.com", "A", "192.0.2.21"),
    )
    plan = plan_for(provider, wanted, TxtRegistry("test"))
    assert not plan.has_changes


def named_checkzone(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("named-checkzone") or "/usr/bin/named-checkzone"
    require_dns(Path(binary).exists(), "named-checkzone is missing (apt-get install bind9-utils)")
    return subprocess.run(
        [binary, *args, "example.com", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bind_loads_the_written_file_with_the_same_foreign_data(zone_dir: Path) -> None:
    path = zone_dir / FILE
    original = zone_dir / "original.zone"
    shutil.copy(path, original)
    first = named_checkzone(original, "-D")
    assert first.returncode == 0, first.stdout + first.stderr
    _, changed = converge(zone_dir)
    second = named_checkzone(path, "-D")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "loaded serial 8" in second.stderr

    def foreign_lines(dump: str) -> set[str]:
        names = {n.to_text().lower() for n, _ in changed}
        kept = set()
        for line in dump.splitlines():
            fields = line.split()
            if len(fields) < 4 or fields[0].lower() in names or fields[3] == "SOA":
                continue
            kept.add(line)
        return kept

    assert foreign_lines(second.stdout) == foreign_lines(first.stdout)


@pytest.mark.bind
def test_a_real_named_serves_the_written_file(zone_dir: Path, tmp_path: Path) -> None:
    require_dns(bind_available(), "BIND9 (/usr/sbin/named) is not installed")
    with BindServer(["example.com"], workdir_parent=str(tmp_path)) as server:
        assert server.workdir is not None
        served = server.workdir / FILE
        server.stop(keep_data=True)
        marker = f'{MARKER_LABEL} 300 TXT "{server.marker}"\n'
        write_zone(server.workdir, OWNED + FOREIGN + marker)
        provider_dir = server.workdir
        converge(provider_dir)
        server.start()
        xfr = dns.query.xfr(
            server.host,
            "example.com.",
            port=server.port,
            keyring=server.tsig.dns_key(),
            keyname=server.tsig.key_name,
            relativize=False,
            timeout=10,
            lifetime=30,
        )
        transferred = dns.zone.from_xfr(xfr, relativize=False, check_origin=False)
        from_file = rr_data(served)
        over_the_wire = {
            (name, rdataset.rdtype): (rdataset.ttl, frozenset(r.to_wire() for r in rdataset))
            for name, node in transferred.nodes.items()
            for rdataset in node.rdatasets
        }
        assert over_the_wire.keys() == from_file.keys()
        assert over_the_wire == from_file
        bytes_txt = over_the_wire[(dns.name.from_text("bytes.example.com."), dns.rdatatype.TXT)]
        assert bytes_txt[1] == {b"\x05caf\xc3\xa9\x03\x00\x01\xff\x07tab\tend"}
