"""Problems found in input, reported against the object and field that caused them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from dnssync.model.refs import ObjectRef


class Severity(enum.Enum):
    WARNING = "Warning"
    ERROR = "Error"


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    """One problem. ``subject`` is the object (or file) it concerns, ``field`` its path."""

    subject: str
    field: str
    message: str
    severity: Severity = Severity.WARNING
    ref: ObjectRef | None = None
    # A short CamelCase reason for Kubernetes Events and metric labels.
    reason: str = "InvalidInput"

    def __str__(self) -> str:
        where = f"{self.subject}: {self.field}" if self.field else self.subject
        return f"{where}: {self.message}"


def for_object(
    ref: ObjectRef,
    field: str,
    message: str,
    *,
    reason: str = "InvalidInput",
    severity: Severity = Severity.WARNING,
) -> Diagnostic:
    return Diagnostic(str(ref), field, message, severity, ref, reason)
