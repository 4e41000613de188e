"""Hypothesis strategies for zone files: foreign RRsets of every common type, written in
varied presentation (escapes, parentheses, comments, relative and absolute names), plus
records owned by dnssync and a desired state to converge to."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from dnssync.model.records import RRset
from dnssync.testing.builders import ownership_txt, rrset

OWNER_ID = "fuzz"
RESOURCE = "service/ns/app"
# Owner labels foreign data may use; ours are "own0".."own3" (and their ownership TXTs).
FOREIGN_LABELS = ("@", "www", "mail", "Mixed", "_sip._tcp", "*.wild", "a.b", "srv", "x-1")
OWN_LABELS = ("own0", "own1", "own2", "own3")

ttls = st.sampled_from([0, 1, 60, 300, 86400, 2147483647])
txt_bytes = st.binary(min_size=0, max_size=300).map(lambda b: b[:255])


@st.composite
def txt_string(draw: st.DrawFn) -> tuple[bytes, str]:
    """A character-string and one of its many presentation forms."""
    data = draw(txt_bytes)
    out = ['"']
    for octet in data:
        char = chr(octet)
        style = draw(st.integers(0, 2))
        if octet in (0x22, 0x5C):  # " and \ must be escaped
            out.append("\\" + char if style else f"\\{octet:03d}")
        elif char.isdigit():  # a backslash before a digit starts a \DDD escape (RFC 1035)
            out.append(char if style != 2 else f"\\{octet:03d}")
        elif 0x20 <= octet < 0x7F and char not in "()\n;":
            out.append(char if style == 0 else ("\\" + char if style == 1 else f"\\{octet:03d}"))
        elif 0x20 <= octet < 0x7F:  # ( ) ; are literal inside quotes
            out.append(char if style == 0 else f"\\{octet:03d}")
        else:
            out.append(f"\\{octet:03d}")
    out.append('"')
    return data, "".join(out)


@st.composite
def txt_data(draw: st.DrawFn) -> str:
    strings = draw(st.lists(txt_string(), min_size=1, max_size=4))
    texts = [text for _, text in strings]
    if draw(st.booleans()):  # spread over lines in parentheses, with a comment
        return "( " + "\n    ".join(texts) + " ; strings\n )"
    return " ".join(texts)


def _name(draw: st.DrawFn, pool: tuple[str, ...] = ("mail", "www", "srv")) -> str:
    label = draw(st.sampled_from(pool))
    return draw(st.sampled_from([label, f"{label}.example.com.", "target.example.net."]))


@st.composite
def foreign_rdata(draw: st.DrawFn, rtype: str) -> str:
    if rtype == "A":
        return draw(st.sampled_from(["192.0.2.1", "198.51.100.7", "0.0.0.0", "255.255.255.255"]))
    if rtype == "AAAA":
        return draw(st.sampled_from(["2001:db8::1", "2001:DB8:0:0::0:1", "::1", "::ffff:1.2.3.4"]))
    if rtype == "CNAME":
        return _name(draw)
    if rtype == "MX":
        return f"{draw(st.integers(0, 65535))} {_name(draw)}"
    if rtype == "SRV":
        prio, weight, port = (draw(st.integers(0, 65535)) for _ in range(3))
        return f"{prio} {weight} {port} {_name(draw)}"
    if rtype == "TXT":
        return draw(txt_data())
    if rtype == "CAA":
        tag = draw(st.sampled_from(["issue", "issuewild", "iodef"]))
        value = draw(st.sampled_from(["ca.example", ";", "mailto:a@b"]))
        return f'{draw(st.sampled_from([0, 128]))} {tag} "{value}"'
    if rtype == "PTR":
        return _name(draw)
    if rtype == "HINFO":
        return f"{draw(txt_string())[1]} {draw(txt_string())[1]}"
    if rtype == "SSHFP":
        return f"{draw(st.integers(1, 4))} 1 {draw(st.binary(min_size=20, max_size=20)).hex()}"
    if rtype == "NAPTR":
        return '100 10 "u" "E2U+sip" "!^.*$!sip:x@example.net!" .'
    if rtype == "TYPE65534":
        data = draw(st.binary(min_size=0, max_size=8))
        return f"\\# {len(data)} {data.hex()}" if data else "\\# 0"
    raise AssertionError(rtype)


FOREIGN_TYPES = (
    "A",
    "AAAA",
    "CNAME",
    "MX",
    "SRV",
    "TXT",
    "CAA",
    "PTR",
    "HINFO",
    "SSHFP",
    "NAPTR",
    "TYPE65534",
)


@dataclass(frozen=True)
class ZoneCase:
    text: str  # the zone file after the head
    owned: tuple[RRset, ...]  # our records (with their TXTs) already in the file
    desired: tuple[RRset, ...]  # what the sources want


@st.composite
def zone_cases(draw: st.DrawFn) -> ZoneCase:
    lines: list[str] = []
    taken: dict[str, set[str]] = {}
    for _ in range(draw(st.integers(0, 12))):
        label = draw(st.sampled_from(FOREIGN_LABELS))
        rtype = draw(st.sampled_from(FOREIGN_TYPES))
        here = taken.setdefault(label, set())
        # A valid zone: a CNAME is alone at its name, and never at the apex.
        if ("CNAME" in here and rtype != "CNAME") or (rtype == "CNAME" and here - {"CNAME"}):
            continue
        if rtype == "CNAME" and (label == "@" or "CNAME" in here):
            continue
        here.add(rtype)
        owner = draw(st.sampled_from([label, f"{label}.example.com."])) if label != "@" else "@"
        ttl = draw(ttls)
        lines.append(f"{owner} {ttl} IN {rtype} {draw(foreign_rdata(rtype))}")
    # A delegation and a DNAME, sometimes, with glue below the delegation.
    if draw(st.booleans()):
        lines.append("deleg 3600 NS ns1.deleg\ndeleg 3600 NS ns.example.net.")
        lines.append("ns1.deleg 3600 A 192.0.2.53")
    if draw(st.booleans()):
        lines.append("moved 3600 DNAME example.net.")
    owned: list[RRset] = []
    for label in OWN_LABELS:
        if draw(st.booleans()):
            address = draw(st.sampled_from(["192.0.2.10", "192.0.2.11"]))
            record = rrset(f"{label}.example.com", "A", address)
            txt = ownership_txt(record.name.text, "A", RESOURCE, OWNER_ID)
            owned.extend([record, txt])
            lines.append(f"{label} {record.ttl} A {record.values[0].to_text()}")
            lines.append(f"{txt.name.fqdn} {txt.ttl} TXT {txt.values[0].to_text()}")
    desired: list[RRset] = []
    for label in (*OWN_LABELS, "deleg", "x.deleg", "x.moved", "fresh"):
        if draw(st.booleans()):
            address = draw(st.sampled_from(["192.0.2.10", "192.0.2.12"]))
            desired.append(rrset(f"{label}.example.com", "A", address))
    lines = draw(st.permutations(lines))
    return ZoneCase("\n".join(lines) + "\n", tuple(owned), tuple(desired))
