"""A thin layer over google-cloud-dns: one method per REST call, counted and retried.

Every request goes through :meth:`CloudDnsApi._call`, which counts it (including each
retry) in the provider's :class:`RequestCounter`, retries 429/5xx/transport failures with
bounded jittered backoff, and turns Google's exceptions into :class:`ApiError`.

The Google libraries are imported here lazily (on first use), never at import time.
Listings use google-api-core's ``HTTPIterator`` on the library's connection with raw JSON
items, one request per page: the library's own ``ResourceRecordSet`` cannot hold record
sets with a routing policy (no ``rrdatas``) and its zones do not expose ``visibility``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from dnssync.errors import ConfigError, ProviderError
from dnssync.providers.base import RequestCounter

from .backoff import DEFAULT_SLEEP, Backoff, Sleep
from .failures import ApiFailure, Kind, classify
from .settings import GoogleSettings

T = TypeVar("T")
JSON = dict[str, Any]
SCOPES = ("https://www.googleapis.com/auth/ndev.clouddns.readwrite",)
REQUEST_TIMEOUT = 60.0


class ApiError(ProviderError):
    """A Cloud DNS call failed; ``failure`` says how (status, reasons)."""

    def __init__(self, operation: str, failure: ApiFailure, attempts: int = 1) -> None:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"Cloud DNS {operation} failed{tries}: {failure.describe()}")
        self.operation = operation
        self.failure = failure
        self.attempts = attempts


@dataclass(frozen=True, slots=True)
class WireRRset:
    """A record set exactly as the REST API carries it (name with trailing dot)."""

    name: str
    type: str
    ttl: int
    rrdatas: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChangeTicket:
    id: str
    status: str


@dataclass(frozen=True, slots=True)
class Page:
    items: list[JSON]
    next_token: str | None


class CloudDnsApi:
    def __init__(
        self,
        settings: GoogleSettings,
        requests: RequestCounter,
        *,
        credentials: Any = None,
        retry: Backoff | None = None,
        sleep: Sleep = DEFAULT_SLEEP,
    ) -> None:
        self._settings = settings
        self._requests = requests
        self._credentials = credentials
        self._retry = retry or Backoff(base=0.5, cap=8.0, attempts=5)
        self._sleep = sleep
        self._client: Any = None

    # -- connection -----------------------------------------------------------------

    @property
    def project(self) -> str:
        return str(self.client.project)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._build_client()
        return self._client

    def _build_client(self) -> Any:
        import google.auth
        import google.auth.exceptions
        from google.cloud import dns

        credentials = self._credentials
        project = self._settings.project
        if credentials is None:
            try:
                credentials, adc_project = google.auth.default(scopes=SCOPES)
            except google.auth.exceptions.DefaultCredentialsError as exc:
                raise ProviderError(
                    "no Google Application Default Credentials found: set "
                    "GOOGLE_APPLICATION_CREDENTIALS, run `gcloud auth application-default "
                    "login`, or use workload identity"
                ) from exc
            project = project or adc_project
        if not project:
            raise ConfigError(
                "--google-project is required: the Application Default Credentials name no project"
            )
        endpoint = self._settings.api_endpoint
        options = {"api_endpoint": endpoint} if endpoint else None
        return dns.Client(project=project, credentials=credentials, client_options=options)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- calls ----------------------------------------------------------------------

    def list_zones(self, token: str | None) -> Page:
        path = f"/projects/{self.project}/managedZones"
        return self._call("zones.list", lambda: self._page(path, "managedZones", token))

    def zone_exists(self, zone: str) -> bool:
        path = f"/projects/{self.project}/managedZones/{zone}"
        try:
            self._call("zones.get", lambda: self.client._connection.api_request("GET", path))
        except ApiError as exc:
            if exc.failure.status == 404:
                return False
            raise
        return True

    def list_rrsets(self, zone: str, token: str | None) -> Page:
        path = f"/projects/{self.project}/managedZones/{zone}/rrsets"
        return self._call("rrsets.list", lambda: self._page(path, "rrsets", token))

    def create_change(
        self, zone: str, additions: Sequence[WireRRset], deletions: Sequence[WireRRset]
    ) -> ChangeTicket:
        def create() -> ChangeTicket:
            managed = self.client.zone(zone)
            change = managed.changes()
            for rrset in deletions:
                change.delete_record_set(_library_rrset(managed, rrset))
            for rrset in additions:
                change.add_record_set(_library_rrset(managed, rrset))
            change.create()
            return ChangeTicket(str(change.name), str(change.status))

        return self._call("changes.create", create)

    def change_status(self, zone: str, change_id: str) -> str:
        def get() -> str:
            change = self.client.zone(zone).changes()
            change.name = change_id
            change.reload()
            return str(change.status)

        return self._call("changes.get", get)

    def _page(self, path: str, key: str, token: str | None) -> Page:
        from google.api_core import page_iterator

        iterator = page_iterator.HTTPIterator(  # type: ignore[no-untyped-call]
            client=self.client,
            api_request=self.client._connection.api_request,
            path=path,
            item_to_value=_raw_item,
            items_key=key,
            page_token=token,
        )
        page = next(iterator.pages, None)
        items = [item for item in page] if page is not None else []
        return Page(items, iterator.next_page_token or None)

    def _call(self, operation: str, fn: Callable[[], T]) -> T:
        delays = self._retry.delays()
        attempts = 0
        while True:
            attempts += 1
            try:
                result = fn()
            except (ProviderError, ConfigError):
                raise
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    self._requests.count(operation, "error")
                    raise
                self._requests.count(operation, failure.result)
                if failure.kind in (Kind.RETRYABLE, Kind.TRANSPORT):
                    delay = next(delays, None)
                    if delay is not None:
                        self._sleep(_honour_retry_after(exc, delay, self._retry.cap))
                        continue
                raise ApiError(operation, failure, attempts) from exc
            self._requests.count(operation, "ok")
            return result


def _raw_item(_iterator: Any, resource: JSON) -> JSON:
    return resource


def _library_rrset(zone: Any, rrset: WireRRset) -> Any:
    return zone.resource_record_set(rrset.name, rrset.type, rrset.ttl, list(rrset.rrdatas))


def _honour_retry_after(exc: BaseException, delay: float, cap: float) -> float:
    """Use the server's Retry-After (seconds) when it asks for longer, within the cap."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        wanted = float(raw) if raw is not None else 0.0
    except (TypeError, ValueError):
        wanted = 0.0
    return min(max(delay, wanted), max(cap, delay))
