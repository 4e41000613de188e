"""Addresses an object publishes: IPs and target hostnames, parsed strictly.

Shared by the status fields (projection) and the ``target`` annotation, so the same text
is accepted or refused, with the same words, wherever it comes from (docs/annotations.md).
"""

from __future__ import annotations

import ipaddress
import re

from dnssync.errors import InvalidNameError
from dnssync.model.names import DomainName
from dnssync.sources.objects import IPAddress

_IP_TEXT = re.compile(r"[0-9A-Fa-f:.]+")
# What inet_aton would read as a number: decimal, octal (leading 0) or hex (0x) parts.
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")


def parse_ip(text: str) -> IPAddress:
    """An IPv4 or IPv6 address in its usual form; ValueError (saying why) otherwise.

    Refused: IPv6 zone (scope) ids (``fe80::1%eth0``: DNS cannot carry them, and a record
    holding one would fail at the provider), and anything but ASCII hex digits, dots and
    colons (``ipaddress`` would accept a zone id).
    """
    if "%" in text:
        address, _, zone = text.partition("%")
        raise ValueError(
            f"{text!r} has an IPv6 zone id (%{zone}), which a DNS record cannot carry; "
            f"publish the address without it ({address}) if it is reachable that way"
        )
    if not _IP_TEXT.fullmatch(text):
        raise ValueError(f"{text!r} is not an IP address")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address") from None


def parse_hostname_target(text: str) -> DomainName:
    """A hostname a CNAME (or an SRV) may point at; ValueError (saying why) otherwise.

    Refused beside invalid names: names that only look like a number or an IP address in
    a legacy form (``127.1``, ``010.000.000.001``, ``3405803777``, ``0x7f.1``), which
    resolvers and browsers may read as that address, and names whose last label is all
    digits, which no top-level domain is (RFC 3696 section 2).
    """
    try:
        name = DomainName.parse_hostname(text)
    except InvalidNameError as exc:
        raise ValueError(f"{text!r} is neither an IP address nor a hostname: {exc}") from None
    labels = name.labels
    if all(_NUMERIC_LABEL.fullmatch(label) for label in labels):
        raise ValueError(
            f"{text!r} is not a valid IP address but looks like one in a legacy numeric form "
            "(short, octal, hex or a single number); write the IP in dotted decimal without "
            "leading zeros (e.g. 127.0.0.1), or give a hostname"
        )
    if labels[-1].isdigit():
        raise ValueError(
            f"{text!r} is not a usable hostname: its last label {labels[-1]!r} is all digits, "
            "which no top-level domain is (RFC 3696)"
        )
    return name
