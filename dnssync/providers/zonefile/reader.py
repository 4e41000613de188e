"""Strict parsing of a zone file with dnspython's own reader.

Only ``$ORIGIN`` and ``$TTL`` are allowed: ``$INCLUDE`` (which would read any file on the
machine) and ``$GENERATE`` (which can expand to millions of records) are refused at the
directive, before anything they name is read or expanded; dnspython's tokenizer sees them
only outside comments, quotes and parentheses, as a name server would. A record whose owner
name lies outside the zone (for example after a ``$ORIGIN`` of another zone) is refused
with the file, line and name: dnspython would skip it silently, and the next write would
drop it.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.name
import dns.rdataclass
import dns.tokenizer
import dns.zone
import dns.zonefile

from dnssync.errors import ProviderError

ALLOWED_DIRECTIVES = ("$ORIGIN", "$TTL")
_HINTS = {
    "'$INCLUDE'": "dnssync never follows $INCLUDE; put the records in the zone file itself",
    "'$GENERATE'": "dnssync does not expand $GENERATE; write the records out",
}


@dataclass(frozen=True, slots=True)
class ParsedZone:
    zone: dns.zone.Zone
    # The last $TTL of the file, written back at the top (every record keeps its own TTL).
    default_ttl: int | None


class _StrictReader(dns.zonefile.Reader):
    def _eat_line(self) -> None:
        # dnspython calls this to skip a record whose owner name is outside the zone.
        raise dns.exception.SyntaxError(  # type: ignore[no-untyped-call]
            f"{self.last_name} is outside the zone {self.zone_origin}; dnssync refuses "
            "the file rather than drop the record (is $ORIGIN right?)"
        )


def parse_zone(data: bytes, origin: dns.name.Name, filename: str) -> ParsedZone:
    """The zone in ``data``; ProviderError naming the file and line for anything refused."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ProviderError(
            f"cannot read zone file {filename}:{line}: it is not UTF-8 text; write other "
            "octets as \\DDD escapes"
        ) from None
    if text.startswith("\ufeff"):
        # dnspython would read the mark as part of the first name ("IDNA processing").
        raise ProviderError(
            f"cannot read zone file {filename}:1: it starts with a byte-order mark "
            "(U+FEFF); save it as UTF-8 without one"
        )
    zone = dns.zone.Zone(origin, dns.rdataclass.IN, relativize=False)
    try:
        with zone.writer(True) as txn:
            tokenizer = dns.tokenizer.Tokenizer(text, filename)
            reader = _StrictReader(
                tokenizer, dns.rdataclass.IN, txn, allow_directives=ALLOWED_DIRECTIVES
            )
            reader.read()
    except (dns.exception.DNSException, ValueError) as exc:
        message = str(exc) or type(exc).__name__
        hint = next((h for key, h in _HINTS.items() if key in message), None)
        if "zone file directive" in message and hint is None:
            hint = f"dnssync allows only {' and '.join(ALLOWED_DIRECTIVES)}"
        if not message.startswith(filename):
            message = f"{filename}: {message}"
        raise ProviderError(
            f"cannot read zone file {message}" + (f" ({hint})" if hint else "")
        ) from None
    default_ttl = reader.default_ttl if reader.default_ttl_known else None
    if reader.default_ttl_from_soa:
        default_ttl = None
    return ParsedZone(zone, default_ttl)
