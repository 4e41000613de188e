"""The read side of the ownership stage: which of a zone's records are ours."""

from __future__ import annotations

from dnssync.model.records import RecordKey, RecordType, RRset, Text
from dnssync.ownership.registry import ZoneOwnership
from dnssync.ownership.txt import Ownership, TxtRegistry
from dnssync.testing.builders import name, ownership_txt, rrset

ZONE = name("example.com")
REGISTRY = TxtRegistry("ours")
APP_A = rrset("app.example.com", "A", "192.0.2.1")
APP_AAAA = rrset("app.example.com", "AAAA", "2001:db8::1")


def key(owner: str, rtype: str) -> RecordKey:
    return RecordKey(name(owner), RecordType.parse(rtype))


def txt(owner: str, *values: str) -> RRset:
    return RRset.of(name(owner), RecordType.TXT, 300, [Text.of(v) for v in values])


def content(owner: str, resource: str = "service/web/app") -> str:
    return f"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}"


def read(*rrsets: RRset, occluded: tuple[RecordKey, ...] = ()) -> ZoneOwnership:
    return ZoneOwnership.of(ZONE, REGISTRY, rrsets, occluded)


def test_a_record_with_our_typed_txt_is_ours() -> None:
    zone = read(APP_A, ownership_txt("app.example.com", "A", "service/web/app", "ours"))
    owners = zone.owners(lambda _: True)
    assert list(owners.ours) == [APP_A.key]
    found = owners.ours[APP_A.key]
    assert found.ownership == Ownership("ours", "service/web/app")
    assert found.txt.name == name("a-app.example.com")
    assert not found.legacy
    assert owners.foreign == {}


def test_another_owner_and_nobody_are_foreign() -> None:
    zone = read(APP_A, APP_AAAA, ownership_txt("app.example.com", "A", "service/web/app", "blue"))
    owners = zone.owners(lambda _: True)
    assert owners.ours == {}
    theirs = owners.foreign[APP_A.key]
    assert theirs is not None and theirs.ownership.owner == "blue"
    assert owners.foreign[APP_AAAA.key] is None


def test_a_pre_v012_txt_at_the_record_owns_it_but_never_an_aaaa() -> None:
    zone = read(APP_A, APP_AAAA, txt("app.example.com", content("ours")))
    owners = zone.owners(lambda _: True)
    assert list(owners.ours) == [APP_A.key]
    assert owners.ours[APP_A.key].legacy
    assert owners.foreign == {APP_AAAA.key: None}


def test_a_typed_txt_of_an_existing_record_is_not_a_pre_v012_txt() -> None:
    # Without a prefix "a-b" is both a name and where b's A record keeps its TXT.
    b = rrset("b.example.com", "A", "192.0.2.2")
    a_b = rrset("a-b.example.com", "A", "192.0.2.3")
    zone = read(b, a_b, txt("a-b.example.com", content("ours")))
    assert not zone.is_legacy_txt(name("a-b.example.com"))
    owners = zone.owners(lambda _: True)
    assert list(owners.ours) == [b.key]
    assert owners.foreign == {a_b.key: None}


def test_a_contested_txt_is_not_ours() -> None:
    zone = read(APP_A, txt("a-app.example.com", content("ours"), content("blue")))
    found = zone.owners(lambda _: True).foreign[APP_A.key]
    assert found is not None and found.ownership.owner == "blue"


def test_an_untrusted_txt_owns_nothing_and_says_why() -> None:
    padded = "heritage=external-dns, external-dns/owner=ours"
    zone = read(APP_A, txt("a-app.example.com", padded))
    assert zone.ownership_of(APP_A.key) is None
    assert zone.owners(lambda _: True).foreign == {APP_A.key: None}
    assert zone.untrusted_txts.keys() == {name("a-app.example.com")}
    why = zone.distrusted(APP_A.key)
    assert why is not None
    assert why.startswith("its ownership TXT a-app.example.com. cannot be trusted: ")
    assert "padded" in why


def test_names_outside_the_managed_ones_are_neither_ours_nor_foreign() -> None:
    zone = read(APP_A, ownership_txt("app.example.com", "A", "service/web/app", "ours"))
    owners = zone.owners(lambda n: n != name("app.example.com"))
    assert owners.ours == {} and owners.foreign == {}


def test_occluded_records_are_kept_apart() -> None:
    hidden = key("x.sub.example.com", "A")
    zone = read(APP_A, occluded=(hidden,))
    assert hidden not in zone.rrsets
    assert zone.occluded == {hidden}


def test_only_our_values_are_taken_out_of_a_shared_txt() -> None:
    shared = txt("app.example.com", content("ours"), "v=spf1 -all", content("blue"))
    zone = read(APP_A, shared)
    assert set(zone.without_ours(shared)) == {Text.of("v=spf1 -all"), Text.of(content("blue"))}
    assert not zone.is_our_txt(name("app.example.com"))  # contested: blue's


def test_a_txt_name_shared_by_a_wildcard_and_its_replacement_owns_neither() -> None:
    # With --txt-wildcard-replacement wc, "*.apps" A and "wc.apps" A both have a-wc.apps.
    registry = TxtRegistry("ours", wildcard_replacement="wc")
    wildcard = rrset("*.apps.example.com", "A", "192.0.2.1")
    spelled = rrset("wc.apps.example.com", "A", "192.0.2.2")
    shared = txt("a-wc.apps.example.com", content("ours"))
    zone = ZoneOwnership.of(ZONE, registry, [wildcard, spelled, shared])
    assert zone.sharing_txt(wildcard.key) == spelled.key
    assert zone.sharing_txt(spelled.key) == wildcard.key
    assert zone.owners(lambda _: True).ours == {}
    assert zone.distrusted(wildcard.key) == (
        "its ownership TXT name is also that of wc.apps.example.com. A "
        "(--txt-wildcard-replacement 'wc'), so it cannot say which it owns"
    )
    # Alone, the wildcard is owned through that TXT as usual.
    alone = ZoneOwnership.of(ZONE, registry, [wildcard, shared])
    assert alone.sharing_txt(wildcard.key) is None
    assert list(alone.owners(lambda _: True).ours) == [wildcard.key]
    assert alone.distrusted(wildcard.key) is None
