"""UPDATE message building and packing (no server needed)."""

from __future__ import annotations

import base64

import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.update
from dnssync_rfc2136.batching import deletes_first, pack
from dnssync_rfc2136.encoding import SignedUpdate
from dnssync_rfc2136.tsig import TsigKey
from dnssync_rfc2136.updates import PrereqKind, UnwritableGroup, build, overhead, render

from dnssync.model.changes import Action
from dnssync.model.names import DomainName
from dnssync.testing.builders import create, delete, ownership_txt, rrset, update

ZONE = DomainName.parse("example.com")
KEY = TsigKey(dns.name.from_text("ddns-key"), "hmac-sha256", base64.b64decode("c" * 44))


def parsed(signed: SignedUpdate) -> dns.update.UpdateMessage:
    """The message as dnspython reads it off the wire (unsigned messages only)."""
    message = dns.message.from_wire(signed.wire)
    assert isinstance(message, dns.update.UpdateMessage)
    return message


def sections(signed: SignedUpdate) -> tuple[list[str], list[str]]:
    message = parsed(signed)

    def text(r: dns.rrset.RRset) -> str:
        rdclass = r.deleting if r.deleting is not None else r.rdclass
        return f"{r.name} {dns.rdataclass.to_text(rdclass)} {dns.rdatatype.to_text(r.rdtype)}"

    return [text(r) for r in message.prerequisite], [text(r) for r in message.update]


def test_create_requires_absence_and_no_cname() -> None:
    a = rrset("app.example.com", "A", "192.0.2.1")
    txt = ownership_txt("app.example.com", "A", "service/ns/app")
    entry = build(ZONE, create(ZONE, a, txt))
    prereq, updates = sections(render(ZONE, [entry], None))
    assert prereq == [
        "app.example.com. NONE A",
        "a-app.example.com. NONE TXT",
        "app.example.com. NONE CNAME",
        "a-app.example.com. NONE CNAME",
    ]
    assert updates == ["app.example.com. IN A", "a-app.example.com. IN TXT"]


def test_create_cname_requires_an_empty_name() -> None:
    cname = rrset("app.example.com", "CNAME", "lb.example.net.")
    entry = build(ZONE, create(ZONE, cname))
    assert [p.kind for p in entry.guards] == [PrereqKind.ABSENT_NAME]
    prereq, _ = sections(render(ZONE, [entry], None))
    assert prereq == ["app.example.com. NONE CNAME", "app.example.com. NONE ANY"]


def test_update_and_delete_require_the_exact_old_rrset() -> None:
    old = rrset("app.example.com", "A", "192.0.2.1", "192.0.2.2")
    new = rrset("app.example.com", "A", "192.0.2.3", ttl=60)
    message = parsed(render(ZONE, [build(ZONE, update(ZONE, old, new))], None))
    # One RR per entry on the wire; the server groups them per name and type.
    assert all(p.rdclass == dns.rdataclass.IN and p.ttl == 0 for p in message.prerequisite)
    assert sorted(r.to_text() for p in message.prerequisite for r in p) == [
        "192.0.2.1",
        "192.0.2.2",
    ]
    *deleted, added = message.update
    assert all(d.deleting == dns.rdataclass.NONE for d in deleted)
    assert sorted(r.to_text() for d in deleted for r in d) == ["192.0.2.1", "192.0.2.2"]
    assert added.deleting is None and added.ttl == 60

    message = parsed(render(ZONE, [build(ZONE, delete(ZONE, old))], None))
    assert {r.rdclass for r in message.prerequisite} == {dns.rdataclass.IN}
    # Exactly the records we own, never the whole name or type.
    assert {r.deleting for r in message.update} == {dns.rdataclass.NONE}


def test_guards_dropped_when_the_message_rewrites_the_name() -> None:
    cname = rrset("app.example.com", "CNAME", "lb.example.net.")
    a = rrset("app.example.com", "A", "192.0.2.1")
    entries = [build(ZONE, delete(ZONE, cname)), build(ZONE, create(ZONE, a))]
    prereq, _ = sections(render(ZONE, entries, None))
    assert "app.example.com. NONE CNAME" not in prereq
    # Alone, the create keeps its guard.
    prereq, _ = sections(render(ZONE, entries[1:], None))
    assert "app.example.com. NONE CNAME" in prereq
    # A -> CNAME switch: the CNAME's "empty name" guard goes when the A is deleted beside it.
    entries = [build(ZONE, delete(ZONE, a)), build(ZONE, create(ZONE, cname))]
    prereq, _ = sections(render(ZONE, entries, None))
    assert "app.example.com. NONE ANY" not in prereq


def test_size_is_exact() -> None:
    groups = []
    for i in range(300):
        record = rrset(f"host-{i}.example.com", "A", f"198.51.100.{i % 250}")
        groups.append(create(ZONE, record, ownership_txt(record.name.text, "A", f"service/n/{i}")))
    entries = [build(ZONE, g) for g in groups]
    unsigned = len(render(ZONE, entries, None).wire)
    assert unsigned == overhead(ZONE, None) + sum(e.size for e in entries)
    # The TSIG record's share is an upper bound (the MAC of the longest algorithm).
    signed = len(render(ZONE, entries, KEY).wire)
    assert unsigned < signed <= overhead(ZONE, KEY) + sum(e.size for e in entries)


def test_pack_respects_budget_order_and_unique_rrsets() -> None:
    groups = [create(ZONE, rrset(f"h{i:02d}.example.com", "A", "192.0.2.1")) for i in range(50)]
    entries = [build(ZONE, g) for g in groups]
    budget = sum(e.size for e in entries[:10])
    packing = pack(entries, budget)
    assert [len(b) for b in packing.batches] == [10] * 5
    assert [e.group for b in packing.batches for e in b] == groups
    # Two groups writing the same RRset never share a message.
    same = [build(ZONE, groups[0]), build(ZONE, groups[0])]
    assert [len(b) for b in pack(same, 10_000).batches] == [1, 1]
    # A group larger than a whole message is reported, not sent.
    big = rrset("big.example.com", "TXT", *[f"v{i}-" + "x" * 200 for i in range(400)])
    packing = pack([build(ZONE, create(ZONE, big))], 65_000)
    assert not packing.batches and len(packing.too_big) == 1


def test_deletes_first_is_stable() -> None:
    a = rrset("a.example.com", "A", "192.0.2.1")
    b = rrset("b.example.com", "A", "192.0.2.2")
    c = rrset("c.example.com", "A", "192.0.2.3")
    groups = [create(ZONE, a), delete(ZONE, b), update(ZONE, c, c.with_ttl(5)), delete(ZONE, a)]
    ordered = deletes_first(groups)
    assert [g.action for g in ordered] == [
        Action.DELETE,
        Action.DELETE,
        Action.UPDATE,
        Action.CREATE,
    ]
    assert ordered[0] is groups[1]


def test_names_outside_the_zone_are_refused() -> None:
    other = rrset("app.example.org", "A", "192.0.2.1")
    try:
        build(ZONE, create(ZONE, other))
    except UnwritableGroup as exc:
        assert "not inside zone example.com." in str(exc)
    else:
        raise AssertionError("expected UnwritableGroup")
