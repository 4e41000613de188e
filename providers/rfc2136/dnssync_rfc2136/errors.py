"""What the server's answers mean, in words an operator can act on.

UPDATE rcodes fall in three kinds:

* prerequisite failures (YXDOMAIN, NXDOMAIN, YXRRSET, NXRRSET): the zone is not what the
  planner saw, so a concurrent writer got there first. They belong to one group: the
  message is split to find it, and it is reported as a conflict;
* other failures that may come from one group's data (REFUSED — PowerDNS refuses a CNAME
  beside other data, BIND refuses names outside the key's update-policy —, FORMERR,
  SERVFAIL — BIND's max-records-per-type): also isolated and reported per group;
* failures of the whole exchange (NOTAUTH, NOTZONE, NOTIMP, TSIG errors, network): nothing
  can be written; :class:`~dnssync.errors.ProviderError`.

TSIG failures come back from dnspython as exceptions (BIND and Knot sign their BADSIG or
BADKEY answer; PowerDNS sends an unsigned REFUSED, which dnspython reports as FormError).
"""

from __future__ import annotations

import enum
import socket

import dns.exception
import dns.message
import dns.rcode
import dns.tsig


class BadAnswer(Exception):
    """An answer that does not belong to our request, or a transfer out of order."""


class UnsignedAnswer(Exception):
    """The server answered a signed request without a TSIG record (so it is not trusted)."""

    def __init__(self, rcode: dns.rcode.Rcode) -> None:
        super().__init__(dns.rcode.to_text(rcode))
        self.rcode = rcode


class Kind(enum.Enum):
    OK = "ok"
    CONFLICT = "conflict"
    GROUP = "group"
    FATAL = "fatal"


_KINDS: dict[dns.rcode.Rcode, Kind] = {
    dns.rcode.NOERROR: Kind.OK,
    dns.rcode.YXDOMAIN: Kind.CONFLICT,
    dns.rcode.NXDOMAIN: Kind.CONFLICT,
    dns.rcode.YXRRSET: Kind.CONFLICT,
    dns.rcode.NXRRSET: Kind.CONFLICT,
    dns.rcode.REFUSED: Kind.GROUP,
    dns.rcode.FORMERR: Kind.GROUP,
    dns.rcode.SERVFAIL: Kind.GROUP,
}

_RCODE_TEXT: dict[dns.rcode.Rcode, str] = {
    dns.rcode.YXDOMAIN: "a name the update expected to be free is in use",
    dns.rcode.NXDOMAIN: "a name the update expected to exist is gone",
    dns.rcode.YXRRSET: (
        "a record set the update expected to be absent exists (created by another writer "
        "since the zone was read, or a CNAME at the name)"
    ),
    dns.rcode.NXRRSET: (
        "a record set the update expected is missing or holds other values (changed by "
        "another writer since the zone was read)"
    ),
    dns.rcode.REFUSED: (
        "the server refused the update (check its update-policy / allow-update for this key "
        "and name; PowerDNS also refuses a CNAME beside other data)"
    ),
    dns.rcode.FORMERR: "the server could not parse the update (FORMERR)",
    dns.rcode.SERVFAIL: (
        "the server failed to apply the update (SERVFAIL; BIND answers this when an RRset "
        "would exceed max-records-per-type, see the server log)"
    ),
    dns.rcode.NOTAUTH: (
        "the server is not authoritative for the zone or did not accept the request "
        "(NOTAUTH; Knot answers this to an unsigned update: check the TSIG key)"
    ),
    dns.rcode.NOTZONE: "the server does not serve the zone named in the update (NOTZONE)",
    dns.rcode.NOTIMP: "the server does not implement dynamic update (NOTIMP)",
}


def kind_of(rcode: dns.rcode.Rcode) -> Kind:
    return _KINDS.get(rcode, Kind.FATAL)


def rcode_name(rcode: dns.rcode.Rcode) -> str:
    return dns.rcode.to_text(rcode)


def describe_rcode(rcode: dns.rcode.Rcode) -> str:
    text = _RCODE_TEXT.get(rcode)
    name = rcode_name(rcode)
    if text is None:
        return f"the server answered {name}"
    return text if name in text else f"{text} [{name}]"


def describe_exception(exc: BaseException, key_name: str | None) -> tuple[str, str]:
    """(counter result, message) for an exception raised while talking to the server.

    The message names the key, never its secret.
    """
    key = f"TSIG key {key_name}" if key_name else "the TSIG key"
    tsig = _peer_tsig_problem(exc, key) or _answer_tsig_problem(exc, key)
    if tsig is not None:
        return "tsig_error", tsig
    return _transport_problem(exc)


def _peer_tsig_problem(exc: BaseException, key: str) -> str | None:
    """What the server said about our TSIG signature (its TSIG error codes), or None."""
    if isinstance(exc, dns.tsig.PeerBadKey):
        return (
            f"the server does not know {key} (BADKEY): check --rfc2136-tsig-keyname and the "
            "server's key configuration"
        )
    if isinstance(exc, dns.tsig.PeerBadSignature):
        return (
            f"the server rejected the signature made with {key} (BADSIG): wrong secret or "
            "algorithm (--rfc2136-tsig-secret, --rfc2136-tsig-secret-alg)"
        )
    if isinstance(exc, dns.tsig.PeerBadTime | dns.tsig.BadTime):
        return (
            f"TSIG time check failed for {key} (BADTIME): the clocks of this host and the "
            "server differ by more than the allowed fudge"
        )
    if isinstance(exc, dns.tsig.PeerBadTruncation):
        return f"the server rejected the truncated MAC of {key} (BADTRUNC)"
    if isinstance(exc, dns.tsig.PeerError):
        return f"the server rejected {key}: {type(exc).__name__}"
    return None


def _answer_tsig_problem(exc: BaseException, key: str) -> str | None:
    """Why the server's answer failed our TSIG checks, or None."""
    if isinstance(exc, dns.tsig.BadSignature):
        return (
            f"the server's answer failed TSIG verification with {key}: wrong secret or "
            "algorithm, or an answer was tampered with"
        )
    if isinstance(exc, dns.tsig.BadAlgorithm | dns.tsig.BadKey):
        return f"the server's answer uses a TSIG key or algorithm other than {key}"
    if isinstance(exc, dns.message.UnknownTSIGKey):
        return "the server signed its answer with a TSIG key we do not know"
    if isinstance(exc, UnsignedAnswer):
        return (
            f"the server answered {rcode_name(exc.rcode)} without a TSIG signature: "
            f"{describe_rcode(exc.rcode)}; it may not serve the zone, or it did not accept "
            f"{key} (PowerDNS answers a wrong or unknown key this way)"
        )
    if isinstance(exc, dns.exception.FormError) and "TSIG" in str(exc):
        return (
            f"the server answered without a TSIG signature: it did not accept {key} (PowerDNS "
            "answers a wrong or unknown key this way)"
        )
    return None


def _transport_problem(exc: BaseException) -> tuple[str, str]:
    """(counter result, message) for a failure that is not about TSIG."""
    if isinstance(exc, dns.exception.Timeout | socket.timeout | TimeoutError):
        return "timeout", "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "network_error", "connection refused (is the server running on that port?)"
    if isinstance(exc, EOFError | ConnectionResetError | BrokenPipeError):
        return "network_error", "the server closed the connection without an answer"
    if isinstance(exc, socket.gaierror):
        return "network_error", f"cannot resolve the server's name: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        return "network_error", f"network error: {exc.strerror or type(exc).__name__}"
    if isinstance(exc, dns.exception.FormError | BadAnswer):
        return "bad_response", f"the server's answer is malformed: {exc}"
    return "error", f"{type(exc).__name__}: {exc}"
