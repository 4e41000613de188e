"""A local fake of the Google Cloud DNS v1 REST API, for tests (no emulator exists).

It serves the subset that google-cloud-dns and the dnssync provider use, on loopback, from
a thread, and behaves like the real service where the tests depend on it:

- ``managedZones`` list (``pageToken`` paging, ``maxResults``, ``dnsName`` filter), get,
  create, delete; zones carry ``visibility`` (``public``/``private``).
- ``rrsets`` list with opaque ``pageToken`` paging (a small ``page_size`` forces paging),
  ``maxResults``, ``name``/``type`` filters.
- ``changes`` create is atomic: deletions are checked first (missing: 404 notFound; TTL or
  data not exactly the current ones: 412 conditionNotMet), then additions (an existing
  record set: 409 alreadyExists; CNAME beside other data: 400
  cnameResourceRecordSetConflict; malformed data, a TXT string over 255 octets, a relative
  CNAME/SRV target, a name outside the zone, a ``*`` that is not the whole leftmost label:
  400 invalid). Every problem is listed in
  ``error.errors``; the HTTP status is the first problem's; nothing is applied.
- ``changes`` get: a new change is ``pending`` and turns ``done`` after ``polls_until_done``
  reads.
- A missing zone is 404 notFound. Error bodies have Google's shape:
  ``{"error": {"code", "message", "status", "errors": [{"domain", "reason", "message"}]}}``.
- Failures can be injected (:meth:`FakeCloudDns.fail`): 429 rateLimitExceeded, 5xx,
  before or after the request takes effect.
- Every request is recorded (:attr:`FakeCloudDns.requests`, :meth:`FakeCloudDns.count`).
- ``POST /token`` is an OAuth token endpoint, so Application Default Credentials of type
  ``authorized_user`` can point their ``token_uri`` here; with ``access_token`` set, API
  calls without ``Authorization: Bearer <access_token>`` get 401.

The status codes and reasons follow Google's documentation and public error reports;
message wording is approximate, so clients
must branch on status and reason only.

Use::

    with FakeCloudDns(page_size=3) as fake:
        fake.add_zone("example-com", "example.com.")
        ... point the client at fake.url ...
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, cast
from urllib.parse import parse_qs, urlparse

from testinfra.lifecycle import Stoppable

JSON = dict[str, Any]
API_PREFIX = "/dns/v1/projects/"
MAX_BODY = 8 * 1024 * 1024
MAX_TTL = 2147483647
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
DEFAULT_REASONS = {
    400: "invalid",
    401: "required",
    403: "forbidden",
    404: "notFound",
    409: "alreadyExists",
    412: "conditionNotMet",
    429: "rateLimitExceeded",
    500: "internalError",
    502: "backendError",
    503: "backendError",
    504: "backendError",
}


class ApiProblem(Exception):
    """One or more problems, answered as Google's error body."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        super().__init__(problems[0][2])
        self.problems = problems

    @property
    def status(self) -> int:
        return self.problems[0][0]

    def body(self) -> JSON:
        code, _, message = self.problems[0]
        return error_body(code, message, [(r, m) for _, r, m in self.problems])


def error_body(code: int, message: str, reasons: list[tuple[str, str]]) -> JSON:
    return {
        "error": {
            "code": code,
            "message": message,
            "status": STATUS_NAMES.get(code, "UNKNOWN"),
            "errors": [{"domain": "global", "reason": r, "message": m} for r, m in reasons],
        }
    }


def _problem(code: int, reason: str, message: str) -> ApiProblem:
    return ApiProblem([(code, reason, message)])


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    operation: str = ""
    status: int = 0


@dataclass
class Fault:
    """An injected failure for the next ``count`` requests matching method/operation."""

    status: int
    reason: str
    operation: str | None = None
    method: str | None = None
    count: int = 1
    after: bool = False  # let the request take effect, then answer with the failure
    retry_after: int | None = None

    def matches(self, method: str, operation: str) -> bool:
        return (self.method in (None, method)) and (self.operation in (None, operation))


@dataclass
class _Zone:
    project: str
    resource: JSON
    rrsets: dict[tuple[str, str], JSON] = field(default_factory=dict)
    changes: list[JSON] = field(default_factory=list)
    polls_left: dict[str, int] = field(default_factory=dict)

    @property
    def dns_name(self) -> str:
        return str(self.resource["dnsName"])


def _key(name: str, rtype: str) -> tuple[str, str]:
    return (name.lower(), rtype.upper())


def _token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _untoken(token: str) -> Any:
    try:
        padded = token + "=" * (-len(token) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        raise _problem(400, "invalid", f"Invalid value for 'pageToken': '{token}'") from None


def _max_results(query: dict[str, str], page_size: int) -> int:
    raw = query.get("maxResults")
    if raw is None:
        return page_size
    try:
        wanted = int(raw)
    except ValueError:
        raise _problem(400, "invalid", f"Invalid value for 'maxResults': '{raw}'") from None
    if wanted < 1:
        raise _problem(400, "invalid", f"Invalid value for 'maxResults': '{raw}'")
    return min(wanted, page_size)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeCloudDns


class _Handler(BaseHTTPRequestHandler):
    server_version = "fake-clouddns/1.0"
    protocol_version = "HTTP/1.1"
    timeout = 10  # a stuck client cannot hold a handler thread for long
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def _handle(self, method: str) -> None:
        fake = cast(_Server, self.server).fake
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._reply(413, error_body(413, "request too large", [("invalid", "too large")]))
            return
        raw = self.rfile.read(length) if length else b""
        headers = {
            k: str(self.headers[k])
            for k in ("Authorization", "User-Agent", "X-Goog-API-Client", "Content-Type")
            if self.headers.get(k)
        }
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        if url.path == "/token" and method == "POST":
            record = RecordedRequest(method, url.path, query, headers, None, "oauth.token")
            fake.record(record)
            self._reply(*fake.token_response(record))
            return
        record = RecordedRequest(method, url.path, query, headers, body)
        status, answer, extra = fake.serve(record)
        self._reply(status, answer, extra)

    def _reply(self, status: int, body: JSON | None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class FakeCloudDns(Stoppable):
    """The fake server; see the module docstring. Thread-safe; start/stop or use ``with``."""

    def __init__(
        self,
        *,
        page_size: int = 100,
        polls_until_done: int = 1,
        access_token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.page_size = page_size
        self.polls_until_done = polls_until_done
        self.access_token = access_token
        self.on_request: Callable[[RecordedRequest], None] | None = None
        self.requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._zones: dict[tuple[str, str], _Zone] = {}
        self._lock = threading.RLock()
        self._next_zone_id = 1000
        self._httpd = _Server((host, port), _Handler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None
        self.port = int(self._httpd.server_address[1])
        self.url = f"http://{host}:{self.port}"

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-clouddns-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._httpd.shutdown()
            thread.join(timeout=5)
        self._httpd.server_close()

    # -- state for tests --------------------------------------------------------------

    def add_zone(
        self,
        name: str,
        dns_name: str,
        *,
        project: str = "test-project",
        visibility: str = "public",
        **extra: Any,
    ) -> JSON:
        with self._lock:
            return self._create_zone(
                project, {"name": name, "dnsName": dns_name, "visibility": visibility, **extra}
            )

    def put_rrset(
        self,
        zone: str,
        name: str,
        rtype: str,
        ttl: int,
        rrdatas: list[str],
        *,
        project: str = "test-project",
    ) -> None:
        """Write a record set directly, as another writer would (no checks)."""
        with self._lock:
            z = self._zone(project, zone)
            z.rrsets[_key(name, rtype)] = _rrset(name, rtype, ttl, rrdatas)

    def remove_rrset(
        self, zone: str, name: str, rtype: str, *, project: str = "test-project"
    ) -> None:
        with self._lock:
            self._zone(project, zone).rrsets.pop(_key(name, rtype), None)

    def rrsets(self, zone: str, *, project: str = "test-project") -> list[JSON]:
        with self._lock:
            z = self._zone(project, zone)
            return [json.loads(json.dumps(z.rrsets[k])) for k in sorted(z.rrsets)]

    def rrset(
        self, zone: str, name: str, rtype: str, *, project: str = "test-project"
    ) -> JSON | None:
        with self._lock:
            found = self._zone(project, zone).rrsets.get(_key(name, rtype))
            return json.loads(json.dumps(found)) if found is not None else None

    def changes(self, zone: str, *, project: str = "test-project") -> list[JSON]:
        with self._lock:
            return json.loads(json.dumps(self._zone(project, zone).changes))  # type: ignore[no-any-return]

    def fail(
        self,
        status: int,
        *,
        reason: str | None = None,
        operation: str | None = None,
        method: str | None = None,
        count: int = 1,
        after: bool = False,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``count`` matching API requests with ``status``.

        ``operation`` is one of zones.list, zones.get, zones.create, zones.delete,
        rrsets.list, rrsets.get, changes.list, changes.create, changes.get, projects.get.
        With ``after``, the request takes effect first (a lost answer).
        """
        with self._lock:
            self._faults.append(
                Fault(
                    status,
                    reason or DEFAULT_REASONS.get(status, "backendError"),
                    operation,
                    method,
                    count,
                    after,
                    retry_after,
                )
            )

    def count(self, operation: str | None = None, status: int | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if operation in (None, r.operation) and status in (None, r.status)
            )

    def operations(self) -> dict[str, int]:
        with self._lock:
            counts: dict[str, int] = {}
            for r in self.requests:
                counts[r.operation] = counts.get(r.operation, 0) + 1
            return counts

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- serving ----------------------------------------------------------------------

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def token_response(self, request: RecordedRequest) -> tuple[int, JSON]:
        request.status = 200
        return 200, {
            "access_token": self.access_token or "fake-access-token",
            "expires_in": 3600,
            "token_type": "Bearer",
            "scope": "https://www.googleapis.com/auth/ndev.clouddns.readwrite",
        }

    def serve(self, request: RecordedRequest) -> tuple[int, JSON | None, dict[str, str]]:
        request.operation = self._operation(request.method, request.path)
        self.record(request)
        hook = self.on_request
        if hook is not None:
            hook(request)
        with self._lock:
            if (
                self.access_token is not None
                and request.headers.get("Authorization") != f"Bearer {self.access_token}"
            ):
                request.status = 401
                return (
                    401,
                    error_body(401, "Request is missing a valid access token.", [("required", "")]),
                    {"WWW-Authenticate": "Bearer"},
                )
            fault = self._take_fault(request)
            if fault is not None and not fault.after:
                return self._fault_reply(request, fault)
            try:
                status, body = self._route(request)
            except ApiProblem as problem:
                status, body = problem.status, problem.body()
            if fault is not None:
                return self._fault_reply(request, fault)
            request.status = status
            return status, body, {}

    def _fault_reply(
        self, request: RecordedRequest, fault: Fault
    ) -> tuple[int, JSON | None, dict[str, str]]:
        request.status = fault.status
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        message = {429: "Rate Limit Exceeded", 503: "Backend Error"}.get(
            fault.status, "Internal Error"
        )
        return fault.status, error_body(fault.status, message, [(fault.reason, message)]), headers

    def _take_fault(self, request: RecordedRequest) -> Fault | None:
        for fault in self._faults:
            if fault.count > 0 and fault.matches(request.method, request.operation):
                fault.count -= 1
                self._faults = [f for f in self._faults if f.count > 0]
                return fault
        return None

    @staticmethod
    def _operation(method: str, path: str) -> str:
        if not path.startswith(API_PREFIX):
            return "unknown"
        parts = path[len(API_PREFIX) :].strip("/").split("/")
        table = {
            (1, "GET"): "projects.get",
            (2, "GET"): "zones.list",
            (2, "POST"): "zones.create",
            (3, "GET"): "zones.get",
            (3, "DELETE"): "zones.delete",
        }
        if len(parts) in (1, 2, 3):
            return table.get((len(parts), method), "unknown")
        kind = parts[3]
        if kind == "rrsets":
            return "rrsets.list" if len(parts) == 4 else "rrsets.get"
        if kind == "changes":
            if len(parts) == 5:
                return "changes.get"
            return "changes.create" if method == "POST" else "changes.list"
        return "unknown"

    def _route(self, request: RecordedRequest) -> tuple[int, JSON | None]:
        op = request.operation
        if op == "unknown":
            raise _problem(404, "notFound", f"unsupported {request.method} {request.path}")
        parts = request.path[len(API_PREFIX) :].strip("/").split("/")
        project = parts[0]
        q = request.query
        if op == "projects.get":
            return 200, _project(project)
        if op == "zones.list":
            return 200, self._list_zones(project, q)
        if op == "zones.create":
            if not isinstance(request.body, dict):
                raise _problem(400, "required", "Required parameter: entity.managedZone")
            return 200, self._create_zone(project, request.body)
        zone = self._zone(project, parts[2])
        if op == "zones.get":
            return 200, dict(zone.resource)
        if op == "zones.delete":
            if any(k[1] not in ("SOA", "NS") or k[0] != zone.dns_name for k in zone.rrsets):
                raise _problem(
                    400,
                    "containerNotEmpty",
                    f"The resource named '{parts[2]}' cannot be deleted because it contains "
                    "one or more 'resource records'.",
                )
            del self._zones[(project, parts[2])]
            return 204, None
        if op == "rrsets.list":
            return 200, self._list_rrsets(zone, q)
        if op == "rrsets.get":
            if len(parts) != 6:
                raise _problem(404, "notFound", f"unsupported path {request.path}")
            found = zone.rrsets.get(_key(parts[4], parts[5]))
            if found is None:
                raise _problem(
                    404,
                    "notFound",
                    f"The 'parameters.name' resource named '{parts[4]} ({parts[5]})' does not "
                    "exist.",
                )
            return 200, dict(found)
        if op == "changes.list":
            return 200, _page(zone.changes, "changes", "dns#changesListResponse", q, self, "id")
        if op == "changes.get":
            return 200, self._get_change(zone, parts[4])
        return 200, self._create_change(zone, request.body)

    def _zone(self, project: str, name: str) -> _Zone:
        zone = self._zones.get((project, name))
        if zone is None:
            raise _problem(
                404,
                "notFound",
                f"The 'parameters.managedZone' resource named '{name}' does not exist.",
            )
        return zone

    def _create_zone(self, project: str, body: JSON) -> JSON:
        name = body.get("name")
        dns_name = body.get("dnsName")
        if not isinstance(name, str) or not name:
            raise _problem(400, "required", "Required parameter: entity.managedZone.name")
        if not isinstance(dns_name, str) or not dns_name.endswith("."):
            raise _problem(
                400, "invalid", f"Invalid value for 'entity.managedZone.dnsName': '{dns_name}'"
            )
        if (project, name) in self._zones:
            raise _problem(
                409,
                "alreadyExists",
                f"The resource 'entity.managedZone' named '{name}' already exists",
            )
        self._next_zone_id += 1
        servers = [f"ns-cloud-a{i}.googledomains.com." for i in (1, 2, 3, 4)]
        resource: JSON = {
            "kind": "dns#managedZone",
            "description": "",
            **body,
            "dnsName": dns_name.lower(),
            "id": str(self._next_zone_id),
            "nameServers": servers,
            "creationTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "visibility": str(body.get("visibility") or "public").lower(),
        }
        zone = _Zone(project, resource)
        apex = dns_name.lower()
        zone.rrsets[_key(apex, "SOA")] = _rrset(
            apex,
            "SOA",
            21600,
            [
                "ns-cloud-a1.googledomains.com. cloud-dns-hostmaster.google.com. 1 21600 3600 "
                "259200 300"
            ],
        )
        zone.rrsets[_key(apex, "NS")] = _rrset(apex, "NS", 21600, servers)
        self._zones[(project, name)] = zone
        return dict(resource)

    def _list_zones(self, project: str, q: dict[str, str]) -> JSON:
        zones = [z.resource for (p, _), z in sorted(self._zones.items()) if p == project]
        if "dnsName" in q:
            wanted = q["dnsName"].lower()
            zones = [z for z in zones if z["dnsName"] == wanted]
        return _page(zones, "managedZones", "dns#managedZonesListResponse", q, self, "name")

    def _list_rrsets(self, zone: _Zone, q: dict[str, str]) -> JSON:
        items = [zone.rrsets[k] for k in sorted(zone.rrsets)]
        if "name" in q:
            items = [r for r in items if r["name"].lower() == q["name"].lower()]
        if "type" in q:
            if "name" not in q:
                raise _problem(400, "invalid", "The 'type' parameter requires 'name'.")
            items = [r for r in items if r["type"] == q["type"].upper()]
        return _page(items, "rrsets", "dns#resourceRecordSetsListResponse", q, self, None)

    def _get_change(self, zone: _Zone, change_id: str) -> JSON:
        for change in zone.changes:
            if change["id"] == change_id:
                left = zone.polls_left.get(change_id, 0)
                if left > 0:
                    left -= 1
                    zone.polls_left[change_id] = left
                if left == 0:
                    change["status"] = "done"
                return dict(change)
        raise _problem(
            404,
            "notFound",
            f"The 'parameters.changeId' resource named '{change_id}' does not exist.",
        )

    def _create_change(self, zone: _Zone, body: Any) -> JSON:
        if not isinstance(body, dict):
            raise _problem(400, "required", "Required parameter: change")
        additions = body.get("additions") or []
        deletions = body.get("deletions") or []
        if not isinstance(additions, list) or not isinstance(deletions, list):
            raise _problem(400, "invalid", "Invalid value for 'entity.change'")
        if not additions and not deletions:
            raise _problem(
                400, "required", "The 'entity.change' resource must have additions or deletions."
            )
        problems: list[tuple[int, str, str]] = []
        current = dict(zone.rrsets)
        seen: set[tuple[str, str]] = set()
        parsed_deletions = [
            _check_rrset(zone, d, f"deletions[{i}]", problems) for i, d in enumerate(deletions)
        ]
        parsed_additions = [
            _check_rrset(zone, a, f"additions[{i}]", problems) for i, a in enumerate(additions)
        ]
        if problems:
            raise ApiProblem(problems)
        # Deletions first, against the current state: they must match it exactly.
        for i, d in enumerate(parsed_deletions):
            key = _key(d["name"], d["type"])
            where = f"entity.change.deletions[{i}]"
            if key in seen:
                problems.append((400, "invalid", f"Duplicate record set in '{where}'"))
                continue
            seen.add(key)
            have = current.get(key)
            if have is None:
                problems.append(
                    (
                        404,
                        "notFound",
                        f"The '{where}' resource named '{d['name']} ({d['type']})' does not exist.",
                    )
                )
            elif int(have["ttl"]) != d["ttl"] or sorted(have["rrdatas"]) != sorted(d["rrdatas"]):
                problems.append((412, "conditionNotMet", f"Precondition not met for '{where}'"))
            else:
                del current[key]
        added: set[tuple[str, str]] = set()
        for i, a in enumerate(parsed_additions):
            key = _key(a["name"], a["type"])
            where = f"entity.change.additions[{i}]"
            if key in added:
                problems.append((400, "invalid", f"Duplicate record set in '{where}'"))
                continue
            added.add(key)
            if key in current:
                problems.append(
                    (
                        409,
                        "alreadyExists",
                        f"The resource '{where}' named '{a['name']} ({a['type']})' already exists",
                    )
                )
                continue
            current[key] = a
        for i, a in enumerate(parsed_additions):
            name = a["name"].lower()
            types = {t for (n, t) in current if n == name}
            if "CNAME" in types and len(types) > 1:
                problems.append(
                    (
                        400,
                        "cnameResourceRecordSetConflict",
                        f"The resource record set 'entity.change.additions[{i}]' is invalid "
                        f"because the DNS name '{a['name']}' may have either one CNAME resource "
                        "record set or resource record sets of other types, but not both.",
                    )
                )
        if problems:
            raise ApiProblem(problems)
        zone.rrsets = current
        change_id = str(len(zone.changes) + 1)
        change: JSON = {
            "kind": "dns#change",
            "id": change_id,
            "status": "pending" if self.polls_until_done > 0 else "done",
            "startTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "additions": parsed_additions,
            "deletions": parsed_deletions,
        }
        zone.polls_left[change_id] = self.polls_until_done
        zone.changes.append(change)
        return json.loads(json.dumps(change))  # type: ignore[no-any-return]


def _rrset(name: str, rtype: str, ttl: int, rrdatas: list[str]) -> JSON:
    return {
        "kind": "dns#resourceRecordSet",
        "name": name,
        "type": rtype.upper(),
        "ttl": int(ttl),
        "rrdatas": list(rrdatas),
    }


def _project(project: str) -> JSON:
    # Placeholder quota numbers: invented, not Google's.
    return {
        "kind": "dns#project",
        "id": project,
        "number": "1",
        "quota": {
            "kind": "dns#quota",
            "managedZones": 10000,
            "rrsetsPerManagedZone": 10000,
            "rrsetAdditionsPerChange": 1000,
            "rrsetDeletionsPerChange": 1000,
            "totalRrdataSizePerChange": 100000,
            "resourceRecordsPerRrset": 100,
        },
    }


def _page(
    items: list[JSON],
    key: str,
    kind: str,
    q: dict[str, str],
    fake: FakeCloudDns,
    id_field: str | None,
) -> JSON:
    """One page; the token names the last item returned (stable under concurrent writes)."""

    def ident(item: JSON) -> list[str]:
        if id_field is not None:
            return [str(item[id_field])]
        return [str(item["name"]).lower(), str(item["type"])]

    start = 0
    if q.get("pageToken"):
        after = _untoken(q["pageToken"])
        if not isinstance(after, list):
            raise _problem(400, "invalid", f"Invalid value for 'pageToken': '{q['pageToken']}'")
        start = len(items)
        for index, item in enumerate(items):
            if _sort_key(ident(item), id_field) > _sort_key(after, id_field):
                start = index
                break
    size = _max_results(q, max(fake.page_size, 1))
    chunk = items[start : start + size]
    body: JSON = {"kind": kind, key: [json.loads(json.dumps(i)) for i in chunk]}
    if start + size < len(items):
        body["nextPageToken"] = _token(ident(chunk[-1]))
    return body


def _sort_key(ident: list[Any], id_field: str | None) -> tuple[Any, ...]:
    if id_field == "id":  # change ids are numbers
        return tuple(int(x) if str(x).isdigit() else 0 for x in ident)
    return tuple(str(x) for x in ident)


def _literal_star(name: str) -> bool:
    """A '*' anywhere but as the whole first label of the (absolute) name."""
    rest = name[2:] if name.startswith("*.") else name
    return "*" in rest


def _check_rrset(zone: _Zone, raw: Any, where: str, problems: list[tuple[int, str, str]]) -> JSON:
    """Validate one rrset of a change as Cloud DNS does; return its stored form."""
    entity = f"entity.change.{where}"
    if not isinstance(raw, dict):
        problems.append((400, "invalid", f"Invalid value for '{entity}'"))
        return {}
    name = raw.get("name")
    rtype = str(raw.get("type") or "").upper()
    rrdatas = raw.get("rrdatas")
    if not isinstance(name, str) or not name.endswith("."):
        problems.append((400, "invalid", f"Invalid value for '{entity}.name': '{name}'"))
        return {}
    apex = zone.dns_name
    lower = name.lower()
    if lower != apex and not lower.endswith("." + apex):
        problems.append((400, "invalid", f"Invalid value for '{entity}.name': '{name}'"))
    elif _literal_star(lower):
        # Cloud DNS documents '*' only as a wildcard, the whole leftmost label; there is no
        # emulator to confirm how it treats 'a-*.apps', so the fake takes the strict reading
        # (the one ExternalDNS's --txt-wildcard-replacement exists for).
        problems.append((400, "invalid", f"Invalid value for '{entity}.name': '{name}'"))
    if not rtype:
        problems.append((400, "required", f"Required parameter: {entity}.type"))
    try:
        ttl = int(raw.get("ttl"))  # type: ignore[arg-type]
        if not 0 <= ttl <= MAX_TTL:
            raise ValueError
    except (TypeError, ValueError):
        problems.append((400, "invalid", f"Invalid value for '{entity}.ttl': '{raw.get('ttl')}'"))
        ttl = 0
    if not isinstance(rrdatas, list) or not rrdatas or not all(isinstance(d, str) for d in rrdatas):
        problems.append((400, "required", f"Required parameter: {entity}.rrdata"))
        rrdatas = []
    for j, data in enumerate(rrdatas):
        if not _valid_rdata(rtype, data):
            problems.append((400, "invalid", f"Invalid value for '{entity}.rrdata[{j}]': '{data}'"))
    if rtype == "CNAME" and len(rrdatas) > 1:
        problems.append((400, "invalid", f"Invalid value for '{entity}.rrdata': CNAME has 1"))
    return _rrset(name, rtype, ttl, [str(d) for d in rrdatas])


def _valid_rdata(rtype: str, data: str) -> bool:
    try:
        if rtype == "A":
            ipaddress.IPv4Address(data)
        elif rtype == "AAAA":
            ipaddress.IPv6Address(data)
        elif rtype == "CNAME":
            return _absolute(data)
        elif rtype == "SRV":
            fields = data.split()
            return (
                len(fields) == 4
                and all(f.isdigit() and int(f) <= 65535 for f in fields[:3])
                and _absolute(fields[3])
            )
        elif rtype == "TXT":
            return all(len(s.encode("latin-1")) <= 255 for s in _character_strings(data))
    except (ValueError, UnicodeError):
        return False
    return True


def _absolute(name: str) -> bool:
    return name.endswith(".") and " " not in name and len(name) > 1


def _character_strings(data: str) -> Iterator[str]:
    """Split TXT rdata into its strings (quoted with escapes, or bare words)."""
    index, end = 0, len(data)
    while index < end:
        if data[index].isspace():
            index += 1
            continue
        quoted = data[index] == '"'
        index += quoted
        out: list[str] = []
        while index < end:
            char = data[index]
            if quoted and char == '"':
                index += 1
                break
            if not quoted and char.isspace():
                break
            if char == "\\" and index + 1 < end:
                digits = data[index + 1 : index + 4]
                if len(digits) == 3 and digits.isdigit():
                    out.append(chr(int(digits)))
                    index += 4
                    continue
                out.append(data[index + 1])
                index += 2
                continue
            out.append(char)
            index += 1
        else:
            if quoted:
                raise ValueError("unterminated string")
        yield "".join(out)


if __name__ == "__main__":  # pragma: no cover - manual use: python -m testinfra.gcdns_fake
    import sys

    fake = FakeCloudDns(page_size=int(sys.argv[1]) if len(sys.argv) > 1 else 100).start()
    print(fake.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()
