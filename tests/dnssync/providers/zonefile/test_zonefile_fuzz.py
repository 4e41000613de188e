"""Fuzzing the zone-file provider (bounded by the hypothesis profile, 'ci' by default).

Invariants, for generated zone files full of foreign data (every common type, TXT with
several strings, escapes and any octets, delegations, DNAMEs, wildcards) and owned
records: no traceback; after plan -> apply every foreign RR is exactly unchanged (compared
as dnspython reads the file); plan -> apply -> plan is empty. For arbitrary bytes as a zone
file: the provider reads it or refuses it with a ProviderError, and a refused file is never
written.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dnssync.errors import ProviderError
from dnssync.ownership.txt import TxtRegistry
from dnssync.providers.zonefile import ZoneFileProvider
from dnssync.testing.builders import create, rrset
from tests.dnssync.providers.zonefile.zone_strategies import OWNER_ID, ZoneCase, zone_cases
from tests.dnssync.providers.zonefile.zonefile_kit import (
    FILE,
    HEAD,
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

REGISTRY = TxtRegistry(OWNER_ID)


@given(zone_cases())
def test_foreign_records_survive_plan_and_apply_exactly(case: ZoneCase) -> None:
    with tempfile.TemporaryDirectory(prefix="dnssync-fuzz-") as tmp:
        directory = Path(tmp)
        path = write_zone(directory, case.text)
        before = rr_data(path)
        provider = ZoneFileProvider(directory, [ZONE])
        wanted = desired(*case.desired)
        plan = plan_for(provider, wanted, REGISTRY)
        for result in apply(provider, plan):
            assert result.ok, [f.message for f in result.failed]
        after = rr_data(path)
        assert_foreign_unchanged(before, after, touched(plan))
        again = plan_for(ZoneFileProvider(directory, [ZONE]), wanted, REGISTRY)
        assert not again.has_changes, [str(c.key) for c in again.changes]
        assert temp_files(directory) == []
        occluded = {d.message.split(" ")[0] for d in plan.diagnostics if d.reason == "Occluded"}
        assert all(".deleg." in n or n.startswith("deleg.") or ".moved." in n for n in occluded)


lines = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "$INCLUDE /etc/passwd",
            "$GENERATE 1-9 h$ A 192.0.2.1",
            "$ORIGIN other.org.",
            "$TTL x",
            "( ( (",
            ")",
            '"',
            'x 300 TXT "\\',
            "x 300 A 192.0.2.1 ; comment",
            "@ 300 CNAME a.example.net.",
            "x 300 TYPE1 \\# 4 c0000201",
            "x.example.org. 300 A 192.0.2.1",
        ]
    ),
)


@given(st.lists(lines, max_size=8), st.binary(max_size=64))
def test_any_bytes_are_read_or_refused_never_a_traceback(parts: list[str], noise: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="dnssync-fuzz-") as tmp:
        directory = Path(tmp)
        path = directory / FILE
        path.write_bytes(HEAD.encode() + "\n".join(parts).encode("utf-8", "surrogatepass") + noise)
        before = path.read_bytes()
        provider = ZoneFileProvider(directory, [ZONE])
        try:
            provider.records(ZONE)
        except ProviderError:
            readable = False
        else:
            readable = True
        group = create(ZONE, rrset("fuzz-new.example.com", "A", "192.0.2.1"))
        try:
            result = provider.apply(ZONE, [group])
        except ProviderError:
            assert not readable or path.read_bytes() == before
            assert path.read_bytes() == before
        else:
            assert readable
            if not result.ok:
                assert path.read_bytes() == before
        assert temp_files(directory) == []
