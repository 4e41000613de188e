"""The cached zone advanced by a write (the daemon's event path) without re-sorting or
copying the zone: patched snapshots hold exactly what a fresh read would."""

from __future__ import annotations

import dns.rdataset
import pytest
from dnssync_rfc2136.axfr import ZoneSnapshot
from hypothesis import given
from hypothesis import strategies as st

from dnssync.model.names import DomainName
from dnssync.model.records import RecordKey, RRset
from dnssync.testing.builders import rrset

ZONE = DomainName.parse("example.com")
LABELS = ("a", "b", "c", "d", "m", "z")


def a(label: str, ip: str) -> RRset:
    return rrset(f"{label}.example.com", "A", ip)


def wire_of(*rrsets: RRset) -> dict[RecordKey, dns.rdataset.Rdataset]:
    return {
        r.key: dns.rdataset.from_text("IN", r.rtype.value, r.ttl, *r.value_texts()) for r in rrsets
    }


def snapshot(serial: int, rrsets: list[RRset]) -> ZoneSnapshot:
    ordered = sorted(rrsets, key=lambda r: r.key)
    return ZoneSnapshot(ZONE, serial, ordered, wire_of(*ordered))


changes = st.dictionaries(
    st.sampled_from(LABELS),
    st.one_of(st.none(), st.sampled_from(["192.0.2.1", "192.0.2.2"])),
    max_size=4,
)


@given(
    st.dictionaries(st.sampled_from(LABELS), st.sampled_from(["192.0.2.1", "192.0.2.3"])),
    st.lists(changes, max_size=5),
)
def test_patches_give_what_a_fresh_read_gives(
    initial: dict[str, str], steps: list[dict[str, str | None]]
) -> None:
    held = {label: a(label, ip) for label, ip in initial.items()}
    current = snapshot(1, list(held.values()))
    current.index()  # as a write would have looked values up
    for serial, step in enumerate(steps, start=2):
        changed: dict[RecordKey, RRset | None] = {}
        written: list[RRset] = []
        for label, ip in step.items():
            key = RecordKey(DomainName.parse(f"{label}.example.com"), a(label, "192.0.2.9").rtype)
            if ip is None:
                held.pop(label, None)
                changed[key] = None
            else:
                held[label] = a(label, ip)
                changed[key] = held[label]
                written.append(held[label])
        old = current
        current = current.patched(serial, changed, wire_of(*written))
        fresh = snapshot(serial, list(held.values()))
        assert current.rrsets == fresh.rrsets
        assert current.index() == fresh.index()
        assert current.wire.keys() == fresh.wire.keys()
        assert len(current) == len(held)
        with pytest.raises(RuntimeError, match="superseded"):
            old.index()
