"""The ExternalDNS TXT registry: ownership record names and content.

Content, quotes included in presentation form::

    "heritage=external-dns,external-dns/owner=<id>,external-dns/resource=<kind>/<ns>/<name>"

Name: the record's first label gets ``<type>-`` in front, optionally with a prefix or
suffix that may contain ``%{record_type}`` (then no ``<type>-`` is added). The pre-v0.12
form, a TXT at the record's own name, is read as ownership too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from dnssync.errors import ConfigError, InvalidNameError, OwnershipError
from dnssync.model.names import DomainName
from dnssync.model.records import MANAGED_TYPES, RecordType, Text

HERITAGE = "external-dns"
TYPE_PLACEHOLDER = "%{record_type}"
DEFAULT_OWNER_ID = "default"


@dataclass(frozen=True, slots=True)
class Ownership:
    """What an ownership TXT says."""

    owner: str
    resource: str | None = None
    # Labels we do not interpret (kept so we never rewrite them away).
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class TxtRegistry:
    owner_id: str = DEFAULT_OWNER_ID
    prefix: str = ""
    suffix: str = ""

    def __post_init__(self) -> None:
        if not self.owner_id or any(c in self.owner_id for c in ',="\\ '):
            raise ConfigError(
                f'--owner-id {self.owner_id!r} must be non-empty without , = " \\ or spaces'
            )
        if self.prefix and self.suffix:
            raise ConfigError("--txt-prefix and --txt-suffix cannot be used together")
        # Names are compared lower-case; so must the affixes be, to map a TXT name back.
        object.__setattr__(self, "prefix", self.prefix.lower())
        object.__setattr__(self, "suffix", self.suffix.lower())

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
        return _cached_txt_name(self, name, rtype, zone)

    def _txt_name(self, name: DomainName, rtype: RecordType, zone: DomainName) -> DomainName:
        prefix, suffix = self._affixes(rtype)
        head, _, rest = name.text.partition(".")
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
                found.append((DomainName.parse(candidate), rtype))
            except InvalidNameError:
                continue
        return found

    def content(self, resource: str) -> Text:
        return Text(
            f"heritage={HERITAGE},external-dns/owner={self.owner_id},"
            f"external-dns/resource={resource}"
        )


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


@lru_cache(maxsize=262144)
def _cached_txt_name(
    registry: TxtRegistry, name: DomainName, rtype: RecordType, zone: DomainName
) -> DomainName:
    # Every reconcile asks again for the same names; the registry is immutable.
    return registry._txt_name(name, rtype, zone)


@lru_cache(maxsize=65536)
def parse_ownership(text: str) -> Ownership | None:
    """Ownership from TXT content; None for ordinary TXT data (wrong or no heritage)."""
    body = text.strip().strip('"')
    labels: dict[str, str] = {}
    for part in body.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            return None
        labels[key.strip()] = value.strip()
    if labels.pop("heritage", None) != HERITAGE:
        return None
    owner = labels.pop("external-dns/owner", None)
    if owner is None:
        return None
    resource = labels.pop("external-dns/resource", None)
    return Ownership(owner, resource, tuple(sorted(labels.items())))
