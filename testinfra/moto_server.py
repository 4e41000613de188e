"""moto's Route53 as a real HTTP endpoint on loopback, for provider tests.

The server is moto's own ``ThreadedMotoServer`` on 127.0.0.1 with a free port, so boto3
talks real HTTP to it (``AWS_ENDPOINT_URL_ROUTE_53`` works as in production). ``reset()``
empties it between tests; ``stop()`` (or leaving the ``with`` block) always stops it.

moto accepts many change batches the real Route53 rejects (see the test-infrastructure
notes: CREATE over an existing set with other values, DELETE with stale values, a CNAME
beside other data, 32,000 characters of values...). ``strict=True`` (the default) replaces
moto's ``change_resource_record_sets`` with one that validates the whole batch against
the zone the way Route53 documents it (all or nothing; CREATE refuses an existing set;
DELETE must match the current set exactly; CNAME exclusive and never at the apex; at most
1,000 changes, 1,000 values and 32,000 characters, UPSERT counting twice) and answers
``InvalidChangeBatch`` with Route53's message texts. Every accepted or rejected batch is
recorded in :attr:`MotoRoute53.batches` so tests can check sizes, and every HTTP request
the server answers is counted by Route53 operation (:meth:`MotoRoute53.request_counts`).
Names are stored as Route53 lists them: a leading ``*`` label comes back as ``\\052``.

Usage::

    with MotoRoute53() as aws:
        zone_id = aws.create_zone("example.com")
        os.environ.update(aws.environ())      # or monkeypatch.setenv(...)
        ...
        aws.reset()

Run ``python -m testinfra.moto_server`` for a server a person can point the CLI at.
"""

from __future__ import annotations

import bisect
import copy
import ipaddress
import logging
import os
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Self

from testinfra.lifecycle import Stoppable, wait_until

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
MAX_CHANGES = 1000
MAX_VALUES = 1000
MAX_CHARACTERS = 32000


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """One ChangeResourceRecordSets request as the strict server saw it."""

    zone_id: str
    changes: int
    values: int
    characters: int
    accepted: bool
    messages: tuple[str, ...] = ()


class MotoRoute53(Stoppable):
    def __init__(self, *, strict: bool = True, quiet: bool = True) -> None:
        self.strict = strict
        self.quiet = quiet
        self.batches: list[BatchRecord] = []
        self._requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: Any = None
        self.endpoint = ""

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        os.environ.update({k: v for k, v in FAKE_CREDENTIALS.items() if k not in os.environ})
        from moto.server import ThreadedMotoServer

        if self.quiet:
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if self.strict:
            _install_strict(self)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        # Count requests where they arrive; werkzeug looks the app up for every request.
        wsgi = server._server
        assert wsgi is not None  # started
        wsgi.app = _Counting(wsgi.app, self._count_request)
        self._server = server
        self.endpoint = f"http://{host}:{port}"
        self._wait_ready()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        if self.strict:
            _uninstall_strict(self)

    def reset(self) -> None:
        """Forget every zone and record (moto's own reset endpoint) and the batch log."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
        with self._lock:
            self.batches.clear()
            self._requests.clear()

    def _wait_ready(self, timeout: float = 15.0) -> None:
        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2) as answer:
                    answer.read()
            except OSError:
                return False
            return True

        message = f"moto did not answer on {self.endpoint}"
        try:
            wait_until(answers, timeout, message, interval=0.05, error=RuntimeError)
        except RuntimeError:
            self.stop()
            raise

    # -- helpers for tests ---------------------------------------------------------------

    def environ(self) -> dict[str, str]:
        """What a process needs to use this server through boto3's own chain."""
        return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL_ROUTE_53": self.endpoint}

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "route53",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def create_zone(
        self,
        name: str,
        *,
        private: bool = False,
        tags: dict[str, str] | None = None,
    ) -> str:
        """Create a hosted zone; returns its bare id."""
        client = self.client()
        kwargs: dict[str, Any] = {"Name": name, "CallerReference": str(uuid.uuid4())}
        if private:
            kwargs["HostedZoneConfig"] = {"PrivateZone": True, "Comment": "private"}
            kwargs["VPC"] = {"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"}
        zone_id = str(client.create_hosted_zone(**kwargs)["HostedZone"]["Id"]).rsplit("/", 1)[-1]
        if tags:
            client.change_tags_for_resource(
                ResourceType="hostedzone",
                ResourceId=zone_id,
                AddTags=[{"Key": k, "Value": v} for k, v in tags.items()],
            )
        return zone_id

    def record_sets(self, zone_id: str) -> list[dict[str, Any]]:
        pages = self.client().get_paginator("list_resource_record_sets")
        return [r for p in pages.paginate(HostedZoneId=zone_id) for r in p["ResourceRecordSets"]]

    def change_requests(self, zone_id: str | None = None) -> list[BatchRecord]:
        with self._lock:
            return [b for b in self.batches if zone_id is None or b.zone_id == zone_id]

    def _record(self, batch: BatchRecord) -> None:
        with self._lock:
            self.batches.append(batch)

    def request_counts(self) -> Counter[str]:
        """HTTP requests answered since the last reset, by Route53 operation name."""
        with self._lock:
            return Counter(self._requests)

    def _count_request(self, operation: str) -> None:
        with self._lock:
            self._requests[operation] += 1


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Counting:
    """WSGI middleware: tells ``count`` the Route53 operation of every request."""

    def __init__(self, app: WsgiApp, count: Callable[[str], None]) -> None:
        self.app = app
        self.count = count

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        operation = route53_operation(
            str(environ.get("REQUEST_METHOD", "")), str(environ.get("PATH_INFO", ""))
        )
        if operation is not None:
            self.count(operation)
        return self.app(environ, start_response)


def route53_operation(method: str, path: str) -> str | None:
    """The Route53 operation of a REST request (None for moto's own API)."""
    if path.startswith("/moto-api"):
        return None
    parts = [p for p in path.split("/") if p][1:]  # without the API version
    if parts[-1:] == ["rrset"]:
        return "ListResourceRecordSets" if method == "GET" else "ChangeResourceRecordSets"
    if parts == ["hostedzone"]:
        return "ListHostedZones" if method == "GET" else "CreateHostedZone"
    if len(parts) == 2 and parts[0] == "hostedzone":
        return {"GET": "GetHostedZone", "DELETE": "DeleteHostedZone"}.get(method, method)
    if parts[:1] == ["tags"] and len(parts) == 2:
        return "ListTagsForResources"
    if parts[:1] == ["tags"]:
        return "ChangeTagsForResource" if method == "POST" else "ListTagsForResource"
    if parts[:1] == ["change"]:
        return "GetChange"
    return f"{method} {'/'.join(parts[:1])}"


# -- strict change batches -------------------------------------------------------------------

_ACTIVE: list[MotoRoute53] = []
_ORIGINAL: dict[str, Any] = {}


def _install_strict(owner: MotoRoute53) -> None:
    from moto.route53.models import FakeZone, Route53Backend

    if not _ORIGINAL:
        _ORIGINAL["change"] = Route53Backend.change_resource_record_sets
        _ORIGINAL["list"] = FakeZone.get_record_sets
        setattr(Route53Backend, "change_resource_record_sets", _strict_change)  # noqa: B010
        setattr(FakeZone, "get_record_sets", _sorted_record_sets)  # noqa: B010
    _ACTIVE.append(owner)


def _uninstall_strict(owner: MotoRoute53) -> None:
    from moto.route53.models import FakeZone, Route53Backend

    if owner in _ACTIVE:
        _ACTIVE.remove(owner)
    if not _ACTIVE and _ORIGINAL:
        setattr(Route53Backend, "change_resource_record_sets", _ORIGINAL.pop("change"))  # noqa: B010
        setattr(FakeZone, "get_record_sets", _ORIGINAL.pop("list"))  # noqa: B010


def _version(zone: Any) -> tuple[int, int, int]:
    """Changes when the zone's sets may have: its list replaced or resized, or _apply ran."""
    return (id(zone.rrsets), len(zone.rrsets), getattr(zone, "_dnssync_version", 0))


def _sorted_record_sets(zone: Any, start_type: str, start_name: str) -> list[Any]:
    """moto's ``get_record_sets`` (sorted by reversed name, then type; from the start name
    and type on), with the sorted order kept between pages instead of redone for each:
    listing a zone of 40,000 sets 300 at a time is otherwise quadratic."""
    from moto.route53.models import reverse_domain_name

    version = _version(zone)
    cached = getattr(zone, "_dnssync_sorted", None)
    if cached is None or cached[0] != version:
        keyed = [((reverse_domain_name(rs.name), str(rs.type)), rs) for rs in zone.rrsets]
        keyed.sort(key=lambda pair: pair[0])  # stable, as moto's sort
        cached = (version, [k for k, _ in keyed], [rs for _, rs in keyed])
        zone._dnssync_sorted = cached
    keys, record_sets = cached[1], cached[2]
    if not start_name:
        return list(record_sets)
    start = bisect.bisect_left(keys, (reverse_domain_name(start_name), start_type or ""))
    return record_sets[start:]


def _strict_change(backend: Any, zoneid: str, change_list: list[dict[str, Any]]) -> None:
    zone = backend.get_hosted_zone(zoneid)
    checker = _BatchChecker(zone)
    messages = checker.check(change_list)
    # The checker's state is the zone after the batch: kept for the next batch if applied.
    zone._dnssync_checked = None
    record = BatchRecord(
        zone.id.rsplit("/", 1)[-1],
        checker.changes,
        checker.values,
        checker.characters,
        not messages,
        tuple(messages),
    )
    for owner in _ACTIVE:
        owner._record(record)
    if messages:
        raise _invalid_change_batch(messages)
    for change in change_list:
        _apply(zone, change)
    zone._dnssync_version = getattr(zone, "_dnssync_version", 0) + 1
    zone._dnssync_checked = (_version(zone), checker.state, checker.types)


def _invalid_change_batch(messages: list[str]) -> Exception:
    from moto.route53.exceptions import Route53ClientError

    # One message as it is; several in brackets, as Route53 joins them in one Message.
    text = messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"
    error: Exception = Route53ClientError("InvalidChangeBatch", text)
    return error


def _norm(name: str) -> str:
    name = name.strip().rstrip(".").lower()
    return "*" + name[4:] if name.startswith("\\052") else name


def _stored(name: str) -> str:
    text = name.strip().rstrip(".") + "."
    return "\\052" + text[1:] if text.startswith("*") else text


def _values(rrset: dict[str, Any]) -> list[str]:
    return [
        str(v["Value"]) if isinstance(v, dict) else str(v)
        for v in rrset.get("ResourceRecords") or ()
    ]


def _alias(raw: Any) -> tuple[str, str, bool] | None:
    if not raw:
        return None
    health = raw.get("EvaluateTargetHealth", False)
    if isinstance(health, str):
        health = health.lower() == "true"
    return (_norm(str(raw["DNSName"])), str(raw.get("HostedZoneId", "")), bool(health))


def _snapshot(ttl: Any, values: list[str], alias: Any) -> tuple[Any, ...]:
    return (None if alias else int(ttl or 0), tuple(sorted(values)), _alias(alias))


class _BatchChecker:
    def __init__(self, zone: Any) -> None:
        self.zone_name = _norm(zone.name)
        self.changes = self.values = self.characters = 0
        self.state: dict[tuple[str, str, str | None], tuple[Any, ...]] = {}
        # The types held at each name, so a CNAME check is a lookup, not a scan of the zone.
        self.types: dict[str, Counter[str]] = {}
        cached = getattr(zone, "_dnssync_checked", None)
        if cached is not None and cached[0] == _version(zone):
            self.state, self.types = cached[1], cached[2]  # the zone as the last batch left it
            return
        for rs in zone.rrsets:
            key = (_norm(rs.name), str(rs.type), rs.set_identifier)
            self._set(key, _snapshot(rs.ttl, [str(v) for v in rs.records or ()], rs.alias_target))
        self.changes = self.values = self.characters = 0

    def _set(self, key: tuple[str, str, str | None], snapshot: tuple[Any, ...]) -> None:
        if key not in self.state:
            self.types.setdefault(key[0], Counter())[key[1]] += 1
        self.state[key] = snapshot

    def _delete(self, key: tuple[str, str, str | None]) -> None:
        del self.state[key]
        held = self.types[key[0]]
        held[key[1]] -= 1
        if not held[key[1]]:
            del held[key[1]]

    def check(self, change_list: list[dict[str, Any]]) -> list[str]:
        messages: list[str] = []
        for change in change_list:
            action = str(change["Action"])
            rrset = change["ResourceRecordSet"]
            values = _values(rrset)
            factor = 2 if action == "UPSERT" else 1
            self.changes += factor
            self.values += factor * len(values)
            self.characters += factor * sum(len(v) for v in values)
            problem = self._one(action, rrset, values)
            if problem:
                messages.append(problem)
        if self.changes > MAX_CHANGES or self.values > MAX_VALUES:
            messages.insert(0, f"Number of records limit of {MAX_VALUES} exceeded.")
        if self.characters > MAX_CHARACTERS:
            # The text of this message was not seen from AWS; only the code matters here.
            messages.insert(0, f"Number of characters limit of {MAX_CHARACTERS} exceeded.")
        return messages

    def _one(self, action: str, rrset: dict[str, Any], values: list[str]) -> str | None:
        name = _norm(str(rrset["Name"]))
        shown = _stored(name)
        rtype = str(rrset["Type"])
        key = (name, rtype, rrset.get("SetIdentifier"))
        which = f"[name='{shown}', type='{rtype}']"
        if not (name == self.zone_name or name.endswith("." + self.zone_name)):
            return f"RRSet with DNS name {shown} is not permitted in zone {self.zone_name}."
        bad = _bad_value(rtype, values)
        if bad:
            return bad
        snapshot = _snapshot(rrset.get("TTL"), values, rrset.get("AliasTarget"))
        current = self.state.get(key)
        if action == "DELETE":
            if current is None:
                return f"Tried to delete resource record set {which} but it was not found"
            if current != snapshot:
                return (
                    f"Tried to delete resource record set {which} but the values provided do "
                    "not match the current values"
                )
            self._delete(key)
            return None
        if action == "CREATE" and current is not None:
            return f"Tried to create resource record set {which} but it already exists"
        others = {t for t in self.types.get(name, ()) if t != rtype}
        if rtype == "CNAME" and name == self.zone_name:
            return (
                f"RRSet of type CNAME with DNS name {shown} is not permitted at apex in zone "
                f"{self.zone_name}."
            )
        if rtype == "CNAME" and others:
            return (
                f"RRSet of type CNAME with DNS name {shown} is not permitted as it conflicts "
                f"with other records with the same DNS name in zone {self.zone_name}."
            )
        if "CNAME" in others:
            return (
                f"RRSet with DNS name {shown} is not permitted because a conflicting RRSet of "
                f"type CNAME with the same DNS name already exists in zone {self.zone_name}."
            )
        self._set(key, snapshot)
        return None


def _bad_value(rtype: str, values: list[str]) -> str | None:
    for value in values:
        try:
            if rtype == "A":
                ipaddress.IPv4Address(value)
            elif rtype == "AAAA":
                ipaddress.IPv6Address(value)
        except ValueError:
            kind = "IPv4" if rtype == "A" else "IPv6"
            return (
                f"Invalid Resource Record: 'FATAL problem: ARRDATAIllegal{kind}Address "
                f"(Value is not a valid {kind} address) encountered with '{value}''"
            )
        if rtype == "TXT" and any(len(s) > 255 for s in _txt_strings(value)):
            return (
                "Invalid Resource Record: 'FATAL problem: TXTRDATATooLong (TXT record "
                f"string is too long) encountered with '{value[:40]}...''"
            )
    return None


def _txt_strings(value: str) -> Iterator[str]:
    """The character strings of a TXT value in presentation form, escapes decoded."""
    index = 0
    while index < len(value):
        if value[index] != '"':
            index += 1
            continue
        index += 1
        chars: list[str] = []
        while index < len(value) and value[index] != '"':
            if value[index] == "\\":
                digits = value[index + 1 : index + 4]
                if len(digits) == 3 and digits.isdigit():
                    chars.append(chr(int(digits, 8)))
                    index += 4
                    continue
                index += 1
            chars.append(value[index] if index < len(value) else "")
            index += 1
        index += 1
        yield "".join(chars)


def _apply(zone: Any, change: dict[str, Any]) -> None:
    from moto.route53 import models

    record_set: Any = models.RecordSet  # typed abstract in moto's stubs, concrete at run time
    original = copy.deepcopy(change)
    action = change["Action"]
    rrset = dict(change["ResourceRecordSet"])
    rrset["Name"] = _stored(str(rrset["Name"]))
    if "ResourceRecords" in rrset:
        rrset["ResourceRecords"] = _values(rrset)
    key = (_norm(rrset["Name"]), rrset["Type"], rrset.get("SetIdentifier"))

    def same(rs: Any) -> bool:
        return (_norm(rs.name), rs.type, rs.set_identifier) == key

    if action == "DELETE":
        zone.rrsets = [rs for rs in zone.rrsets if not same(rs)]
    elif action == "UPSERT":
        zone.rrsets = [rs for rs in zone.rrsets if not same(rs)] + [record_set(rrset)]
    else:
        zone.rrsets.append(record_set(rrset))
    zone.rr_changes.append(original)


def main() -> None:  # pragma: no cover - for people
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lenient", action="store_true", help="moto's own (lenient) checks")
    args = parser.parse_args()
    with MotoRoute53(strict=not args.lenient) as aws:
        print(f"AWS_ENDPOINT_URL_ROUTE_53={aws.endpoint}", flush=True)
        for key, value in FAKE_CREDENTIALS.items():
            print(f"{key}={value}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    main()
