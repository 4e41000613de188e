"""Build a Kubernetes client: kubeconfig and context, in-cluster config, or the default kubeconfig.

The order, as kubectl and client-go do it:

1. ``--kubeconfig F`` and/or ``--context C`` given: that kubeconfig (``KUBECONFIG`` or
   ``~/.kube/config`` when only a context is given) with that context.
2. Running in a pod (``KUBERNETES_SERVICE_HOST`` set and a service-account token mounted):
   the in-cluster config.
3. Otherwise the default kubeconfig: ``KUBECONFIG`` (a ``:``-separated list is merged) or
   ``~/.kube/config``.

The official client is untyped; this module and :mod:`.api` are the only ones touching it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dnssync.errors import ConfigError
from dnssync.sources.kube import kubeconfig as kubeconfig_file
from dnssync.sources.kube.api import KubeApi

IN_CLUSTER_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
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
    import kubernetes.client
    import kubernetes.config
    from kubernetes.config.config_exception import ConfigException

    configuration: Any = kubernetes.client.Configuration()
    try:
        if settings.kubeconfig or settings.context:
            _load_kubeconfig(configuration, settings.kubeconfig, settings.context)
        elif in_cluster():
            load_incluster: Any = kubernetes.config.load_incluster_config
            load_incluster(client_configuration=configuration)
        else:
            _load_kubeconfig(configuration, None, None)
    except ConfigException as exc:
        raise ConfigError(f"{describe_config_source(settings)}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{describe_config_source(settings)}: {exc.strerror or exc}") from None
    configuration.connection_pool_maxsize = settings.max_connections
    # TCP keepalive: a half-dead connection is noticed even between watch events.
    configuration.keep_alive = True
    # No retries inside urllib3 (they log a warning each): our own loops retry, with backoff.
    configuration.retries = False
    api_client = kubernetes.client.ApiClient(configuration)
    api_client.user_agent = settings.user_agent
    return KubeApi(
        api_client,
        connect_timeout=settings.connect_timeout,
        request_timeout=settings.request_timeout,
    )


def _default_kubeconfig() -> str:
    return os.environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG


def _load_kubeconfig(configuration: Any, path: str | None, context: str | None) -> None:
    import kubernetes.config

    config_file = path or _default_kubeconfig()
    # A ":"-separated KUBECONFIG is merged (as kubectl does); a single missing file is not.
    files = [os.path.expanduser(p) for p in config_file.split(os.pathsep) if p]
    if not any(os.path.exists(f) for f in files):
        raise ConfigError(f"kubeconfig {config_file} not found")
    # Read and checked here, so that no malformed file reaches the client's own loader
    # (tracebacks, messages quoting whole user entries).
    kubeconfig = kubeconfig_file.load(files, context, config_file)
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
