"""``--flag=true`` / ``--flag=false`` for on/off flags, as ExternalDNS's flags take them
(kingpin parses the value with Go's ``strconv.ParseBool``), so a migrated Deployment's
args keep working (docs/migration-from-external-dns.md). argparse only knows ``--flag``
and ``--no-flag``; this rewrites the explicit form into one of those before parsing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dnssync.errors import ConfigError

TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def explicit_bools(argv: Sequence[str], flags: Iterable[str]) -> list[str]:
    """``argv`` with each ``--flag=value`` of an on/off flag as ``--flag`` or ``--no-flag``."""
    names = frozenset(flags)
    rewritten: list[str] = []
    for index, token in enumerate(argv):
        if token == "--":  # everything after it is an argument, not a flag
            rewritten.extend(argv[index:])
            break
        name, equals, value = token.partition("=")
        flag = name[2:] if name.startswith("--") else ""
        if not equals or flag not in names:
            rewritten.append(token)
            continue
        if value in TRUE:
            rewritten.append(f"--{flag}")
        elif value in FALSE:
            rewritten.append(f"--no-{flag}")
        else:
            # The value is not echoed: a mistyped secret flag must never be printed.
            raise ConfigError(f"--{flag} takes true or false (or --{flag} / --no-{flag})")
    return rewritten
