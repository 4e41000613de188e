"""The provider's options (ExternalDNS flag names and defaults) validated into settings."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from dnssync.durations import parse_duration
from dnssync.errors import ConfigError, InvalidNameError
from dnssync.model.names import DomainName
from dnssync.providers.base import OptionKind, ProviderOption, ProviderOptions
from dnssync.providers.inmemory import ZONE_OPTION

DEFAULT_URL = "http://localhost:8888"
# ExternalDNS's --webhook-provider-max-body-size default: 32 MiB ("roughly 60,000 records").
DEFAULT_MAX_BODY = 32 << 20
# ExternalDNS retries negotiation up to 5 times; dnssync does so for every request.
DEFAULT_ATTEMPTS = 5

URL = ProviderOption(
    "webhook-provider-url", "URL of the ExternalDNS webhook provider", default=DEFAULT_URL
)
READ_TIMEOUT = ProviderOption(
    "webhook-provider-read-timeout",
    "read timeout (a duration); read + write timeout bound each request",
    default="5s",
)
WRITE_TIMEOUT = ProviderOption(
    "webhook-provider-write-timeout",
    "write timeout (a duration); read + write timeout bound each request",
    default="10s",
)
MAX_BODY = ProviderOption(
    "webhook-provider-max-body-size",
    "largest request or response body in bytes (the server's limit; 0: no limit)",
    OptionKind.INT,
    default=DEFAULT_MAX_BODY,
)

# --zone is shared with the embedded providers: it names the zones when the webhook's
# domain filter cannot (an empty filter, a regex), or narrows them.
OPTIONS: tuple[ProviderOption, ...] = (URL, READ_TIMEOUT, WRITE_TIMEOUT, MAX_BODY, ZONE_OPTION)


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    url: str = DEFAULT_URL
    read_timeout: float = 5.0
    write_timeout: float = 10.0
    max_body_bytes: int = DEFAULT_MAX_BODY  # 0: no limit
    zones: tuple[DomainName, ...] = ()
    attempts: int = DEFAULT_ATTEMPTS
    backoff_seconds: float = 0.5  # first pause between attempts, doubled each time
    max_backoff_seconds: float = 8.0

    @property
    def timeout(self) -> float:
        """The bound of one request, connection to last byte (as ExternalDNS's client)."""
        return self.read_timeout + self.write_timeout

    @classmethod
    def from_options(cls, options: ProviderOptions) -> WebhookSettings:
        url = _url(str(options.get("webhook_provider_url") or DEFAULT_URL))
        read = _duration(options, READ_TIMEOUT)
        write = _duration(options, WRITE_TIMEOUT)
        max_body = options.get("webhook_provider_max_body_size", DEFAULT_MAX_BODY)
        if not isinstance(max_body, int) or isinstance(max_body, bool) or max_body < 0:
            raise ConfigError("--webhook-provider-max-body-size must be a number of bytes >= 0")
        if 0 < max_body < 1024:
            raise ConfigError(
                "--webhook-provider-max-body-size below 1024 bytes cannot hold a record"
            )
        raw_zones = options.get("zone") or ()
        assert isinstance(raw_zones, tuple)
        try:
            zones = tuple(dict.fromkeys(DomainName.parse(z) for z in raw_zones))
        except InvalidNameError as exc:
            raise ConfigError(f"--zone: {exc}") from None
        return cls(url, read, write, max_body, zones)


def _duration(options: ProviderOptions, option: ProviderOption) -> float:
    raw = options.get(option.dest, option.default)
    try:
        seconds = parse_duration(str(raw))
    except ValueError as exc:
        raise ConfigError(f"--{option.flag}: {exc}") from None
    if seconds <= 0:
        raise ConfigError(f"--{option.flag} must be positive")
    return seconds


def _url(raw: str) -> str:
    parsed = urllib.parse.urlsplit(raw.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(
            f"--webhook-provider-url {redact_url(raw)!r} is not an http:// or https:// URL"
        )
    if parsed.query or parsed.fragment:
        raise ConfigError("--webhook-provider-url must not have a query or fragment")
    return raw.strip().rstrip("/")


def redact_url(url: str) -> str:
    """The URL without user information or query: safe for logs and errors."""
    try:
        parsed = urllib.parse.urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    host = parsed.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parsed.port
    except ValueError:
        port = None
    netloc = host + (f":{port}" if port else "")
    return urllib.parse.urlunsplit((parsed.scheme, netloc, parsed.path, "", ""))
