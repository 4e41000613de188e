"""ProviderCache: the provider's records as last read, advanced by what was applied."""

from __future__ import annotations

from dnssync.daemon.cache import ProviderCache
from dnssync.model.records import RecordKey, RecordType
from dnssync.ownership.txt import TxtRegistry
from dnssync.testing.builders import create, delete, name, ownership_txt, rrset, update

ZONE = name("example.com")
OTHER = name("example.org")


def keys(rrsets: list) -> set[str]:  # type: ignore[type-arg]
    return {str(r.key) for r in rrsets}


def test_around_returns_the_names_and_their_ownership_txt_only() -> None:
    web = rrset("web.example.com", "A", "192.0.2.1")
    web6 = rrset("web.example.com", "AAAA", "2001:db8::1")
    legacy = rrset("web.example.com", "TXT", '"heritage=external-dns,external-dns/owner=x"')
    records = [
        web,
        web6,
        legacy,
        ownership_txt("web.example.com", "A", "service/a/web", "x"),
        ownership_txt("web.example.com", "AAAA", "service/a/web", "x"),
        ownership_txt("web.example.com", "CNAME", "service/a/web", "x"),
        rrset("api.example.com", "A", "192.0.2.2"),
        ownership_txt("api.example.com", "A", "service/a/api", "x"),
        rrset("deep.web.example.com", "A", "192.0.2.3"),
    ]
    cache = ProviderCache()
    cache.replace(ZONE, records)
    found = cache.around(ZONE, [name("web.example.com")], TxtRegistry("x"))
    assert keys(found) == {
        "web.example.com. A",
        "web.example.com. AAAA",
        "web.example.com. TXT",
        "a-web.example.com. TXT",
        "aaaa-web.example.com. TXT",
        "cname-web.example.com. TXT",
    }
    assert keys(cache.around(ZONE, [], TxtRegistry("x"))) == set()
    assert cache.around(OTHER, [name("web.example.com")], TxtRegistry("x")) == []


def test_around_follows_the_txt_prefix() -> None:
    registry = TxtRegistry("x", prefix="dnssync-%{record_type}.")
    txt = rrset("dnssync-a.web.example.com", "TXT", '"heritage=external-dns"')
    cache = ProviderCache()
    cache.replace(ZONE, [rrset("web.example.com", "A", "192.0.2.1"), txt])
    assert keys(cache.around(ZONE, [name("web.example.com")], registry)) == {
        "web.example.com. A",
        "dnssync-a.web.example.com. TXT",
    }


def test_applied_advances_the_cache_and_ignores_unknown_zones() -> None:
    old = rrset("web.example.com", "A", "192.0.2.1")
    new = rrset("web.example.com", "A", "192.0.2.9")
    txt = ownership_txt("web.example.com", "A", "service/a/web")
    api = rrset("api.example.com", "A", "192.0.2.2")
    api_txt = ownership_txt("api.example.com", "A", "service/a/api")
    cache = ProviderCache()
    cache.replace(ZONE, [old, txt, api, api_txt])
    cache.applied(ZONE, [update(ZONE, old, new), delete(ZONE, api, api_txt)])
    cache.applied(ZONE, [create(ZONE, rrset("new.example.com", "CNAME", "web.example.com."))])
    everything = cache.around(
        ZONE,
        [name("web.example.com"), name("api.example.com"), name("new.example.com")],
        TxtRegistry("contract"),
    )
    by_key = {r.key: r for r in everything}
    assert by_key[new.key] == new
    assert api.key not in by_key and api_txt.key not in by_key
    assert RecordKey(name("new.example.com"), RecordType.CNAME) in by_key
    assert cache.size(ZONE) == 3

    cache.applied(OTHER, [create(OTHER, rrset("x.example.org", "A", "192.0.2.1"))])
    assert not cache.has(OTHER)
    assert cache.zones() == (ZONE,)


def test_replace_and_forget() -> None:
    cache = ProviderCache()
    cache.replace(ZONE, [rrset("a.example.com", "A", "192.0.2.1")])
    cache.replace(OTHER, [])
    assert set(cache.zones()) == {ZONE, OTHER}
    cache.replace(ZONE, [])
    assert cache.size(ZONE) == 0
    cache.forget(ZONE)
    assert not cache.has(ZONE) and cache.has(OTHER)
