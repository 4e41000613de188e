"""ingress-nginx's TCP/UDP services ConfigMaps, read exactly as the controller reads them.

The controller (``getStreamServices``) takes each ``data`` entry
``"<port>": "<namespace>/<service>:<port>[:PROXY][:PROXY]"``; docs/sources/ingress-nginx.md
lists its rules. Parsing never raises: every entry is either a :class:`StreamEntry` or a
:class:`StreamEntryProblem` naming its key (and an entry may be both, when the controller
uses it but ignores part of it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dnssync.model.diagnostics import Diagnostic, Severity
from dnssync.model.refs import ObjectRef
from dnssync.sources.objects import (
    Protocol,
    StreamEntry,
    StreamEntryProblem,
    StreamServicesObject,
)

CONFIGMAP_KIND = "configmap"
# Namespaces and Service/ConfigMap names: what the API server accepts in both.
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")

# The ports the controller keeps for itself with its default flags (--http-port 80,
# --https-port 443, --ssl-passthrough-proxy-port 442, --healthz-port 10254,
# --default-server-port 8181, and its profiler, status and stream ports): an entry on one
# of them is skipped with a warning.
RESERVED_PORTS = frozenset({80, 443, 442, 10254, 8181, 10245, 10246, 10247})

# Go's strconv.Atoi: an optional sign and decimal digits, nothing else (no spaces).
_ATOI = re.compile(r"[+-]?[0-9]+")
_INT64 = 2**63
# Problems quote input: keep each to a line.
_SHOWN = 60


def parse_stream_services(ref: ObjectRef, data: Mapping[Any, Any] | None) -> StreamServicesObject:
    """The ConfigMap's entries (sorted by key) and the problems of the others."""
    entries: list[StreamEntry] = []
    problems: list[StreamEntryProblem] = []
    items: list[tuple[str, Any]] = []
    for raw_key, value in (data or {}).items():
        key = _key_text(raw_key)
        if key is None:
            problems.append(
                StreamEntryProblem(_show(raw_key), "the key is not a string: quote the port")
            )
            continue
        if any(key == seen for seen, _ in items):
            # {53: ..., "53": ...} in a manifest: one key once the API server has it.
            problems.append(
                StreamEntryProblem(_show(raw_key), f"the key {key!r} appears twice; not published")
            )
            continue
        items.append((key, value))
    # Two keys for one port ("53", "+53"): the plain one wins, then the first in order.
    items.sort(key=lambda item: (not item[0].isdigit() or item[0].startswith("0"), item[0]))
    exposed: dict[int, str] = {}
    for key, value in items:
        entry, entry_problems = parse_entry(key, value)
        problems.extend(entry_problems)
        if entry is None:
            continue
        if entry.port in exposed:
            problems.append(
                StreamEntryProblem(
                    key,
                    f"port {entry.port} is already exposed by key {exposed[entry.port]!r}; "
                    "this entry is not published",
                )
            )
            continue
        exposed[entry.port] = key
        entries.append(entry)
    return StreamServicesObject(ref, tuple(entries), tuple(sorted(problems)))


def parse_entry(key: str, value: Any) -> tuple[StreamEntry | None, list[StreamEntryProblem]]:
    """One entry: the entry the controller makes of it (None: it skips it) and problems."""
    if not _ATOI.fullmatch(key) or abs(int(key)) >= _INT64:
        return None, [_skip(key, f"{_show(key)} is not a port number")]
    port = int(key)
    if not 1 <= port <= 65535:
        return None, [_skip(key, f"{port} is not a port number 1..65535")]
    if port in RESERVED_PORTS:
        return None, [
            _skip(key, f"port {port} is reserved for the controller itself; it skips the entry")
        ]
    if not isinstance(value, str):
        return None, [_skip(key, f"the value {_show(value)} is not a string")]
    fields = value.split(":")
    if len(fields) < 2:
        return None, [
            _skip(key, f"{_show(value)} is not <namespace>/<service>:<port>[:PROXY][:PROXY]")
        ]
    names = fields[0].split("/")
    if len(names) != 2 or not names[0] or not names[1]:
        return None, [
            _skip(key, f"{_show(fields[0])} is not <namespace>/<service> (in {_show(value)})")
        ]
    problems: list[StreamEntryProblem] = []
    extra = fields[2:]
    for index, text in enumerate(extra[:2]):
        if text.upper() != "PROXY":
            which = "third" if index == 0 else "fourth"
            problems.append(
                StreamEntryProblem(
                    key,
                    f"the {which} field {_show(text)} is not PROXY; the controller ignores it",
                    skipped=False,
                )
            )
    if len(extra) > 2:
        problems.append(
            StreamEntryProblem(
                key,
                f"fields after the fourth ({_show(':'.join(extra[2:]))}) are ignored by the "
                "controller, and so is the fourth",
                skipped=False,
            )
        )
    entry = StreamEntry(
        key=key,
        port=port,
        namespace=names[0],
        service=names[1],
        backend_port=fields[1],
        proxy_decode=bool(extra) and extra[0].upper() == "PROXY",
        # As the controller: the fourth field counts only when it is the last.
        proxy_encode=len(extra) == 2 and extra[1].upper() == "PROXY",
    )
    return entry, problems


def backend_port_number(text: str) -> int | None:
    """The backend port as a number (the controller's strconv.Atoi), or None: a name."""
    if _ATOI.fullmatch(text) and abs(int(text)) < _INT64:
        return int(text)
    return None


def _key_text(raw: Any) -> str | None:
    """Keys as the API server stores them: YAML reads an unquoted 53 as a number, which
    kubectl sends as the string "53"."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int):
        return str(raw)
    return None


def _skip(key: str, message: str) -> StreamEntryProblem:
    return StreamEntryProblem(key, f"{message}; not published")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 4] + "...'"


@dataclass(frozen=True, slots=True)
class IngressNginxSettings:
    """``--ingress-nginx-controller`` and the two ConfigMaps (None: not given)."""

    controller: ObjectRef | None = None  # kind: service
    tcp_services: ObjectRef | None = None  # kind: configmap
    udp_services: ObjectRef | None = None

    @property
    def enabled(self) -> bool:
        return self.tcp_services is not None or self.udp_services is not None

    @property
    def configmaps(self) -> tuple[tuple[ObjectRef, Protocol], ...]:
        """The ConfigMaps with the protocol each exposes."""
        found: list[tuple[ObjectRef, Protocol]] = []
        if self.tcp_services is not None:
            found.append((self.tcp_services, Protocol.TCP))
        if self.udp_services is not None:
            found.append((self.udp_services, Protocol.UDP))
        return tuple(found)

    @classmethod
    def parse(cls, controller: str, tcp_services: str, udp_services: str) -> IngressNginxSettings:
        """From the flags' ``NAMESPACE/NAME`` texts ("" = not given); ValueError names the
        flag."""
        refs: list[ObjectRef | None] = []
        for flag, kind, text in (
            ("ingress-nginx-controller", "service", controller),
            ("ingress-nginx-tcp-services", CONFIGMAP_KIND, tcp_services),
            ("ingress-nginx-udp-services", CONFIGMAP_KIND, udp_services),
        ):
            if not text:
                refs.append(None)
                continue
            parts = text.split("/")
            if len(parts) != 2 or not all(_DNS_LABEL.fullmatch(p) for p in parts):
                raise ValueError(f"--{flag}: {text!r} is not NAMESPACE/NAME")
            refs.append(ObjectRef(kind, parts[0], parts[1]))
        settings = cls(*refs)
        if settings.enabled and settings.controller is None:
            raise ValueError(
                "--ingress-nginx-tcp-services/--ingress-nginx-udp-services need "
                "--ingress-nginx-controller (the controller's LoadBalancer Service)"
            )
        if settings.controller is not None and not settings.enabled:
            raise ValueError(
                "--ingress-nginx-controller needs --ingress-nginx-tcp-services and/or "
                "--ingress-nginx-udp-services"
            )
        return settings


def missing_configmaps(
    settings: IngressNginxSettings, present: Callable[[ObjectRef], bool]
) -> list[Diagnostic]:
    """An Error for each named ConfigMap that does not exist.

    A typo in a flag would otherwise read as "no entries", and the backends' records would
    be deleted without a word; so the run is incomplete instead (docs/sources/ingress-nginx.md).
    """
    flags = {settings.tcp_services: "tcp-services", settings.udp_services: "udp-services"}
    return [
        Diagnostic(
            f"configmap/{ref.namespace}/{ref.name}",
            "",
            f"named by --ingress-nginx-{flags[ref]} but not found; nothing is deleted this "
            "run (check the flag, or create the ConfigMap)",
            Severity.ERROR,
            reason="ConfigMapNotFound",
        )
        for ref, _ in settings.configmaps
        if not present(ref)
    ]
