"""The ExternalDNS TXT registry: ownership record names and content.

Content, quotes included in presentation form::

    "heritage=external-dns,external-dns/owner=<id>,external-dns/resource=<kind>/<ns>/<name>"

Name: the record's first label gets ``<type>-`` in front, optionally with a prefix or
suffix that may contain ``%{record_type}`` (then no ``<type>-`` is added). The pre-v0.12
form, a TXT at the record's own name, is read as ownership too. A wildcard's ``*`` stays in
the TXT name (``a-*.apps.example.com``, a literal ``*``) unless a wildcard replacement is
set (``a-X.apps.example.com``), exactly as ExternalDNS's ``--txt-wildcard-replacement``.

Content is read exactly (docs/ownership.md): one ``heritage``, one owner, at most one
resource, no padding, no empty or duplicate keys. Anything else that claims the
ExternalDNS heritage is :class:`Untrusted`: never ours, and never anyone's, so never
deleted as an orphan either.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from functools import lru_cache

from dnssync.errors import ConfigError, InvalidNameError, OwnershipError
from dnssync.model.names import DomainName
from dnssync.model.records import MANAGED_TYPES, RecordType, Text

HERITAGE = "external-dns"
LABEL_PREFIX = HERITAGE + "/"
OWNER_KEY = LABEL_PREFIX + "owner"
RESOURCE_KEY = LABEL_PREFIX + "resource"
TYPE_PLACEHOLDER = "%{record_type}"
DEFAULT_OWNER_ID = "default"

# What a value written into the content may hold: printable ASCII without the separators
# of the format (",", "="), quotes, backslashes or spaces. ExternalDNS escapes nothing, so
# anything else would be read back differently (or as another key) by either side.
_FORBIDDEN = ',="\\'
_CARRIABLE = frozenset(chr(c) for c in range(0x21, 0x7F)) - frozenset(_FORBIDDEN)
# A replacement is one label; short, so that "<type>-" and an affix still fit in 63 octets.
# Content exactly as written: every check of read_ownership passes for it (see there).
_VALUE = r"[!#-+\--<>-~]+"  # printable ASCII without space, '"', ',' and '='
_EXACT = re.compile(
    rf"heritage={HERITAGE},{OWNER_KEY}=({_VALUE})(?:,{RESOURCE_KEY}=({_VALUE}))?", re.ASCII
)
# How many TXT names a registry remembers (then it starts again).
_NAMES_KEPT = 262144
_REPLACEMENT = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,38}[a-z0-9_])?")


@dataclass(frozen=True, slots=True)
class Ownership:
    """What an ownership TXT says (read exactly: see :func:`read_ownership`)."""

    owner: str
    resource: str | None = None
    # Labels we do not interpret (kept so we never rewrite them away).
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Untrusted:
    """A TXT that claims the ExternalDNS heritage but cannot be read unambiguously.

    The planner treats it as data nobody owns: the record it would own is never changed,
    creating over it is refused, and it is never deleted as an orphan.
    """

    reason: str


@dataclass(frozen=True, slots=True)
class TxtRegistry:
    owner_id: str = DEFAULT_OWNER_ID
    prefix: str = ""
    suffix: str = ""
    # Written instead of a wildcard's "*" in its TXT name (docs/ownership.md, "Wildcards").
    wildcard_replacement: str = ""
    # TXT names already worked out, by (name, type, zone) text: every plan asks several
    # times per record and every reconcile again; str keys hash in C. Not part of the value.
    _names: dict[tuple[str, RecordType, str], DomainName] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        problem = value_problem(self.owner_id)
        if problem is not None:
            raise ConfigError(
                f"--owner-id (--txt-owner-id) {self.owner_id!a}: {problem}; "
                "it is written into every ownership TXT record"
            )
        if self.prefix and self.suffix:
            raise ConfigError("--txt-prefix and --txt-suffix cannot be used together")
        # Names are compared lower-case; so must the affixes be, to map a TXT name back.
        object.__setattr__(self, "prefix", self.prefix.lower())
        object.__setattr__(self, "suffix", self.suffix.lower())
        replacement = self.wildcard_replacement.lower()
        if replacement and not _REPLACEMENT.fullmatch(replacement):
            raise ConfigError(
                f"--txt-wildcard-replacement {self.wildcard_replacement!a}: it must be one DNS "
                "label of letters, digits, '-' and '_' (at most 40 characters), e.g. 'wildcard'"
            )
        object.__setattr__(self, "wildcard_replacement", replacement)

    @property
    def _templated(self) -> bool:
        return TYPE_PLACEHOLDER in self.prefix or TYPE_PLACEHOLDER in self.suffix

    def _affixes(self, rtype: RecordType) -> tuple[str, str]:
        kind = rtype.lower()
        prefix = self.prefix.replace(TYPE_PLACEHOLDER, kind)
        suffix = self.suffix.replace(TYPE_PLACEHOLDER, kind)
        if not self._templated:
            prefix = prefix + kind + "-"
        return prefix, suffix

    def txt_name(self, name: DomainName, rtype: RecordType, zone: DomainName) -> DomainName:
        """The ownership TXT name of a record; refused (OwnershipError) if unusable."""
        memo = (name.text, rtype, zone.text)
        found = self._names.get(memo)
        if found is None:
            found = self._txt_name(name, rtype, zone)  # a refusal is not remembered
            if len(self._names) >= _NAMES_KEPT:
                self._names.clear()
            self._names[memo] = found
        return found

    def _txt_name(self, name: DomainName, rtype: RecordType, zone: DomainName) -> DomainName:
        prefix, suffix = self._affixes(rtype)
        head, _, rest = name.text.partition(".")
        if head == "*" and self.wildcard_replacement:
            head = self.wildcard_replacement
        text = f"{prefix}{head}{suffix}" + (f".{rest}" if rest else "")
        try:
            txt = DomainName.parse(text)
        except InvalidNameError as exc:
            raise OwnershipError(
                f"the ownership TXT for {name.fqdn} {rtype.value} cannot be named "
                f"({exc}); use a shorter name or a --txt-prefix such as 'dnssync-%{{record_type}}.'"
            ) from None
        if not txt.is_subdomain_of(zone):
            raise OwnershipError(
                f"the ownership TXT for {name.fqdn} {rtype.value} would be {txt.fqdn}, outside "
                f"zone {zone.fqdn}; set --txt-prefix with a dot, e.g. "
                "'dnssync-%{record_type}.', to manage records at the zone apex"
            )
        return txt

    def record_keys_for(self, txt: DomainName) -> list[tuple[DomainName, RecordType]]:
        """Which (name, type) a TXT at this name would own (new format only)."""
        found: list[tuple[DomainName, RecordType]] = []
        for rtype in MANAGED_TYPES:
            prefix, suffix = self._affixes(rtype)
            candidate = _strip_affixes(txt.text, prefix, suffix)
            if candidate is None:
                continue
            try:
                record = DomainName.parse(candidate)
            except InvalidNameError:
                continue
            found.append((record, rtype))
            twin = self.wildcard_twin(record)
            if twin is not None and twin.is_wildcard:
                found.append((twin, rtype))
        return found

    def wildcard_twin(self, name: DomainName) -> DomainName | None:
        """The other name whose ownership TXT has the same name as name's, or None.

        With a wildcard replacement X, ``*.apps.example.com`` and ``X.apps.example.com``
        share their TXT names (as in ExternalDNS); one TXT cannot say which it owns.
        """
        if not self.wildcard_replacement:
            return None
        head, sep, rest = name.text.partition(".")
        if not sep:
            return None
        if head == "*":
            return DomainName.parse(f"{self.wildcard_replacement}.{rest}")
        if head == self.wildcard_replacement:
            return DomainName.parse(f"*.{rest}")
        return None

    def content(self, resource: str) -> Text:
        """Our ownership TXT content; OwnershipError for a resource it cannot carry."""
        return _content(self.owner_id, resource)


def _strip_affixes(text: str, prefix: str, suffix: str) -> str | None:
    if not text.startswith(prefix):
        return None
    remaining = text[len(prefix) :]
    if not suffix:
        return remaining or None
    # The suffix sits at the end of the record's first label.
    label, sep, tail = remaining.partition(".")
    if not label.endswith(suffix) or len(label) == len(suffix):
        return None
    return label[: -len(suffix)] + (sep + tail if sep else "")


@lru_cache(maxsize=65536)
def _content(owner_id: str, resource: str) -> Text:
    problem = resource_problem(resource)
    if problem is not None:
        raise OwnershipError(f"resource {resource!a} cannot be recorded: {problem}")
    return Text.of(f"heritage={HERITAGE},{OWNER_KEY}={owner_id},{RESOURCE_KEY}={resource}")


def value_problem(value: str, also_forbidden: str = "") -> str | None:
    """Why value cannot be written into ownership content unambiguously, or None."""
    if not value:
        return "it is empty"
    bad = sorted({c for c in value if c not in _CARRIABLE or c in also_forbidden})
    if not bad:
        return None
    shown = ", ".join(_show(c) for c in bad[:8]) + (", ..." if len(bad) > 8 else "")
    return (
        f"it contains {shown}; only printable ASCII without spaces, "
        f'quotes, backslashes, "," or "="{_also(also_forbidden)} can be carried'
    )


def resource_problem(resource: str) -> str | None:
    """Why ``kind/namespace/name`` cannot be recorded in ownership content, or None."""
    parts = resource.split("/")
    if len(parts) != 3 or not all(parts):
        return "it is not kind/namespace/name"
    return value_problem(resource)


def _also(chars: str) -> str:
    return "".join(f" or {_show(c)}" for c in chars)


def _show(char: str) -> str:
    return "a space" if char == " " else ascii(char)


@lru_cache(maxsize=65536)
def read_ownership(text: str) -> Ownership | Untrusted | None:
    """What TXT content says about ownership.

    None: ordinary TXT data (no ExternalDNS labels, or another heritage). Ownership: the
    content parses exactly. Untrusted: it claims the ExternalDNS heritage (or has its
    labels) but is not what ExternalDNS writes: a duplicate, padded, empty or unknown key,
    a token that is not ``key=value``, stray quotes or control characters, no owner; or it
    looks like ExternalDNS's encrypted form, which dnssync does not read.
    """
    # What ExternalDNS (and dnssync) writes, by far the most common content: one match
    # instead of reading token by token; anything else takes the careful path below.
    exact = _EXACT.fullmatch(text)
    if exact is not None:
        return Ownership(exact[1], exact[2])
    body = text
    # Presentation quotes kept in the data (some APIs hand them back): one pair only.
    if len(body) >= 2 and body[0] == '"' and body[-1] == '"':
        body = body[1:-1]
    tokens = [token.partition("=") for token in body.split(",")]
    if not any(_claims(key, value) for key, _, value in tokens):
        if _looks_encrypted(body):
            return Untrusted(
                "it looks like an ExternalDNS encrypted ownership record "
                "(--txt-encrypt-enabled), which dnssync does not read"
            )
        return None
    labels: dict[str, str] = {}
    for key, sep, value in tokens:
        problem = _token_problem(key, sep, value, labels)
        if problem is not None:
            return Untrusted(problem)
        labels[key] = value
    return _from_labels(labels)


def _token_problem(key: str, sep: str, value: str, seen: dict[str, str]) -> str | None:
    """Why one ``key=value`` token is not what ExternalDNS writes, or None."""
    shown = ascii(key + sep + value)
    if not sep:
        return f"{shown} is not key=value"
    if "=" in value:
        return f"{shown} has more than one '='"
    if not key or key == LABEL_PREFIX:
        return f"{shown} has an empty key"
    if key != key.strip() or value != value.strip():
        return f"{shown} is padded with spaces"
    if any(not c.isprintable() or c == '"' for c in key + value):
        return f"{shown} holds quotes or control characters"
    if key != "heritage" and not key.startswith(LABEL_PREFIX):
        return f"{shown} is not an {LABEL_PREFIX} label"
    if key in seen:
        return f"key {key!a} appears more than once"
    return None


def _from_labels(labels: dict[str, str]) -> Ownership | Untrusted | None:
    """What well-formed labels say (they are consumed)."""
    heritage = labels.pop("heritage", None)
    if heritage is None:
        return Untrusted("it has ExternalDNS labels but no heritage=external-dns")
    if heritage != HERITAGE:
        return None  # another tool's heritage: ordinary data, as in ExternalDNS
    owner = labels.pop(OWNER_KEY, None)
    if not owner:
        return Untrusted("it names no owner")
    resource = labels.pop(RESOURCE_KEY, None)
    if resource == "":
        return Untrusted("its resource is empty")
    return Ownership(owner, resource, tuple(sorted(labels.items())))


def parse_ownership(text: str) -> Ownership | None:
    """Ownership from TXT content when it parses exactly; None for anything else."""
    found = read_ownership(text)
    return found if isinstance(found, Ownership) else None


def _claims(key: str, value: str) -> bool:
    """A token only the ExternalDNS format writes (spaces and quotes forgiven)."""
    bare = key.strip().strip('"').strip()
    if bare == "heritage":
        return value.strip().strip('"').strip() == HERITAGE
    return bare.startswith(LABEL_PREFIX)


# ExternalDNS's encrypted content: base64 (standard alphabet) of a 12-octet nonce, the
# AES-GCM ciphertext of the gzip-compressed labels and a 16-octet tag. 64 characters
# (48 octets) at least: shorter tokens (ACME, site verification) are never taken for it.
_BASE64 = re.compile(r"[A-Za-z0-9+/]{62,}[A-Za-z0-9+/=]{2}")


def _looks_encrypted(body: str) -> bool:
    if len(body) % 4 or not _BASE64.fullmatch(body):
        return False
    try:
        base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
