"""Read kubeconfig files as kubectl does, before the official client sees them.

The client's own loader turns a malformed file into a traceback (a ``TypeError`` deep in its
merger) or into a message that quotes a whole user entry, token included. Here every file is
read with the bounded YAML loader, merged as client-go merges a ``KUBECONFIG`` list (the
first file to define a name or a current-context wins), and the entries the chosen context
uses are checked field by field: every error is one line naming the file and the field, and
never holds a secret (token, password, key, or the user info of a server URL).

Only the chosen context, its cluster and its user are handed on, with relative file paths
made absolute (relative to the file that named them, as kubectl does).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import ssl
import stat
import tempfile
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dnssync.errors import ConfigError
from dnssync.sources.yaml_input import Limits, YamlInputError, describe_os_error, load_single

# A kubeconfig with every certificate inline is a few hundred KiB at most.
KUBECONFIG_LIMITS = Limits(file_bytes=4 * 1024 * 1024, document_bytes=4 * 1024 * 1024)
_PEM_LIMIT = 1024 * 1024
SECTIONS = (("clusters", "cluster"), ("contexts", "context"), ("users", "user"))
_FILE_FIELDS = ("certificate-authority", "client-certificate", "client-key", "tokenFile")


@dataclass(frozen=True, slots=True)
class Kubeconfig:
    """The chosen context, ready for the client, and the values no message may show."""

    config: dict[str, Any]
    context: str
    secrets: frozenset[str] = field(default_factory=frozenset)
    shown: str = ""  # how messages name the configuration (the flag's value)

    @property
    def user(self) -> str | None:
        users = self.config.get("users") or []
        return str(users[0]["name"]) if users else None

    @property
    def exec_command(self) -> str | None:
        """The credential plugin of the user, if it has one."""
        users = self.config.get("users") or []
        plugin = users[0]["user"].get("exec") if users else None
        return str(plugin["command"]) if isinstance(plugin, dict) else None

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "(secret)")
        return text


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    body: dict[str, Any]
    origin: Path  # the file that defined it
    where: str  # e.g. "users[name=admin].user"


def load(files: Iterable[str], context: str | None, shown: str) -> Kubeconfig:
    """The merged kubeconfig ``files`` (existing ones, in order) for ``context`` (or the
    current-context). ``shown`` names the configuration in messages (the flag's value).
    Raises ConfigError."""
    entries: dict[str, dict[str, _Entry]] = {section: {} for section, _ in SECTIONS}
    current: tuple[str, Path] | None = None
    read_any = False
    for name in files:
        path = Path(name)
        data = _read(path)
        if data is None:
            continue
        read_any = True
        for section, item in SECTIONS:
            for entry in _section(path, data, section, item):
                entries[section].setdefault(entry.name, entry)
        value = data.get("current-context")
        if value not in (None, "") and current is None:
            if not isinstance(value, str):
                raise _error(path, "current-context", "is not a string")
            current = (value, path)
    if not read_any:
        raise ConfigError(f"kubeconfig {shown}: holds no configuration")
    chosen = context or (current[0] if current else None)
    contexts = entries["contexts"]
    known = ", ".join(sorted(contexts)) or "none"
    if not chosen:
        raise ConfigError(
            f"kubeconfig {shown}: no current-context is set; pass --context (contexts: {known})"
        )
    if chosen not in contexts:
        where = "--context" if context else f"current-context of {current[1] if current else shown}"
        raise ConfigError(
            f"kubeconfig {shown}: context {chosen!r} ({where}) not found (contexts: {known})"
        )
    ctx = contexts[chosen]
    cluster_name = _string(ctx, "cluster", required=True)
    user_name = _string(ctx, "user")
    _string(ctx, "namespace")
    assert cluster_name is not None
    cluster = entries["clusters"].get(cluster_name)
    if cluster is None:
        raise _error(ctx.origin, f"{ctx.where}.cluster", f"cluster {cluster_name!r} not found")
    user = entries["users"].get(user_name) if user_name else None
    if user_name and user is None:
        raise _error(ctx.origin, f"{ctx.where}.user", f"user {user_name!r} not found")
    secrets = _secrets(user, cluster)
    try:
        cluster_body = _check_cluster(cluster)
        user_body = _check_user(user) if user is not None else None
    except ConfigError as exc:
        raise ConfigError(_redact(str(exc), secrets)) from None
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": chosen,
        "clusters": [{"name": cluster.name, "cluster": cluster_body}],
        "contexts": [{"name": chosen, "context": dict(ctx.body)}],
        "users": [{"name": user.name, "user": user_body}] if user is not None else [],
    }
    return Kubeconfig(config, chosen, secrets, shown)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = load_single(path, KUBECONFIG_LIMITS)
    except FileNotFoundError:
        return None  # a missing file in a KUBECONFIG list is skipped, as kubectl does
    except OSError as exc:
        raise ConfigError(f"kubeconfig {path}: cannot be read: {describe_os_error(exc)}") from None
    except YamlInputError as exc:
        raise ConfigError(f"kubeconfig {path}: {exc}") from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ConfigError(f"kubeconfig {path}: expected a Config (a mapping), got {_kind(data)}")
    return data


def _section(path: Path, data: Mapping[str, Any], section: str, item: str) -> list[_Entry]:
    raw = data.get(section)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _error(path, section, f"expected a list, got {_kind(raw)}")
    found = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise _error(path, f"{section}[{index}]", f"expected a mapping, got {_kind(entry)}")
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise _error(path, f"{section}[{index}].name", "missing or not a string")
        where = f"{section}[name={name}].{item}"
        body = entry.get(item)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise _error(path, where, f"expected a mapping, got {_kind(body)}")
        found.append(_Entry(name, body, path, where))
    return found


def _check_cluster(cluster: _Entry) -> dict[str, Any]:
    body = dict(cluster.body)
    server = _string(cluster, "server", required=True)
    assert server is not None
    _check_server(cluster, server)
    for key in ("tls-server-name", "proxy-url", "certificate-authority"):
        _string(cluster, key)
    skip = body.get("insecure-skip-tls-verify")
    if skip is not None and not isinstance(skip, bool):
        raise _error(
            cluster.origin, f"{cluster.where}.insecure-skip-tls-verify", "is not a boolean"
        )
    scheme = urllib.parse.urlsplit(server).scheme.lower()
    # Stored with a lower-case scheme: every later "is this TLS?" check reads the same.
    body["server"] = scheme + server[len(scheme) :]
    has_ca = body.get("certificate-authority-data") or body.get("certificate-authority")
    if skip and has_ca:
        raise _error(
            cluster.origin,
            f"{cluster.where}.insecure-skip-tls-verify",
            "cannot be set together with a certificate authority (as kubectl refuses it)",
        )
    if scheme == "https":
        pem = _pem(cluster, "certificate-authority-data", "certificate-authority")
        if pem is not None:
            _check_ca(cluster, pem)
    _absolute_paths(cluster, body)
    return body


def _check_server(cluster: _Entry, server: str) -> None:
    where = f"{cluster.where}.server"
    try:
        url = urllib.parse.urlsplit(server)
        url.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise _error(cluster.origin, where, "is not a valid URL") from None
    if "@" in url.netloc:
        raise _error(
            cluster.origin,
            where,
            "holds a user name or password (user:password@host); put credentials in the "
            "users entry instead",
        )
    if url.scheme.lower() not in ("https", "http") or not url.hostname:
        raise _error(cluster.origin, where, "is not an http(s)://host[:port] URL")
    if url.query or url.fragment or server.endswith(("?", "#")):
        # Every request path is appended to the server: a query or fragment would swallow it.
        raise _error(cluster.origin, where, "holds a query (?...) or fragment (#...)")


def _check_user(user: _Entry) -> dict[str, Any]:
    body = dict(user.body)
    for key in ("token", "tokenFile", "username", "password", "client-certificate", "client-key"):
        _string(user, key)
    for key in ("exec", "auth-provider"):
        if body.get(key) is not None and not isinstance(body[key], dict):
            raise _error(
                user.origin, f"{user.where}.{key}", f"expected a mapping, got {_kind(body[key])}"
            )
    if isinstance(body.get("exec"), dict):
        command = body["exec"].get("command")
        if not isinstance(command, str) or not command:
            raise _error(user.origin, f"{user.where}.exec.command", "missing or not a string")
    token_file = body.get("tokenFile")
    if token_file and not body.get("token"):
        _readable(user, "tokenFile", _resolve(user, token_file))
    cert = _pem(user, "client-certificate-data", "client-certificate")
    client_key = _pem(user, "client-key-data", "client-key")
    if (cert is None) != (client_key is None):
        missing = "client-key" if client_key is None else "client-certificate"
        raise _error(user.origin, f"{user.where}.{missing}(-data)", "missing (needed in a pair)")
    if cert is not None and client_key is not None:
        _check_pair(user, cert, client_key)
    _absolute_paths(user, body)
    return body


def _pem(entry: _Entry, data_key: str, file_key: str) -> bytes | None:
    """The PEM text of a ``*-data`` field (base64) or else of its file, or None."""
    data = _string(entry, data_key)
    if data:
        try:
            return base64.b64decode(re.sub(r"\s+", "", data), validate=True)
        except (binascii.Error, ValueError):
            raise _error(entry.origin, f"{entry.where}.{data_key}", "is not valid base64") from None
    path = _string(entry, file_key)
    if path:
        return _readable(entry, file_key, _resolve(entry, path))
    return None


def _readable(entry: _Entry, key: str, path: Path) -> bytes:
    where = f"{entry.where}.{key}"
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise _error(entry.origin, where, f"{path} is not a regular file")
        if info.st_size > _PEM_LIMIT:
            raise _error(entry.origin, where, f"{path} is larger than {_PEM_LIMIT} bytes")
        with open(path, "rb") as handle:
            return handle.read(_PEM_LIMIT)
    except OSError as exc:
        raise _error(entry.origin, where, f"{path}: {describe_os_error(exc)}") from None


def _check_ca(cluster: _Entry, pem: bytes) -> None:
    key = (
        "certificate-authority-data"
        if cluster.body.get("certificate-authority-data")
        else ("certificate-authority")
    )
    try:
        text = pem.decode("ascii")
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=text)
    except (UnicodeDecodeError, ssl.SSLError, ValueError):
        raise _error(cluster.origin, f"{cluster.where}.{key}", "is not a PEM certificate") from None


def _check_pair(user: _Entry, cert: bytes, key: bytes) -> None:
    """Load the client certificate and key as the TLS layer will (from private temporary
    files), so a bad pair is reported now, naming the fields, not at the first request."""
    with tempfile.TemporaryDirectory(prefix="dnssync-kubeconfig-") as tmp:
        cert_file, key_file = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
        for path, content in ((cert_file, cert), (key_file, key)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
        try:
            # An empty password: an encrypted key fails instead of prompting on a terminal.
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(cert_file, key_file, b"")
        except (ssl.SSLError, ValueError, OSError):
            raise _error(
                user.origin,
                f"{user.where}.client-certificate/client-key",
                "are not a matching PEM certificate and unencrypted key",
            ) from None


def _absolute_paths(entry: _Entry, body: dict[str, Any]) -> None:
    for key in _FILE_FIELDS:
        value = body.get(key)
        if isinstance(value, str) and value:
            body[key] = str(_resolve(entry, value))
    command = body.get("exec", {}).get("command") if isinstance(body.get("exec"), dict) else None
    if isinstance(command, str) and os.sep in command and not os.path.isabs(command):
        body["exec"] = {**body["exec"], "command": str(_resolve(entry, command))}


def _resolve(entry: _Entry, value: str) -> Path:
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else entry.origin.resolve().parent / path


def _string(entry: _Entry, key: str, *, required: bool = False) -> str | None:
    value = entry.body.get(key)
    if value is None or value == "":
        if required:
            raise _error(entry.origin, f"{entry.where}.{key}", "missing")
        return None
    if not isinstance(value, str):
        raise _error(entry.origin, f"{entry.where}.{key}", f"expected a string, got {_kind(value)}")
    if _CONTROL.search(value):
        # A line break in a token would break the HTTP header (and the error would quote
        # it); a NUL in a name breaks TLS. The value is never shown.
        raise _error(entry.origin, f"{entry.where}.{key}", "holds a control character")
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _secrets(user: _Entry | None, cluster: _Entry) -> frozenset[str]:
    """The values no message may show: credentials of the user entry, and the user info
    of a server URL."""
    found: set[str] = set()

    def add(value: Any) -> None:
        if isinstance(value, str) and len(value) >= 4:
            found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                add(item)
        elif isinstance(value, list):
            for item in value:
                add(item)

    if user is not None:
        for key in ("token", "password", "client-key-data", "client-certificate-data"):
            add(user.body.get(key))
        for key, sub in (("auth-provider", "config"), ("exec", "env"), ("exec", "args")):
            block = user.body.get(key)
            if isinstance(block, dict):
                add(block.get(sub))
    server = cluster.body.get("server")
    if isinstance(server, str) and "@" in server:
        userinfo = server.split("//", 1)[-1].rsplit("@", 1)[0]
        found.update(part for part in (userinfo, *userinfo.split(":")) if part)
    return frozenset(found)


def _redact(text: str, secrets: frozenset[str]) -> str:
    return Kubeconfig({}, "", secrets).redact(text)


def _error(path: Path, where: str, problem: str) -> ConfigError:
    return ConfigError(f"kubeconfig {path}: {where}: {problem}")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"
