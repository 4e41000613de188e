"""The provider's options (docs/providers/google.md) and their validated form."""

from __future__ import annotations

from dataclasses import dataclass

from dnssync.errors import ConfigError
from dnssync.providers.base import OptionKind, ProviderOption, ProviderOptions

DEFAULT_BATCH_CHANGE_SIZE = 1000
VISIBILITIES = ("public", "private")

PROJECT = ProviderOption(
    "google-project",
    "Google Cloud project that holds the managed zones "
    "(default: the project of the Application Default Credentials)",
)
ZONE_VISIBILITY = ProviderOption(
    "google-zone-visibility",
    "only manage zones of this visibility: public or private (default: both)",
    choices=VISIBILITIES,
)
BATCH_CHANGE_SIZE = ProviderOption(
    "google-batch-change-size",
    "most record-set additions plus deletions sent in one change",
    OptionKind.INT,
    default=DEFAULT_BATCH_CHANGE_SIZE,
)
API_ENDPOINT = ProviderOption(
    "google-api-endpoint",
    "override the Cloud DNS API endpoint (private endpoints, tests), "
    "e.g. https://dns.googleapis.com",
)

OPTIONS: tuple[ProviderOption, ...] = (PROJECT, ZONE_VISIBILITY, BATCH_CHANGE_SIZE, API_ENDPOINT)


@dataclass(frozen=True, slots=True)
class GoogleSettings:
    project: str | None = None
    visibility: str | None = None  # None: public and private zones
    batch_change_size: int = DEFAULT_BATCH_CHANGE_SIZE
    api_endpoint: str | None = None

    def __post_init__(self) -> None:
        if self.visibility is not None and self.visibility not in VISIBILITIES:
            raise ConfigError(
                f"--google-zone-visibility must be public or private, not {self.visibility!r}"
            )
        if self.batch_change_size < 1:
            raise ConfigError(
                f"--google-batch-change-size must be at least 1, not {self.batch_change_size}"
            )
        if self.api_endpoint is not None and not self.api_endpoint.startswith(
            ("http://", "https://")
        ):
            raise ConfigError(
                f"--google-api-endpoint must be an http(s) URL, not {self.api_endpoint!r}"
            )

    @classmethod
    def from_options(cls, options: ProviderOptions) -> GoogleSettings:
        return cls(
            project=_text(options, PROJECT),
            visibility=_visibility(_text(options, ZONE_VISIBILITY)),
            batch_change_size=_int(options, BATCH_CHANGE_SIZE),
            api_endpoint=_endpoint(_text(options, API_ENDPOINT)),
        )


def _text(options: ProviderOptions, option: ProviderOption) -> str | None:
    raw = options.get(option.dest)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ConfigError(f"--{option.flag} must be a string, not {raw!r}")
    raw = raw.strip()
    return raw or None


def _int(options: ProviderOptions, option: ProviderOption) -> int:
    raw = options.get(option.dest)
    if raw is None:
        assert isinstance(option.default, int)
        return option.default
    if isinstance(raw, bool):
        raise ConfigError(f"--{option.flag} must be an integer, not {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            pass
    raise ConfigError(f"--{option.flag} must be an integer, not {raw!r}")


def _visibility(raw: str | None) -> str | None:
    if raw is None:
        return None
    value = raw.lower()
    # "both" (or "all") is accepted for the default so a config file can say it.
    return None if value in ("both", "all") else value


def _endpoint(raw: str | None) -> str | None:
    return raw.rstrip("/") if raw else None
