"""The provider's options (docs/providers/route53.md) and their validated form. No boto3 here."""

from __future__ import annotations

from dataclasses import dataclass

from dnssync.errors import ConfigError
from dnssync.providers.base import OptionKind, ProviderOption, ProviderOptions

from .ratelimit import DEFAULT_RATE

# The hard limits of one ChangeResourceRecordSets request.
MAX_CHANGES = 1000
MAX_VALUES = 1000
MAX_CHARACTERS = 32000

ZONE_TYPE = ProviderOption(
    "aws-zone-type",
    "only public or only private hosted zones (both when unset)",
    choices=("public", "private"),
)
ZONE_TAGS = ProviderOption(
    "aws-zone-tags",
    "only hosted zones carrying this tag, as key=value or key (repeatable)",
    OptionKind.LIST,
    default=(),
)
BATCH_CHANGES = ProviderOption(
    "aws-batch-change-size",
    "most changes in one ChangeResourceRecordSets request (UPSERT counts twice)",
    OptionKind.INT,
    default=MAX_CHANGES,
)
BATCH_BYTES = ProviderOption(
    "aws-batch-change-size-bytes",
    "most characters of record values in one change request",
    OptionKind.INT,
    default=MAX_CHARACTERS,
)
BATCH_VALUES = ProviderOption(
    "aws-batch-change-size-values",
    "most record values in one change request",
    OptionKind.INT,
    default=MAX_VALUES,
)
EVALUATE_TARGET_HEALTH = ProviderOption(
    "aws-evaluate-target-health",
    "set EvaluateTargetHealth on the alias records dnssync writes",
    OptionKind.BOOL,
    default=True,
)

REQUESTS_PER_SECOND = ProviderOption(
    "aws-requests-per-second",
    "most Route53 API requests per second, for all requests of the process together "
    "(Route53 allows an account 5)",
    OptionKind.INT,
    default=DEFAULT_RATE,
)
MAX_RATE = 1000

OPTIONS = (
    ZONE_TYPE,
    ZONE_TAGS,
    BATCH_CHANGES,
    BATCH_BYTES,
    BATCH_VALUES,
    EVALUATE_TARGET_HEALTH,
    REQUESTS_PER_SECOND,
)


@dataclass(frozen=True, slots=True)
class BatchLimits:
    changes: int = MAX_CHANGES
    values: int = MAX_VALUES
    characters: int = MAX_CHARACTERS


@dataclass(frozen=True, slots=True)
class TagFilter:
    """key=value pairs a zone must carry; a value of None only asks for the key."""

    required: tuple[tuple[str, str | None], ...] = ()

    def matches(self, tags: dict[str, str]) -> bool:
        return all(
            key in tags and (value is None or tags[key] == value) for key, value in self.required
        )

    def __bool__(self) -> bool:
        return bool(self.required)


@dataclass(frozen=True, slots=True)
class Settings:
    zone_type: str | None = None
    zone_tags: TagFilter = TagFilter()
    limits: BatchLimits = BatchLimits()
    evaluate_target_health: bool = True
    requests_per_second: int = DEFAULT_RATE


def parse_settings(options: ProviderOptions) -> Settings:
    zone_type = options.get(ZONE_TYPE.dest)
    if zone_type in ("", None):
        zone_type = None
    elif zone_type not in ("public", "private"):
        raise ConfigError(f"--aws-zone-type must be public or private, not {zone_type!r}")
    limits = BatchLimits(
        _limit(options, BATCH_CHANGES, MAX_CHANGES),
        _limit(options, BATCH_VALUES, MAX_VALUES),
        _limit(options, BATCH_BYTES, MAX_CHARACTERS),
    )
    health = options.get(EVALUATE_TARGET_HEALTH.dest)
    return Settings(
        zone_type=zone_type if isinstance(zone_type, str) else None,
        zone_tags=_tags(options.get(ZONE_TAGS.dest)),
        limits=limits,
        evaluate_target_health=True if health is None else bool(health),
        requests_per_second=_limit(options, REQUESTS_PER_SECOND, MAX_RATE, DEFAULT_RATE),
    )


def _limit(
    options: ProviderOptions, option: ProviderOption, hard: int, default: int | None = None
) -> int:
    raw = options.get(option.dest)
    if raw is None:
        return hard if default is None else default
    try:
        value = int(raw) if isinstance(raw, (int, str)) and not isinstance(raw, bool) else None
    except ValueError:
        value = None
    if value is None:
        raise ConfigError(f"--{option.flag} must be an integer, not {raw!r}")
    if not 1 <= value <= hard:
        limit = f"Route53's limit {hard}" if default is None else str(hard)
        raise ConfigError(f"--{option.flag} must be between 1 and {limit}")
    return value


def _tags(raw: object) -> TagFilter:
    if raw in (None, ""):
        return TagFilter()
    items: tuple[str, ...]
    if isinstance(raw, str):
        items = (raw,)
    elif isinstance(raw, (tuple, list)):
        items = tuple(str(i) for i in raw)
    else:
        raise ConfigError(f"--aws-zone-tags must be key=value entries, not {raw!r}")
    required: list[tuple[str, str | None]] = []
    for item in items:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            if not key.strip():
                raise ConfigError(f"--aws-zone-tags entry {part!r} has no key")
            required.append((key.strip(), value.strip() if sep else None))
    return TagFilter(tuple(required))
