"""The domain filter a webhook announces on ``GET /``, and the zones dnssync derives from it.

Wire format (ExternalDNS ``endpoint.DomainFilter``): ``{"include": [...], "exclude":
[...]}`` or ``{"regexInclude": "...", "regexExclude": "..."}`` or ``{}``; lists and
regexes together are an error. (ExternalDNS's OpenAPI file shows ``{"filters": [...]}``,
which its own decoder ignores; so do we, with a warning.)

Matching follows ExternalDNS: an include entry ``example.com`` matches the name and every
name below it; ``.example.com`` only the names below it; excludes likewise; regexes are
searched (unanchored) in the name without its trailing dot.

ExternalDNS webhooks have no zones. dnssync's zones are the include entries (without a
leading dot), or the ``--zone`` values when given (which then must lie within the
filter). An empty or regex filter names no zone: ``--zone`` is required then.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from dnssync.errors import ConfigError, InvalidNameError
from dnssync.model.names import DomainName

log = logging.getLogger(__name__)

_KEYS = {"include", "exclude", "regexinclude", "regexexclude"}


class FilterError(ValueError):
    """The negotiation answer is not a domain filter dnssync can use."""


def _entry(raw: str) -> str:
    return raw.strip().lower().rstrip(".")


def _matches(entries: Sequence[str], name: str) -> bool:
    for entry in entries:
        if not entry:
            continue
        if entry.startswith("."):
            if name.endswith(entry):
                return True
        elif name == entry or name.endswith("." + entry):
            return True
    return False


@dataclass(frozen=True, slots=True)
class WebhookDomainFilter:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    regex_include: str = ""
    regex_exclude: str = ""

    @classmethod
    def from_json(cls, body: object) -> WebhookDomainFilter:
        if body is None:
            return cls()
        if not isinstance(body, dict):
            raise FilterError("the domain filter must be a JSON object")
        fields = {str(k).lower(): v for k, v in body.items()}
        if "filters" in fields and not (_KEYS & fields.keys()):
            log.warning(
                "the webhook's domain filter uses 'filters', which ExternalDNS ignores too; "
                "read as an empty filter"
            )
        include = _list(fields.get("include"), "include")
        exclude = _list(fields.get("exclude"), "exclude")
        regex_include = _text(fields.get("regexinclude"), "regexInclude")
        regex_exclude = _text(fields.get("regexexclude"), "regexExclude")
        if (regex_include or regex_exclude) and (include or exclude):
            raise FilterError("the domain filter has both domain lists and regexes")
        for pattern, what in ((regex_include, "regexInclude"), (regex_exclude, "regexExclude")):
            if pattern:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise FilterError(f"{what} {pattern!r} is not a usable regex: {exc}") from None
        return cls(include, exclude, regex_include, regex_exclude)

    @property
    def is_regex(self) -> bool:
        return bool(self.regex_include or self.regex_exclude)

    @property
    def is_empty(self) -> bool:
        return not (self.include or self.exclude or self.is_regex)

    def matches(self, name: DomainName) -> bool:
        text = name.text
        if self.is_regex:
            if self.regex_exclude and re.search(self.regex_exclude, text):
                return False
            return not self.regex_include or re.search(self.regex_include, text) is not None
        included = not self.include or _matches(self.include, text)
        return included and not _matches(self.exclude, text)

    def covers_zone(self, zone: DomainName) -> bool:
        """The zone may hold names the filter matches (it is, or lies within or above, an
        include entry, and is not wholly excluded)."""
        if self.is_regex or self.is_empty:
            return True
        if _matches([e for e in self.exclude if not e.startswith(".")], zone.text):
            return False
        if not self.include:
            return True
        for entry in self.include:
            bare = entry.lstrip(".")
            if (
                zone.text == bare
                or zone.text.endswith("." + bare)
                or bare.endswith("." + zone.text)
            ):
                return True
        return False

    def zones(self, override: Sequence[DomainName], url: str) -> tuple[DomainName, ...]:
        """dnssync's zones: ``override`` (each within the filter), else the include entries."""
        if override:
            outside = [z.text for z in override if not self.covers_zone(z)]
            if outside:
                raise ConfigError(
                    f"--zone {', '.join(outside)}: outside the domain filter of the webhook "
                    f"at {url} ({self.describe()})"
                )
            return tuple(override)
        if self.is_empty or self.is_regex:
            raise ConfigError(
                f"the webhook at {url} announced {self.describe()}, which names no zone: "
                "give the zones to manage with --zone (repeatable)"
            )
        zones: list[DomainName] = []
        for entry in self.include:
            try:
                zone = DomainName.parse(entry.lstrip("."))
            except InvalidNameError as exc:
                raise ConfigError(
                    f"the webhook at {url} announced include entry {entry!r}: {exc}"
                ) from None
            if zone not in zones:
                zones.append(zone)
        return tuple(zones)

    def describe(self) -> str:
        if self.is_empty:
            return "an empty domain filter (any name)"
        if self.is_regex:
            parts = [f"regexInclude {self.regex_include!r}"] if self.regex_include else []
            parts += [f"regexExclude {self.regex_exclude!r}"] if self.regex_exclude else []
            return "a regex domain filter (" + ", ".join(parts) + ")"
        parts = [f"include {', '.join(self.include)}"] if self.include else []
        parts += [f"exclude {', '.join(self.exclude)}"] if self.exclude else []
        return "domain filter " + "; ".join(parts)


def _list(raw: object, what: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise FilterError(f"the domain filter's {what} must be a list of strings")
    return tuple(e for e in (_entry(v) for v in raw) if e)


def _text(raw: object, what: str) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise FilterError(f"the domain filter's {what} must be a string")
    return raw
