"""What every provider implements. Providers only read zones and apply changes.

The diff is computed centrally by the planner; a provider never decides what to change.
A provider receives :class:`ChangeGroup` objects (a record change plus its ownership TXT
change) and must apply each group in one atomic request. ``Change.old`` is the state the
planner saw; providers that can check it (prerequisites, exact-match deletes) must, and
raise or report :class:`ProviderConflictError` instead of clobbering a concurrent writer.
"""

from __future__ import annotations

import abc
import enum
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from dnssync.model.changes import ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.records import RRset

OptionValue = str | int | bool | tuple[str, ...] | None
"""A resolved option value (a LIST option's value is a tuple)."""


class OptionKind(enum.Enum):
    STRING = "string"
    INT = "int"
    BOOL = "bool"
    LIST = "list"  # repeatable flag, comma-separated in env and YAML lists in config


@dataclass(frozen=True, slots=True)
class ProviderOption:
    """One provider setting, exposed as ``--<flag>`` and ``DNSSYNC_<FLAG>``."""

    flag: str
    help: str
    kind: OptionKind = OptionKind.STRING
    default: OptionValue = None
    choices: tuple[str, ...] | None = None
    # Secret values are never logged, printed or put in error messages.
    secret: bool = False
    # Other names of the same setting (ExternalDNS's flag names, docs/flags.md): each is a
    # flag, a DNSSYNC_<ALIAS> variable and a config file key too.
    aliases: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        return self.flag.replace("-", "_")

    @property
    def env_var(self) -> str:
        return "DNSSYNC_" + self.dest.upper()

    @property
    def names(self) -> tuple[str, ...]:
        """The flag, then its aliases (without dashes)."""
        return (self.flag, *self.aliases)

    @property
    def env_vars(self) -> tuple[str, ...]:
        return tuple("DNSSYNC_" + name.replace("-", "_").upper() for name in self.names)


ProviderOptions = Mapping[str, OptionValue]


@dataclass(frozen=True, slots=True)
class GroupFailure:
    group: ChangeGroup
    message: str
    conflict: bool = False


@dataclass(frozen=True, slots=True)
class ApplyResult:
    applied: tuple[ChangeGroup, ...]
    failed: tuple[GroupFailure, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failed


RequestObserver = Callable[[str, str, str], None]


@dataclass
class RequestCounter:
    """Counts provider API requests by (operation, result); tests and benchmarks read it.

    ``observer`` lets the daemon mirror the counts into Prometheus without providers
    knowing about metrics.
    """

    provider: str
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    bytes_received: int = 0
    bytes_sent: int = 0
    observer: RequestObserver | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, operation: str, result: str = "ok") -> None:
        with self._lock:
            self.counts[(operation, result)] += 1
        if self.observer is not None:
            self.observer(self.provider, operation, result)

    def total(self, operation: str | None = None) -> int:
        with self._lock:
            return sum(n for (op, _), n in self.counts.items() if operation in (None, op))

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
            self.bytes_received = 0
            self.bytes_sent = 0


class Provider(abc.ABC):
    """Base class for providers registered under the ``dnssync.providers`` entry points.

    Modules defining providers must not import heavy SDKs at import time: the CLI imports
    every installed provider class to list its options.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    options: ClassVar[tuple[ProviderOption, ...]] = ()
    # True when the provider can write alias A/AAAA records (Route53) at a zone apex.
    supports_alias: ClassVar[bool] = False

    def __init__(self) -> None:
        self.requests = RequestCounter(self.name)

    @classmethod
    @abc.abstractmethod
    def create(cls, options: ProviderOptions) -> Provider:
        """Build the provider from its validated options (keys are ``ProviderOption.dest``)."""

    @abc.abstractmethod
    def zones(self) -> tuple[DomainName, ...]:
        """The zones this provider can manage (after its own zone filters)."""

    @abc.abstractmethod
    def records(self, zone: DomainName) -> tuple[RRset, ...]:
        """Every A, AAAA, CNAME, SRV and TXT RRset (and alias) in the zone, canonical, TXT
        strings byte for byte; and, read only, the NS sets below the apex and the DNAME
        sets (``CUT_TYPES``), so the planner can leave occluded names alone.

        The apex NS, SOA and other types (MX...) are left out; the planner never touches
        them, nor NS and DNAME. An NS or DNAME set the provider cannot represent must fail
        the read (unless its owner name itself is unrepresentable). Raises ProviderError
        when the zone cannot be read completely.
        """

    @abc.abstractmethod
    def apply(self, zone: DomainName, groups: Sequence[ChangeGroup]) -> ApplyResult:
        """Apply the groups, each atomically. Deletes should be ordered before creates.

        Raises ProviderError when nothing could be applied (unreachable, auth failure);
        reports per-group failures in the result otherwise.
        """

    def adjust(self, rrsets: tuple[RRset, ...]) -> tuple[RRset, ...]:
        """The desired RRsets as this provider would store them, before planning.

        Optional; the default returns ``rrsets`` itself (the same object: nothing to do).
        A provider that normalises records on write (the webhook provider asks its server)
        returns them as it would list them, so the plan compares like with like; an RRset
        left out is not managed. An RRset's key (name, type) must not change.
        """
        return rrsets

    def prefetch(self) -> None:  # noqa: B027 - optional hook, most providers keep nothing
        """Read ahead what the first plan will read, while the sources are still listing:
        the daemon calls it once, in a thread of its own, at start-up (docs/daemon.md).

        Only for a provider that keeps what it reads (rfc2136 caches each zone by its SOA
        serial); the default does nothing. Must not raise: a failure is left to the real
        read to report.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, most providers hold nothing
        """Release connections. Safe to call twice."""
