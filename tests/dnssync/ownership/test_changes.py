"""The write side of the ownership stage: the TXT changes that travel with record changes."""

from __future__ import annotations

from collections.abc import Iterable

from dnssync.model.changes import Action, Change
from dnssync.model.records import RecordKey, RecordType, RRset, Text
from dnssync.ownership.changes import OWNERSHIP_TTL, OwnershipChanges
from dnssync.ownership.registry import ZoneOwnership
from dnssync.ownership.txt import TxtRegistry
from dnssync.testing.builders import name, rrset

ZONE = name("example.com")
REGISTRY = TxtRegistry("ours")
RESOURCE = "service/web/app"
APP = name("app.example.com")
APP_A = rrset("app.example.com", "A", "192.0.2.1")
APP_CNAME = rrset("app.example.com", "CNAME", "lb.example.net.")
TYPED_A = name("a-app.example.com")
TYPED_CNAME = name("cname-app.example.com")
SPF = "v=spf1 -all"


def content(owner: str = "ours", resource: str = RESOURCE) -> str:
    return f"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}"


def txt(owner: str, *values: str, ttl: int = OWNERSHIP_TTL) -> RRset:
    return RRset.of(name(owner), RecordType.TXT, ttl, [Text.of(v) for v in values])


def stage(
    *rrsets: RRset,
    desired: Iterable[RecordKey] = (),
    delete: Iterable[RecordKey] = (),
    occluded: Iterable[RecordKey] = (),
) -> OwnershipChanges:
    zone = ZoneOwnership.of(ZONE, REGISTRY, rrsets, occluded)
    ours = zone.owners(lambda _: True).ours
    return OwnershipChanges(zone, ours, set(delete), desired)


def summary(changes: Iterable[Change]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (c.action.value, c.name.text, tuple(v.to_text() for v in c.rrset.values)) for c in changes
    ]


def test_a_create_comes_with_our_typed_txt() -> None:
    changes = stage(desired=[APP_A.key]).for_create(APP_A.key, TYPED_A, RESOURCE)
    assert changes == [
        Change(Action.CREATE, ZONE, txt("a-app.example.com", content()), None, RESOURCE)
    ]


def test_our_txt_is_not_written_again_but_a_new_resource_rewrites_it() -> None:
    held = txt("a-app.example.com", content(), SPF)
    same = stage(APP_A, held, desired=[APP_A.key])
    assert same.for_update(TYPED_A, RESOURCE) == []
    moved = same.for_update(TYPED_A, "service/web/other")
    assert len(moved) == 1 and moved[0].action is Action.UPDATE
    assert moved[0].old == held
    assert set(moved[0].rrset.values) == {
        Text.of(content(resource="service/web/other")),
        Text.of(SPF),
    }


def test_a_txt_that_is_not_ours_is_never_written() -> None:
    theirs = txt("a-app.example.com", content("blue"))
    assert stage(APP_A, theirs, desired=[APP_A.key]).for_update(TYPED_A, RESOURCE) == []


def test_creates_are_refused_over_what_is_not_ours() -> None:
    cases = {
        "cannot create app.example.com. A: it is claimed by owner 'blue'": txt(
            "a-app.example.com", content("blue")
        ),
        "cannot create app.example.com. A: its ownership name a-app.example.com. holds "
        "other TXT data": txt("a-app.example.com", SPF),
        "cannot create app.example.com. A: its ownership name a-app.example.com. is a CNAME": rrset(
            "a-app.example.com", "CNAME", "x.example.net."
        ),
        "cannot create app.example.com. A: app.example.com. is a CNAME not owned by "
        "dnssync": APP_CNAME,
    }
    for message, held in cases.items():
        assert stage(held, desired=[APP_A.key]).create_blocker(APP_A.key, TYPED_A) == message


def test_an_untrusted_txt_blocks_a_create_and_says_why() -> None:
    held = txt("a-app.example.com", "heritage=external-dns, external-dns/owner=ours")
    problem = stage(held, desired=[APP_A.key]).create_blocker(APP_A.key, TYPED_A)
    assert problem is not None
    assert problem.startswith(
        "cannot create app.example.com. A: its ownership TXT a-app.example.com. cannot be trusted: "
    )


def test_our_cname_blocks_an_address_until_it_is_deleted() -> None:
    held = (APP_CNAME, txt("cname-app.example.com", content()))
    kept = stage(*held, desired=[APP_A.key])
    assert kept.create_blocker(APP_A.key, TYPED_A) == (
        "cannot create app.example.com. A: app.example.com. is still our CNAME, not deleted "
        "(the policy or an incomplete source forbids deletes)"
    )
    switched = stage(*held, desired=[APP_A.key], delete=[APP_CNAME.key])
    assert switched.create_blocker(APP_A.key, TYPED_A) is None


def test_a_cname_replaces_our_pre_v012_txt_at_its_name() -> None:
    legacy = txt("app.example.com", content())
    changes = stage(legacy, desired=[APP_CNAME.key])
    assert changes.create_blocker(APP_CNAME.key, TYPED_CNAME) is None
    assert summary(changes.for_create(APP_CNAME.key, TYPED_CNAME, RESOURCE)) == [
        ("create", "cname-app.example.com", (f'"{content()}"',)),
        ("delete", "app.example.com", (f'"{content()}"',)),
    ]


def test_a_cname_is_refused_beside_other_txt_data() -> None:
    changes = stage(txt("app.example.com", content(), SPF), desired=[APP_CNAME.key])
    assert changes.create_blocker(APP_CNAME.key, TYPED_CNAME) == (
        "cannot create CNAME app.example.com.: the name already holds TXT"
    )


def test_a_delete_takes_its_typed_txt() -> None:
    typed = txt("a-app.example.com", content())
    changes = stage(APP_A, typed, delete=[APP_A.key])
    assert changes.for_delete(APP_A.key) == [Change(Action.DELETE, ZONE, None, typed, RESOURCE)]
    assert changes.orphans(set(), lambda _: True) == []  # dealt with by the delete


def test_a_pre_v012_txt_goes_with_the_last_record_it_owns_keeping_other_data() -> None:
    legacy = txt("app.example.com", content(), SPF)
    aaaa = rrset("app.example.com", "AAAA", "2001:db8::1")  # never owned by it
    changes = stage(APP_A, aaaa, legacy, delete=[APP_A.key])
    assert summary(changes.for_delete(APP_A.key)) == [("update", "app.example.com", (f'"{SPF}"',))]
    srv_too = rrset("app.example.com", "SRV", "0 5 88 a.example.com.")
    assert stage(APP_A, srv_too, legacy, delete=[APP_A.key]).for_delete(APP_A.key) == []


def test_orphans_are_our_typed_txts_without_a_record() -> None:
    ours = txt("a-app.example.com", content())
    shared = txt("srv-_k._tcp.example.com", content(), SPF)
    changes = stage(ours, shared, txt("a-gone.example.com", content("blue")))
    assert summary(c for g in changes.orphans(set(), lambda _: True) for c in g) == [
        ("delete", "a-app.example.com", (f'"{content()}"',)),
        ("update", "srv-_k._tcp.example.com", (f'"{SPF}"',)),
    ]


def test_no_orphan_when_the_record_is_wanted_occluded_or_not_managed() -> None:
    ours = txt("a-app.example.com", content())
    assert stage(ours).orphans({APP_A.key}, lambda _: True) == []
    assert stage(ours, occluded=[APP_A.key]).orphans(set(), lambda _: True) == []
    assert stage(ours).orphans(set(), lambda n: n != APP) == []
    claimed = stage(ours, desired=[APP_A.key])
    claimed.claim(TYPED_A)
    assert claimed.orphans(set(), lambda _: True) == []


def test_an_untrusted_txt_is_never_an_orphan() -> None:
    untrusted = txt("a-app.example.com", "heritage=external-dns, external-dns/owner=ours")
    assert stage(untrusted).orphans(set(), lambda _: True) == []
