"""Errors from talking to the Kubernetes API: an HTTP error answer, or no answer at all."""

from __future__ import annotations

from dnssync.errors import SourceError


class KubeError(SourceError):
    """Any failure reading from or writing to the Kubernetes API."""


class KubeApiError(KubeError):
    """The apiserver answered with an HTTP error status (or an ERROR watch event)."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        text = f"HTTP {status} {reason}"
        super().__init__(f"{text}: {message}" if message else text)
        self.status = status
        self.reason = reason
        self.message = message

    @property
    def gone(self) -> bool:
        """410 Gone: the resourceVersion is too old (compacted); relist."""
        return self.status == 410

    @property
    def denied(self) -> bool:
        """401 or 403: the credentials or their RBAC do not allow the request."""
        return self.status in (401, 403)


class KubeTransportError(KubeError):
    """No usable answer: connection refused or reset, TLS failure, client timeout."""
