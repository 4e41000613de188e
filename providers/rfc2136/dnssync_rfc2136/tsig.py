"""TSIG keys: an explicit algorithm, a secret from a flag or a file, never shown.

The secret is held as bytes in a :class:`TsigKey` whose ``repr`` leaves it out, and is
handed to dnspython wrapped in :class:`RedactedKey` (dnspython's own ``Key.__repr__``
prints the secret). No error message built here quotes the secret or the file content.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.name
import dns.tsig

from dnssync.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_ALGORITHM = "hmac-sha256"

# Canonical lower-case names, as BIND, Knot and ExternalDNS spell them.
ALGORITHMS: dict[str, dns.name.Name] = {
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
    "hmac-sha224": dns.tsig.HMAC_SHA224,
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-md5": dns.tsig.HMAC_MD5,
}
_ALIASES = {"hmac-md5.sig-alg.reg.int": "hmac-md5"}
# Accepted only when asked for by name, with a warning in the log.
WEAK_ALGORITHMS = frozenset({"hmac-md5", "hmac-sha1"})

# `key "name" { algorithm hmac-sha256; secret "base64"; };` as written by tsig-keygen.
_KEY_CLAUSE = re.compile(r'key\s+"?(?P<name>[^"\s{]+)"?\s*\{(?P<body>[^}]*)\}', re.IGNORECASE)
_ALGORITHM_STMT = re.compile(r"algorithm\s+\"?(?P<alg>[A-Za-z0-9.-]+)\"?\s*;", re.IGNORECASE)
_SECRET_STMT = re.compile(r'secret\s+"(?P<secret>[^"]*)"\s*;', re.IGNORECASE)


class RedactedKey(dns.tsig.Key):
    """dnspython's key with a ``repr`` that leaves the secret out."""

    def __repr__(self) -> str:
        return f"<TSIG key {self.name} {self.algorithm} secret=<redacted>>"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class TsigKey:
    name: dns.name.Name
    algorithm: str
    secret: bytes = field(repr=False)

    def dns_key(self) -> RedactedKey:
        return RedactedKey(self.name, self.secret, ALGORITHMS[self.algorithm])

    def __str__(self) -> str:
        return f"TSIG key {self.name} ({self.algorithm})"


def parse_algorithm(raw: str) -> str:
    """The canonical name of a TSIG algorithm; unknown names are refused, never guessed."""
    text = raw.strip().lower().rstrip(".")
    text = _ALIASES.get(text, text)
    if text not in ALGORITHMS:
        known = ", ".join(ALGORITHMS)
        raise ConfigError(f"--rfc2136-tsig-secret-alg: unknown TSIG algorithm {raw!r} ({known})")
    if text in WEAK_ALGORITHMS:
        log.warning("TSIG algorithm %s is weak; prefer hmac-sha256 or stronger", text)
    return text


def parse_key_name(raw: str) -> dns.name.Name:
    try:
        return dns.name.from_text(raw.strip())
    except dns.exception.DNSException as exc:
        raise ConfigError(
            f"--rfc2136-tsig-keyname: {raw!r} is not a valid key name: {exc}"
        ) from None


def decode_secret(text: str, source: str) -> bytes:
    """Base64 secret to bytes. The error names the source, never the value."""
    compact = "".join(text.split())
    if not compact:
        raise ConfigError(f"{source}: the TSIG secret is empty")
    try:
        secret = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{source}: the TSIG secret is not valid base64") from None
    if not secret:
        raise ConfigError(f"{source}: the TSIG secret is empty")
    return secret


@dataclass(frozen=True, slots=True)
class SecretFile:
    secret: bytes = field(repr=False)
    key_name: str | None = None
    algorithm: str | None = None


def read_secret_file(path: str) -> SecretFile:
    """A file holding the base64 secret alone, or a BIND ``key`` clause (tsig-keygen)."""
    source = f"--rfc2136-tsig-secret-file {path}"
    try:
        content = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not ASCII text"
        raise ConfigError(f"{source}: cannot read the TSIG secret: {reason}") from None
    clause = _KEY_CLAUSE.search(content)
    if clause is None:
        return SecretFile(decode_secret(content, source))
    body = clause.group("body")
    secret = _SECRET_STMT.search(body)
    if secret is None:
        raise ConfigError(f"{source}: the key clause has no 'secret \"...\";' statement")
    algorithm = _ALGORITHM_STMT.search(body)
    return SecretFile(
        decode_secret(secret.group("secret"), source),
        clause.group("name"),
        algorithm.group("alg") if algorithm else None,
    )
