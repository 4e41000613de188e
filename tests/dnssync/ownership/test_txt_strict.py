"""Ownership TXT content is read exactly (issue 13): what ExternalDNS writes is ours or
theirs; anything ambiguous is Untrusted, never ours; nothing we write can be injected."""

from __future__ import annotations

import base64
import gzip
import os
import re
import string

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from dnssync.errors import ConfigError, OwnershipError
from dnssync.model.records import Text
from dnssync.ownership import txt
from dnssync.ownership.txt import (
    Ownership,
    TxtRegistry,
    Untrusted,
    parse_ownership,
    read_ownership,
)

PLAIN = "heritage=external-dns,external-dns/owner=t,external-dns/resource=service/ns/x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Exactly what ExternalDNS writes (labels sorted after heritage), quoted or not.
        (PLAIN, Ownership("t", "service/ns/x")),
        (f'"{PLAIN}"', Ownership("t", "service/ns/x")),
        (
            "heritage=external-dns,external-dns/dualstack=true,external-dns/owner=t,"
            "external-dns/resource=ingress/ns/web",
            Ownership("t", "ingress/ns/web", (("external-dns/dualstack", "true"),)),
        ),
        ("heritage=external-dns,external-dns/owner=t", Ownership("t", None)),
        (
            "heritage=external-dns,external-dns/owner=t,external-dns/resource=crd/ns/ep",
            Ownership("t", "crd/ns/ep"),
        ),
        # An ExternalDNS owner id may hold what ours may not (it is then never ours).
        ("heritage=external-dns,external-dns/owner=my cluster", Ownership("my cluster")),
    ],
)
def test_what_external_dns_writes_is_read(text: str, expected: Ownership) -> None:
    assert read_ownership(text) == expected
    assert parse_ownership(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "heritage=external-dns,external-dns/owner=other,external-dns/owner=t",
            "'external-dns/owner' appears more than once",
        ),
        (
            "heritage=external-dns,external-dns/owner=t,external-dns/owner=t",
            "appears more than once",
        ),
        ("heritage=external-dns,external-dns/owner= t ", "padded"),
        ("heritage=external-dns, external-dns/owner=t", "padded"),
        ("heritage=external-dns,external-dns/owner =t", "padded"),
        (" heritage=external-dns,external-dns/owner=t", "padded"),
        ("heritage=external-dns,external-dns/owner=t\t", "padded"),
        ("heritage=external-dns,heritage=external-dns,external-dns/owner=t", "more than once"),
        ("heritage=external-dns,heritage=other,external-dns/owner=t", "more than once"),
        (
            "heritage=external-dns,external-dns/owner=t,external-dns/resource=a/b/c,"
            "external-dns/resource=service/ns/x",
            "more than once",
        ),
        ("heritage=external-dns,=x,external-dns/owner=t", "empty key"),
        ("heritage=external-dns,external-dns/=x,external-dns/owner=t", "empty key"),
        ('""heritage=external-dns,external-dns/owner=t""', "quotes"),
        ('heritage=external-dns,external-dns/owner="t"', "quotes"),
        ("heritage=external-dns,junk,external-dns/owner=t", "is not key=value"),
        ("heritage=external-dns,external-dns/owner=t,", "is not key=value"),
        ("heritage=external-dns,external-dns/owner=t=u", "more than one '='"),
        ("heritage=external-dns,owner=t", "is not an external-dns/ label"),
        ("heritage=external-dns,external-dns/owner=t\x1b[0m", "control"),
        ("heritage=external-dns", "names no owner"),
        ("heritage=external-dns,external-dns/owner=", "names no owner"),
        ("heritage=external-dns,external-dns/owner=t,external-dns/resource=", "resource is empty"),
        ("external-dns/owner=t,external-dns/resource=service/ns/x", "no heritage"),
    ],
)
def test_ambiguous_content_is_untrusted(text: str, reason: str) -> None:
    found = read_ownership(text)
    assert isinstance(found, Untrusted)
    assert reason in found.reason
    assert parse_ownership(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "v=spf1 include:_spf.example.com ~all",
        "",
        "google-site-verification=abc",
        "heritage=other,external-dns-like=1",
        "heritage=other,junk",
        "hello, world",
        # 43 characters: an ACME challenge token is never taken for an encrypted record.
        "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE",
    ],
)
def test_ordinary_txt_data_is_not_ownership(text: str) -> None:
    assert read_ownership(text) is None


def test_external_dns_encrypted_ownership_is_refused_clearly() -> None:
    # ExternalDNS --txt-encrypt-enabled: base64(nonce || AES-256-GCM(gzip(labels))).
    key, nonce = os.urandom(32), os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, gzip.compress(PLAIN.encode()), None)
    stored = base64.b64encode(nonce + sealed).decode()
    for text in (stored, f'"{stored}"'):
        found = read_ownership(text)
        assert isinstance(found, Untrusted)
        assert "encrypted" in found.reason and "--txt-encrypt-enabled" in found.reason


@pytest.mark.parametrize(
    "owner",
    ["", "a,b", "a=b", 'a"b', "a b", "a\\b", "a\nb", "a\tb", "a\x1bb", "\u00e9", "a\u202eb", " a"],
)
def test_owner_id_that_cannot_be_carried_is_a_config_error(owner: str) -> None:
    with pytest.raises(ConfigError, match="--owner-id") as caught:
        TxtRegistry(owner)
    # The message shows the id escaped: no raw control character reaches a terminal.
    assert str(caught.value).isprintable() and str(caught.value).isascii()


@pytest.mark.parametrize(
    "resource",
    [
        "service/ns/x,external-dns/owner=other",
        "service/ns/x=y",
        'service/ns/x"',
        "service/ns/x y",
        "service/ns/x\n",
        "service/ns/\u00e9",
        "service/ns/a/b",
        "service//x",
        "service/ns",
    ],
)
def test_content_refuses_a_resource_that_would_be_ambiguous(resource: str) -> None:
    with pytest.raises(OwnershipError, match="cannot be recorded"):
        TxtRegistry("t").content(resource)


# --------------------------------------------------------------------------- properties

CARRIABLE = "".join(c for c in string.printable if c.isprintable() and c not in ',="\\ ')
owner_ids = st.text(alphabet=CARRIABLE, min_size=1, max_size=40)
parts = st.text(alphabet=CARRIABLE.replace("/", ""), min_size=1, max_size=30)
resources = st.builds(lambda k, n, m: f"{k}/{n}/{m}", parts, parts, parts)


@given(owner_ids, resources, st.booleans())
def test_what_we_write_reads_back_exactly(owner: str, resource: str, quoted: bool) -> None:
    content = TxtRegistry(owner).content(resource)
    text = f'"{content.joined}"' if quoted else content.joined
    assert parse_ownership(text) == Ownership(owner, resource)
    # And through the presentation form a provider stores and hands back.
    assert parse_ownership(Text.parse(content.to_text()).joined) == Ownership(owner, resource)


@given(owner_ids, resources, st.data())
def test_a_duplicated_key_is_never_ours(owner: str, resource: str, data: st.DataObject) -> None:
    tokens = TxtRegistry(owner).content(resource).joined.split(",")
    key = data.draw(st.sampled_from(tokens)).partition("=")[0]
    value = data.draw(st.sampled_from([owner, "other", "external-dns", resource]))
    tokens.insert(data.draw(st.integers(0, len(tokens))), f"{key}={value}")
    text = ",".join(tokens)
    assert isinstance(read_ownership(text), Untrusted)
    assert parse_ownership(text) is None


@given(owner_ids, resources, st.data())
def test_a_padded_key_or_value_is_never_ours(
    owner: str, resource: str, data: st.DataObject
) -> None:
    tokens = TxtRegistry(owner).content(resource).joined.split(",")
    index = data.draw(st.integers(0, len(tokens) - 1))
    key, _, value = tokens[index].partition("=")
    pad = data.draw(st.sampled_from([" ", "\t", "  ", "\u00a0"]))
    where = data.draw(st.sampled_from(["key-left", "key-right", "value-left", "value-right"]))
    if where.startswith("key"):
        key = pad + key if where.endswith("left") else key + pad
    else:
        value = pad + value if where.endswith("left") else value + pad
    tokens[index] = f"{key}={value}"
    assert parse_ownership(",".join(tokens)) is None


@given(st.text(max_size=300))
def test_reading_never_raises(text: str) -> None:
    found = read_ownership(text)
    assert found is None or isinstance(found, (Ownership, Untrusted))


# Values near the exact form, with the characters the fast path must not take.
_near_values = st.text(
    alphabet=st.sampled_from([*"ab/-\\", " ", "\t", '"', ",", "=", "\u00e9", "\x00", "\u2028"]),
    min_size=0,
    max_size=6,
)


@given(_near_values, _near_values, st.booleans())
def test_the_exact_form_fast_path_reads_as_the_careful_path(
    owner: str, resource: str, with_resource: bool
) -> None:
    """read_ownership matches what ExternalDNS writes in one regex; the result must be what
    reading it token by token gives, for anything that looks like it."""
    text = f"heritage=external-dns,external-dns/owner={owner}"
    if with_resource:
        text += f",external-dns/resource={resource}"
    careful = _without_fast_path(text)
    assert read_ownership.__wrapped__(text) == careful


def _without_fast_path(text: str) -> Ownership | Untrusted | None:
    saved = txt._EXACT
    txt._EXACT = re.compile(r"(?!)")
    try:
        return txt.read_ownership.__wrapped__(text)
    finally:
        txt._EXACT = saved
