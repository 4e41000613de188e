"""The provider's options (ExternalDNS flag names) and their validation into a config."""

from __future__ import annotations

import math
from dataclasses import dataclass

from dnssync.durations import parse_duration
from dnssync.errors import ConfigError
from dnssync.model.names import DomainName
from dnssync.providers.base import OptionKind, ProviderOption, ProviderOptions

from .tsig import (
    DEFAULT_ALGORITHM,
    TsigKey,
    decode_secret,
    parse_algorithm,
    parse_key_name,
    read_secret_file,
)

HOST = ProviderOption("rfc2136-host", "address or host name of the primary server to update")
PORT = ProviderOption("rfc2136-port", "DNS port of the server", OptionKind.INT, default=53)
ZONE = ProviderOption("rfc2136-zone", "a zone to manage (repeatable)", OptionKind.LIST, default=())
KEYNAME = ProviderOption("rfc2136-tsig-keyname", "TSIG key name")
SECRET = ProviderOption(
    "rfc2136-tsig-secret", "TSIG secret (base64); prefer the file or the env var", secret=True
)
SECRET_FILE = ProviderOption(
    "rfc2136-tsig-secret-file",
    "file holding the TSIG secret (base64), or a BIND key clause from tsig-keygen",
)
ALGORITHM = ProviderOption(
    "rfc2136-tsig-secret-alg",
    "TSIG algorithm: hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224 "
    "(hmac-sha1 and hmac-md5 only when named)",
    default=DEFAULT_ALGORITHM,
)
TSIG_AXFR = ProviderOption(
    "rfc2136-tsig-axfr",
    "sign zone transfers (AXFR) with the TSIG key",
    OptionKind.BOOL,
    True,
    # ExternalDNS's current name (v0.22+) of its --rfc2136-tsig-axfr.
    aliases=("rfc2136-axfr",),
)
INSECURE = ProviderOption(
    "rfc2136-insecure", "send updates without TSIG (not recommended)", OptionKind.BOOL, False
)

TIMEOUT = ProviderOption(
    "rfc2136-timeout",
    "the most one query or UPDATE may take (seconds or a duration: 10s, 1m), and the longest "
    "silence within a zone transfer",
    default="10s",
)
AXFR_TIMEOUT = ProviderOption(
    "rfc2136-axfr-timeout",
    "the most one whole zone transfer (AXFR) may take (seconds or a duration)",
    default="2m",
)

OPTIONS: tuple[ProviderOption, ...] = (
    HOST,
    PORT,
    ZONE,
    KEYNAME,
    SECRET,
    SECRET_FILE,
    ALGORITHM,
    TSIG_AXFR,
    INSECURE,
    TIMEOUT,
    AXFR_TIMEOUT,
)

DEFAULT_TIMEOUT = 10.0
DEFAULT_AXFR_TIMEOUT = 120.0
MAX_TIMEOUT = 3600.0
# RFC 1035 caps a DNS message at 65,535 octets (16-bit TCP length); stay clearly below.
MAX_MESSAGE_BYTES = 65_000


@dataclass(frozen=True, slots=True)
class Rfc2136Config:
    host: str
    zones: tuple[DomainName, ...]
    key: TsigKey | None
    port: int = 53
    tsig_axfr: bool = True
    # Seconds for one UPDATE or SOA query (connect + send + answer).
    timeout: float = DEFAULT_TIMEOUT
    # Seconds for a whole zone transfer.
    axfr_timeout: float = DEFAULT_AXFR_TIMEOUT
    max_message_bytes: int = MAX_MESSAGE_BYTES

    @property
    def axfr_key(self) -> TsigKey | None:
        return self.key if self.tsig_axfr else None


def parse_options(options: ProviderOptions) -> Rfc2136Config:
    """Validate options keyed by ``ProviderOption.dest``; every problem is a ConfigError."""
    host = _string(options, HOST)
    if not host:
        raise ConfigError("--rfc2136-host is required (the primary server to update)")
    port = _int(options, PORT)
    if not 1 <= port <= 65535:
        raise ConfigError(f"--rfc2136-port {port} is outside 1..65535")
    zones = _zones(options)
    insecure = _bool(options, INSECURE)
    key = _key(options)
    if insecure and key is not None:
        raise ConfigError(
            "--rfc2136-insecure sends updates without TSIG, but a TSIG key is configured too; "
            "choose one"
        )
    if not insecure and key is None:
        raise ConfigError(
            "a TSIG key is required: set --rfc2136-tsig-keyname and --rfc2136-tsig-secret "
            "(or --rfc2136-tsig-secret-file, or DNSSYNC_RFC2136_TSIG_SECRET); "
            "--rfc2136-insecure allows unsigned updates"
        )
    return Rfc2136Config(
        host=host,
        port=port,
        zones=zones,
        key=key,
        tsig_axfr=_bool(options, TSIG_AXFR),
        timeout=_seconds(options, TIMEOUT),
        axfr_timeout=_seconds(options, AXFR_TIMEOUT),
    )


def _key(options: ProviderOptions) -> TsigKey | None:
    key_name = _string(options, KEYNAME)
    secret_text = _string(options, SECRET)
    secret_file = _string(options, SECRET_FILE)
    algorithm = parse_algorithm(_string(options, ALGORITHM) or DEFAULT_ALGORITHM)
    if secret_text and secret_file:
        raise ConfigError(
            "set either --rfc2136-tsig-secret or --rfc2136-tsig-secret-file, not both"
        )
    secret: bytes | None = None
    if secret_text:
        secret = decode_secret(secret_text, "--rfc2136-tsig-secret")
    elif secret_file:
        loaded = read_secret_file(secret_file)
        secret = loaded.secret
        if loaded.algorithm is not None and parse_algorithm(loaded.algorithm) != algorithm:
            raise ConfigError(
                f"--rfc2136-tsig-secret-file {secret_file} is a {loaded.algorithm} key but "
                f"--rfc2136-tsig-secret-alg is {algorithm}; set the algorithm explicitly"
            )
        if loaded.key_name is not None:
            if key_name and parse_key_name(key_name) != parse_key_name(loaded.key_name):
                raise ConfigError(
                    f"--rfc2136-tsig-secret-file {secret_file} holds key {loaded.key_name!r} "
                    f"but --rfc2136-tsig-keyname is {key_name!r}"
                )
            key_name = key_name or loaded.key_name
    if secret is None and not key_name:
        return None
    if secret is None:
        raise ConfigError(
            "--rfc2136-tsig-keyname is set but no secret: set --rfc2136-tsig-secret, "
            "--rfc2136-tsig-secret-file or DNSSYNC_RFC2136_TSIG_SECRET"
        )
    if not key_name:
        raise ConfigError("a TSIG secret is set but --rfc2136-tsig-keyname is missing")
    return TsigKey(parse_key_name(key_name), algorithm, secret)


def _zones(options: ProviderOptions) -> tuple[DomainName, ...]:
    raw = options.get(ZONE.dest) or ()
    items: list[str] = []
    for entry in (raw,) if isinstance(raw, str) else raw if isinstance(raw, tuple) else ():
        items.extend(part for part in str(entry).split(",") if part.strip())
    if not items:
        raise ConfigError("--rfc2136-zone is required (at least one zone to manage)")
    try:
        return tuple(sorted({DomainName.parse(z) for z in items}))
    except ValueError as exc:
        raise ConfigError(f"--rfc2136-zone: {exc}") from None


def _string(options: ProviderOptions, option: ProviderOption) -> str:
    value = options.get(option.dest, option.default)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"--{option.flag} must be a string")
    return value.strip()


def _int(options: ProviderOptions, option: ProviderOption) -> int:
    value = options.get(option.dest, option.default)
    if isinstance(value, bool):
        raise ConfigError(f"--{option.flag} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"--{option.flag} must be an integer, not {value!r}")


def _seconds(options: ProviderOptions, option: ProviderOption) -> float:
    value = options.get(option.dest, option.default)
    if isinstance(value, bool) or value is None:
        value = option.default
    try:
        seconds = float(value) if isinstance(value, int | float) else parse_duration(str(value))
    except ValueError as exc:
        raise ConfigError(f"--{option.flag}: {exc}") from None
    if not math.isfinite(seconds) or not 0 < seconds <= MAX_TIMEOUT:
        raise ConfigError(
            f"--{option.flag} {value!r} must be more than 0 and at most {MAX_TIMEOUT:g}s"
        )
    return seconds


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(options: ProviderOptions, option: ProviderOption) -> bool:
    value = options.get(option.dest, option.default)
    if value is None:
        return bool(option.default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(f"--{option.flag} must be true or false, not {value!r}")
