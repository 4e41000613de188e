"""Cloud DNS API errors, classified by HTTP status and ``reason`` (never by message text).

Google's error body is ``{"error": {"code", "message", "status", "errors": [{"reason",
"message", "domain"}]}}``; google-api-core turns it into a ``GoogleAPICallError`` with
``code``, ``message`` and ``errors``. :func:`classify` reduces that to an
:class:`ApiFailure`, which the provider maps to clear messages.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Kind(enum.Enum):
    RETRYABLE = "retryable"  # 429 and 5xx: try again after a pause
    CONFLICT = "conflict"  # the zone is not what we believed: 404 rrset, 409, 412, CNAME clash
    NOT_FOUND = "not_found"  # 404: a missing rrset in a deletion, or a missing zone
    AUTH = "auth"  # 401/403: credentials or permissions
    INVALID = "invalid"  # other 4xx: the request itself is wrong
    TRANSPORT = "transport"  # no HTTP answer at all (connection refused, timeout)


CONFLICT_REASONS = frozenset(
    {"alreadyExists", "conditionNotMet", "cnameResourceRecordSetConflict", "notFound"}
)


@dataclass(frozen=True, slots=True)
class ApiFailure:
    status: int | None
    reasons: tuple[str, ...]
    message: str

    @property
    def kind(self) -> Kind:
        status = self.status
        if status is None:
            return Kind.TRANSPORT
        if status == 429 or status >= 500:
            return Kind.RETRYABLE
        if status in (401, 403):
            if "rateLimitExceeded" in self.reasons or "userRateLimitExceeded" in self.reasons:
                return Kind.RETRYABLE  # Google sometimes answers quota errors with 403
            return Kind.AUTH
        if status == 404:
            return Kind.NOT_FOUND
        if status in (409, 412):
            return Kind.CONFLICT
        if "cnameResourceRecordSetConflict" in self.reasons:
            return Kind.CONFLICT
        return Kind.INVALID

    @property
    def result(self) -> str:
        """The label used for request counting."""
        return "transport_error" if self.status is None else f"http_{self.status}"

    def describe(self) -> str:
        """A short, clear explanation of the failure (never includes credentials)."""
        what = _EXPLANATIONS.get(self.status or 0, "")
        reasons = ", ".join(self.reasons)
        head = f"HTTP {self.status}" if self.status is not None else "no answer"
        detail = f"{head} {reasons}".strip() if reasons else head
        text = f"{what}: {self.message}" if what else self.message
        return f"{text} ({detail})"


_EXPLANATIONS = {
    400: "the request was refused as invalid",
    401: "not authenticated (check the Application Default Credentials)",
    403: "permission denied (the credentials need roles/dns.admin on the project)",
    404: "not found",
    409: "a record set that dnssync wanted to create already exists (another writer?)",
    412: "a record set changed since it was read (another writer?)",
    429: "rate limited by Cloud DNS",
    500: "Cloud DNS internal error",
    502: "Cloud DNS is unavailable",
    503: "Cloud DNS is unavailable",
    504: "Cloud DNS timed out",
}


def classify(exc: BaseException) -> ApiFailure | None:
    """An ApiFailure for an exception raised by the Google client, or None if unrelated."""
    from google.api_core import exceptions as gexc

    if isinstance(exc, gexc.GoogleAPICallError):
        status = exc.code if isinstance(exc.code, int) else None
        return ApiFailure(
            status=status,
            reasons=_reasons(exc.errors),
            message=_clean(exc.message or type(exc).__name__),
        )
    import requests

    if isinstance(exc, requests.exceptions.RequestException):
        return ApiFailure(None, (), f"cannot reach Cloud DNS: {type(exc).__name__}")
    try:
        from google.auth import exceptions as auth_exc
    except ImportError:  # pragma: no cover - google-auth is a dependency
        return None
    if isinstance(exc, auth_exc.TransportError):
        return ApiFailure(None, (), f"cannot reach the credentials service: {type(exc).__name__}")
    if isinstance(exc, auth_exc.GoogleAuthError):
        # RefreshError, InvalidOperation (anonymous credentials asked to refresh after 401)
        return ApiFailure(401, ("refreshError",), "the access token could not be refreshed")
    return None


def _reasons(errors: Any) -> tuple[str, ...]:
    found: list[str] = []
    for item in errors or ():
        reason = item.get("reason") if isinstance(item, dict) else None
        if isinstance(reason, str) and reason not in found:
            found.append(reason)
    return tuple(found)


def _clean(message: str) -> str:
    # google-api-core prefixes "POST https://...: "; the URL carries no secret but is noise.
    head, sep, tail = message.partition(": ")
    if sep and head.split(" ", 1)[0] in ("GET", "POST", "DELETE", "PATCH", "PUT"):
        return tail
    return message
