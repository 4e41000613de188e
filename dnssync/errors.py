"""One root exception; every error dnssync raises on purpose derives from it."""

from __future__ import annotations


class DnssyncError(Exception):
    """Root of all dnssync errors."""


class InvalidNameError(DnssyncError, ValueError):
    """A DNS name that cannot be used (bad label, too long, bad IDNA)."""


class InvalidRecordError(DnssyncError, ValueError):
    """Record data of the wrong form for its type."""


class ConfigError(DnssyncError):
    """Bad configuration: flags, environment, config file or provider options."""


class ProviderError(DnssyncError):
    """A provider could not read or write a zone. The message never holds secrets."""


class ProviderConflictError(ProviderError):
    """The zone changed under us: a concurrent writer or drift was detected."""


class SourceError(DnssyncError):
    """A source could not be read completely; never treat its output as 'nothing'."""


class UnsafePlanError(DnssyncError):
    """A plan exceeds the safety threshold or would empty a zone after a source failure."""


class OwnershipError(DnssyncError):
    """An ownership TXT record cannot be placed (apex, label too long)."""
