"""The connection to the apiserver for the common credentials, without the official client.

Importing the ``kubernetes`` package costs about half a second of CPU at every start (its
configuration loader imports google-auth, requests-oauthlib and pydantic, for auth
providers most clusters never use): a fifth of a first converge at 5,000 Services, and
tens of MB of memory for good. A service-account token in a pod, and kubeconfig users
with a token, a token file or a client certificate, need none of it: this module builds
the same urllib3 connection pool the client would (docs/daemon.md, "Start-up").
Credential plugins (``exec``), auth providers, basic auth, impersonation and proxies still
go through the official client (client.py).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import ssl
import stat
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection

from dnssync.errors import ConfigError

log = logging.getLogger(__name__)

# The keys of a kubeconfig user and cluster this module handles; any other one set (exec,
# auth-provider, username, as, proxy-url...) sends the configuration to the official client.
_USER_KEYS = frozenset(
    {
        "token",
        "tokenFile",
        "client-certificate",
        "client-certificate-data",
        "client-key",
        "client-key-data",
    }
)
_CLUSTER_KEYS = frozenset(
    {
        "server",
        "certificate-authority",
        "certificate-authority-data",
        "insecure-skip-tls-verify",
        "tls-server-name",
        "disable-compression",
        "extensions",
    }
)
# A token file (a projected service-account token) is re-read this often, as client-go
# does: the kubelet rotates it well before it expires.
TOKEN_FILE_REFRESH = 60.0


@dataclass(frozen=True, slots=True)
class DirectConfig:
    """Where the apiserver is and how to prove who we are, read and checked."""

    server: str
    ca_pem: bytes | None = None
    cert_pem: bytes | None = None
    key_pem: bytes | None = None
    token: str | None = None
    token_file: Path | None = None
    verify: bool = True
    server_name: str | None = None

    def __repr__(self) -> str:  # never the token or the key
        return f"DirectConfig(server={self.server!r})"


def from_kubeconfig(config: Mapping[str, Any]) -> DirectConfig | None:
    """The configuration of a checked, single-context kubeconfig (kubeconfig.load), or
    None when it needs the official client."""
    clusters = config.get("clusters") or []
    users = config.get("users") or []
    cluster: dict[str, Any] = clusters[0]["cluster"]
    user: dict[str, Any] = users[0]["user"] if users else {}
    if any(v not in (None, "", [], {}) for k, v in user.items() if k not in _USER_KEYS):
        return None
    if any(v not in (None, "", [], {}) for k, v in cluster.items() if k not in _CLUSTER_KEYS):
        return None
    token = user.get("token") or None
    token_file = user.get("tokenFile") or None
    return DirectConfig(
        server=str(cluster["server"]).rstrip("/"),
        ca_pem=_pem(cluster, "certificate-authority-data", "certificate-authority"),
        cert_pem=_pem(user, "client-certificate-data", "client-certificate"),
        key_pem=_pem(user, "client-key-data", "client-key"),
        # Both set: the file wins, read again as it changes, as in client-go.
        token=str(token) if token else None,
        token_file=Path(token_file) if token_file else None,
        verify=not cluster.get("insecure-skip-tls-verify"),
        server_name=cluster.get("tls-server-name") or None,
    )


def in_cluster(token_file: Path, ca_file: Path) -> DirectConfig:
    """A pod's service account: the apiserver from the environment, the mounted token
    (re-read as it rotates) and CA."""
    host = os.environ.get("KUBERNETES_SERVICE_HOST", "")
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "")
    if not host or not port:
        raise ConfigError(
            "in-cluster service account: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
            "must both be set"
        )
    host = host.strip("[]")
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    if not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"in-cluster service account: KUBERNETES_SERVICE_PORT={port!r} is not a port number"
        )
    try:
        ca = ca_file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"in-cluster service account: {ca_file}: {exc.strerror}") from None
    return DirectConfig(server=f"https://{host}:{port}", ca_pem=ca, token_file=token_file)


class DirectClient:
    """Requests to the apiserver over one urllib3 pool: TLS as configured, a bearer token
    or a client certificate, TCP keepalive, no retries (the callers retry with backoff)."""

    def __init__(self, config: DirectConfig, *, max_connections: int, user_agent: str) -> None:
        self.host = config.server
        self._config = config
        self._user_agent = user_agent
        self._token = _TokenSource(config)
        options: dict[str, Any] = {
            "maxsize": max_connections,
            "retries": False,
            "socket_options": [
                *HTTPConnection.default_socket_options,
                (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
            ],
        }
        if urllib.parse.urlsplit(config.server).scheme.lower() == "https":
            options["ssl_context"] = _ssl_context(config)
            if config.server_name:
                options["server_hostname"] = config.server_name
        self._pool = urllib3.PoolManager(num_pools=2, **options)

    def send(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        headers: dict[str, str],
        body: Any,
        timeout: tuple[float, float],
    ) -> urllib3.BaseHTTPResponse:
        url = self.host + path
        if query:
            url += "?" + urllib.parse.urlencode(list(query))
        headers = {**headers, "User-Agent": self._user_agent}
        token = self._token.current()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        return self._pool.request(
            method,
            url,
            body=data,
            headers=headers,
            timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
            preload_content=False,
            retries=False,
            redirect=False,
        )

    def close(self) -> None:
        self._pool.clear()


class _TokenSource:
    """The bearer token: fixed, or read from its file again every minute. A file that is
    empty, unreadable or not a regular file (a rotation in progress) keeps the last token;
    at start it is an error, never an anonymous request."""

    def __init__(self, config: DirectConfig) -> None:
        self._token = config.token
        self._file = config.token_file
        self._read_at = float("-inf")
        self._lock = threading.Lock()
        if self._file is not None:
            problem = self._read()
            if problem is not None and self._token is None:
                raise ConfigError(f"token file {self._file}: {problem}")

    def current(self) -> str | None:
        if self._file is not None and time.monotonic() - self._read_at >= TOKEN_FILE_REFRESH:
            with self._lock:
                problem = self._read()
            if problem is not None:
                log.warning(
                    "token file %s: %s; the last token is used until it can be read",
                    self._file,
                    problem,
                )
        return self._token

    def _read(self) -> str | None:
        """Read the file; what is wrong with it, or None."""
        assert self._file is not None
        self._read_at = time.monotonic()
        try:
            if not stat.S_ISREG(os.stat(self._file).st_mode):
                return "is not a regular file"
            text = self._file.read_text(errors="replace").strip()
        except OSError as exc:
            return exc.strerror or type(exc).__name__
        if not text:
            return "is empty"
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
            return "holds a control character"  # never shown: it is the token
        self._token = text
        return None


def _ssl_context(config: DirectConfig) -> ssl.SSLContext:
    try:
        context = ssl.create_default_context(
            cadata=config.ca_pem.decode("ascii", "replace") if config.ca_pem else None
        )
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigError(f"the certificate authority cannot be used: {exc}") from None
    if not config.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        # Said once here, not by urllib3 on every request of the process.
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        log.warning(
            "%s: insecure-skip-tls-verify is set: the apiserver's certificate is not checked",
            config.server,
        )
    if config.cert_pem is not None and config.key_pem is not None:
        _load_client_certificate(context, config.cert_pem, config.key_pem)
    return context


def _load_client_certificate(context: ssl.SSLContext, cert: bytes, key: bytes) -> None:
    """ssl loads a certificate chain from files only: they live in a private directory
    for the moment it takes, and are gone before anything else runs."""
    with tempfile.TemporaryDirectory(prefix="dnssync-tls-") as folder:
        cert_path, key_path = Path(folder, "client.crt"), Path(folder, "client.key")
        for path, data in ((cert_path, cert), (key_path, key)):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
        try:
            context.load_cert_chain(cert_path, key_path)
        except ssl.SSLError as exc:
            raise ConfigError(f"the client certificate cannot be used: {exc.reason}") from None


def _pem(section: Mapping[str, Any], data_key: str, file_key: str) -> bytes | None:
    data = section.get(data_key)
    if data:
        return base64.b64decode("".join(str(data).split()))
    path = section.get(file_key)
    if path:
        try:
            return Path(str(path)).read_bytes()
        except OSError as exc:
            raise ConfigError(f"{path}: {exc.strerror}") from None
    return None
