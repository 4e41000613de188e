"""Keep secrets out of everything the CLI prints (docs/cli.md, "Secrets in messages").

Two nets: the values of settings declared ``secret=True`` (from flags, environment and
config file) are replaced wherever they appear, and the userinfo of any URL
(``https://user:pass@host``) is masked. The CLI routes its stderr through
:class:`RedactingStream`, so log lines, argparse messages and errors all pass the same
filter.
"""

from __future__ import annotations

import io
import re
import threading
from typing import TextIO

MASK = "***"
# Shorter "secrets" would mask ordinary words; real keys and tokens are far longer.
MIN_SECRET_LENGTH = 4
# Up to the last '@' of the token: a password may hold an unencoded '@' or '/'. One slash
# is enough: a URL passed through pathlib (--manifests) comes out as "https:/u:p@h".
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,30}:/{1,2})(?:[^\s'\"<>@]*@)+")


class Redactor:
    """Masks known secret values and URL userinfo in text."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        # Longest first (a secret containing another is masked whole); rebuilt on add, as
        # every line the CLI writes is redacted.
        self._ordered: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def add(self, value: object) -> None:
        """Remember a secret value (strings only; short ones are ignored)."""
        if isinstance(value, str):
            for text in {value, value.strip()}:
                if len(text) >= MIN_SECRET_LENGTH:
                    with self._lock:
                        self._secrets.add(text)
                        self._ordered = tuple(sorted(self._secrets, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, MASK)
        return mask_userinfo(text)


def mask_userinfo(text: str) -> str:
    """``https://user:pass@host/`` -> ``https://***@host/``."""
    if "@" not in text or ":/" not in text:
        return text  # no URL with userinfo: the common case, without the regex scan
    return _USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)


class RedactingStream(io.TextIOBase):
    """A text stream that redacts every write before passing it on.

    Writes are redacted one call at a time: rich, logging and argparse each write a whole
    message per call, so a secret is never split across two writes.
    """

    def __init__(self, target: TextIO, redact: Redactor) -> None:
        super().__init__()
        self._target = target
        self._redact = redact

    def write(self, text: str) -> int:
        self._target.write(self._redact(text))
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    def fileno(self) -> int:
        return self._target.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target, "encoding", None) or "utf-8"
