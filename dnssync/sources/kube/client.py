"""Build a Kubernetes client: kubeconfig and context, in-cluster config, or the default kubeconfig.

The order, as kubectl and client-go do it:

1. ``--kubeconfig F`` and/or ``--context C`` given: that kubeconfig (``KUBECONFIG`` or
   ``~/.kube/config`` when only a context is given) with that context.
2. Running in a pod (``KUBERNETES_SERVICE_HOST`` set and a service-account token mounted):
   the in-cluster config.
3. Otherwise the default kubeconfig: ``KUBECONFIG`` (a ``:``-separated list is merged) or
   ``~/.kube/config``.

In-cluster service accounts and kubeconfig users with a token, a token file or a client
certificate are served by :mod:`.direct`, without importing the official client (its
import alone costs about half a second of CPU); credential plugins, auth providers and the
rest by the official client, untyped, which only this module touches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3

from dnssync.errors import ConfigError
from dnssync.sources.kube import direct
from dnssync.sources.kube import kubeconfig as kubeconfig_file
from dnssync.sources.kube.api import KubeApi, Query
from dnssync.sources.kube.errors import KubeTransportError

IN_CLUSTER_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
IN_CLUSTER_CA = Path("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt")
DEFAULT_KUBECONFIG = "~/.kube/config"


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Where the credentials come from, and the client-side bounds of every request."""

    kubeconfig: str | None = None
    context: str | None = None
    # Every request gets (connect, read) timeouts; watches get their own read timeout.
    connect_timeout: float = 10.0
    request_timeout: float = 30.0
    # Concurrent connections kept open: one per watch plus a few for lists and Events.
    max_connections: int = 16
    user_agent: str = "dnssync"


def in_cluster() -> bool:
    """True when running in a pod with a mounted service-account token."""
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and IN_CLUSTER_TOKEN.is_file()


def describe_config_source(settings: ClientSettings) -> str:
    """Where the configuration comes from, for logs (never the credentials themselves)."""
    if settings.kubeconfig or settings.context:
        where = settings.kubeconfig or _default_kubeconfig()
        return f"kubeconfig {where}" + (f" context {settings.context}" if settings.context else "")
    if in_cluster():
        return "in-cluster service account"
    return f"kubeconfig {_default_kubeconfig()}"


def connect(settings: ClientSettings) -> KubeApi:
    """A :class:`KubeApi` for the configured cluster. Raises ConfigError when none is usable."""
    explicit = bool(settings.kubeconfig or settings.context)
    if not explicit and in_cluster():
        config: direct.DirectConfig | None = direct.in_cluster(IN_CLUSTER_TOKEN, IN_CLUSTER_CA)
        loaded = None
    else:
        loaded = _read_kubeconfig(settings.kubeconfig if explicit else None, settings.context)
        config = direct.from_kubeconfig(loaded.config)
    client: direct.DirectClient | LibraryClient
    if config is None:
        client = _library_client(settings, loaded)  # its errors name the kubeconfig
    else:
        try:
            client = direct.DirectClient(
                config, max_connections=settings.max_connections, user_agent=settings.user_agent
            )
        except ConfigError as exc:
            raise ConfigError(f"{describe_config_source(settings)}: {exc}") from None
    return KubeApi(
        client,
        connect_timeout=settings.connect_timeout,
        request_timeout=settings.request_timeout,
    )


class LibraryClient:
    """Requests through the official client, for the credentials direct.py leaves to it
    (it refreshes exec and auth-provider credentials itself)."""

    def __init__(self, api_client: Any) -> None:
        self._client = api_client
        self.host = str(api_client.configuration.host)

    def send(
        self,
        method: str,
        path: str,
        query: Query,
        headers: dict[str, str],
        body: Any,
        timeout: tuple[float, float],
    ) -> urllib3.BaseHTTPResponse:
        method, url, headers, serialized, _ = self._client.param_serialize(
            method=method,
            resource_path=path,
            query_params=list(query) or None,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            rest_response = self._client.call_api(
                method, url, header_params=headers, body=serialized, _request_timeout=timeout
            )
        except (urllib3.exceptions.HTTPError, OSError):
            raise
        except Exception as exc:  # the client's ApiException (TLS errors) and friends
            if type(exc).__name__ == "ApiException":
                reason = str(getattr(exc, "reason", exc)).replace("\n", ": ")
                raise KubeTransportError(f"{method} {path}: {reason}") from None
            raise
        response: urllib3.BaseHTTPResponse = rest_response.response
        return response

    def close(self) -> None:
        self._client.close()


def _library_client(
    settings: ClientSettings, loaded: kubeconfig_file.Kubeconfig | None
) -> LibraryClient:
    import kubernetes.client

    configuration: Any = kubernetes.client.Configuration()
    assert loaded is not None  # in-cluster is always direct
    _load_kubeconfig(configuration, loaded)
    configuration.connection_pool_maxsize = settings.max_connections
    # TCP keepalive: a half-dead connection is noticed even between watch events.
    configuration.keep_alive = True
    # No retries inside urllib3 (they log a warning each): our own loops retry, with backoff.
    configuration.retries = False
    api_client = kubernetes.client.ApiClient(configuration)
    api_client.user_agent = settings.user_agent
    return LibraryClient(api_client)


def _default_kubeconfig() -> str:
    return os.environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG


def _read_kubeconfig(path: str | None, context: str | None) -> kubeconfig_file.Kubeconfig:
    config_file = path or _default_kubeconfig()
    # A ":"-separated KUBECONFIG is merged (as kubectl does); a single missing file is not.
    files = [os.path.expanduser(p) for p in config_file.split(os.pathsep) if p]
    if not any(os.path.exists(f) for f in files):
        raise ConfigError(f"kubeconfig {config_file} not found")
    # Read and checked here, so that no malformed file reaches a client's loader
    # (tracebacks, messages quoting whole user entries).
    return kubeconfig_file.load(files, context, config_file)


def _load_kubeconfig(configuration: Any, kubeconfig: kubeconfig_file.Kubeconfig) -> None:
    import kubernetes.config

    config_file = kubeconfig.shown
    load: Any = kubernetes.config.load_kube_config_from_dict
    try:
        load(
            kubeconfig.config,
            context=kubeconfig.context,
            client_configuration=configuration,
            persist_config=False,
        )
    except Exception as exc:
        # The client's exec and auth-provider plugins run here; their errors are reported
        # as a line without secrets, never as a traceback.
        message = kubeconfig.redact(" ".join(str(exc).split()))[:500]
        raise ConfigError(
            f"kubeconfig {config_file} context {kubeconfig.context}: cannot be used: "
            f"{message or type(exc).__name__}"
        ) from None
    # The client logs a failed credential plugin and goes on without credentials.
    plugin = kubeconfig.exec_command
    if plugin and not configuration.api_key.get("BearerToken") and not configuration.cert_file:
        raise ConfigError(
            f"kubeconfig {config_file} context {kubeconfig.context}: the credential plugin "
            f"{plugin!r} (users[name={kubeconfig.user}].user.exec) gave no credentials"
        )
