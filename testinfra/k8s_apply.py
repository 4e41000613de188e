"""Apply manifests, status included, to a loopback test cluster: ``kubectl`` not needed.

``python -m testinfra.k8s apply FILE_OR_DIR...`` (kubeconfig from ``--kubeconfig`` or
``$KUBECONFIG``) server-side applies every object of the YAML files, creating its
namespace first, then writes each object's ``status`` (a LoadBalancer's
``status.loadBalancer.ingress``, a Gateway's ``status.addresses``, a route's
``status.parents``) through the ``/status`` subresource, as a cloud controller would.
The kubeconfig must name a loopback server with a bearer token (what
``python -m testinfra.k8s up`` writes).
"""

from __future__ import annotations

import base64
import contextlib
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FIELD_MANAGER = "dnssync-testinfra"
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


class ApplyError(RuntimeError):
    """A manifest could not be read or applied (the message names the file and object)."""


@dataclass(frozen=True, slots=True)
class _Resource:
    path: str  # /api/v1 or /apis/<group>/<version>
    plural: str
    namespaced: bool


class KubeconfigClient:
    """HTTPS with the current context's server, CA and bearer token."""

    def __init__(self, kubeconfig: Path) -> None:
        try:
            config = yaml.safe_load(kubeconfig.read_text())
            context_name = config["current-context"]
            context = next(c for c in config["contexts"] if c["name"] == context_name)["context"]
            cluster = next(c for c in config["clusters"] if c["name"] == context["cluster"])
            user = next(u for u in config["users"] if u["name"] == context["user"])["user"]
            self.server = str(cluster["cluster"]["server"]).rstrip("/")
            ca = base64.b64decode(cluster["cluster"]["certificate-authority-data"])
            self._token = str(user["token"])
        except (OSError, yaml.YAMLError, KeyError, StopIteration, TypeError, ValueError) as exc:
            raise ApplyError(
                f"{kubeconfig}: not a kubeconfig with a server, CA data and a token ({exc!r})"
            ) from None
        host = urllib.parse.urlsplit(self.server).hostname or ""
        if host not in _LOOPBACK_HOSTS and not host.startswith("127."):
            raise ApplyError(f"{kubeconfig}: server {self.server} is not on loopback")
        self._ssl = ssl.create_default_context(cadata=ca.decode())
        self._ssl.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
        self._resources: dict[tuple[str, str], _Resource] = {}

    def request(self, method: str, path: str, body: Any = None, content_type: str = "") -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self._token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type or "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30, context=self._ssl) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", errors="replace")
            with contextlib.suppress(ValueError):
                detail = json.loads(detail).get("message", detail)
            raise ApplyError(f"{method} {path}: HTTP {exc.code}: {detail}") from None
        return json.loads(raw) if raw else None

    def resource(self, api_version: str, kind: str) -> _Resource:
        """Where objects of ``kind`` live (from API discovery, cached)."""
        key = (api_version, kind)
        if key not in self._resources:
            path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            try:
                found = self.request("GET", path)["resources"]
            except ApplyError as exc:
                raise ApplyError(f"apiVersion {api_version} is not served: {exc}") from None
            for item in found:
                if "/" not in item["name"]:
                    self._resources[(api_version, item["kind"])] = _Resource(
                        path, item["name"], bool(item["namespaced"])
                    )
            if key not in self._resources:
                raise ApplyError(f"kind {kind} is not served under {api_version}")
        return self._resources[key]


def _documents(paths: Iterable[Path]) -> Iterator[tuple[Path, dict[str, Any]]]:
    for given in paths:
        files = sorted(given.rglob("*.y*ml")) if given.is_dir() else [given]
        for file in files:
            try:
                docs = list(yaml.safe_load_all(file.read_text()))
            except (OSError, yaml.YAMLError) as exc:
                raise ApplyError(f"{file}: {exc}") from None
            for doc in docs:
                if doc is None:
                    continue
                if (
                    not isinstance(doc, dict)
                    or not {"apiVersion", "kind", "metadata"} <= doc.keys()
                ):
                    raise ApplyError(f"{file}: a document without apiVersion, kind and metadata")
                yield file, doc


def apply_manifests(kubeconfig: Path, paths: Iterable[Path]) -> list[str]:
    """Apply every object of ``paths`` (files or directories), then its status.
    Returns one line per object, e.g. ``service/krb/kdc-tcp (status set)``."""
    client = KubeconfigClient(kubeconfig)
    done: list[str] = []
    namespaces: set[str] = set()
    for file, doc in _documents(paths):
        kind, meta = str(doc["kind"]), doc["metadata"]
        name = meta.get("name")
        where = f"{file}: {kind} {name}"
        try:
            resource = client.resource(str(doc["apiVersion"]), kind)
            base, shown = resource.path, f"{kind.lower()}/{name}"
            if resource.namespaced:
                namespace = meta.get("namespace") or "default"
                if namespace not in namespaces:
                    _ensure_namespace(client, namespace)
                    namespaces.add(namespace)
                base += f"/namespaces/{namespace}"
                shown = f"{kind.lower()}/{namespace}/{name}"
            url = f"{base}/{resource.plural}/{urllib.parse.quote(str(name))}"
            body = {k: v for k, v in doc.items() if k != "status"}
            params = urllib.parse.urlencode({"fieldManager": FIELD_MANAGER, "force": "true"})
            client.request("PATCH", f"{url}?{params}", body, "application/apply-patch+yaml")
            line = shown
            if doc.get("status"):
                client.request(
                    "PATCH",
                    f"{url}/status",
                    {"status": doc["status"]},
                    "application/merge-patch+json",
                )
                line += " (status set)"
        except ApplyError as exc:
            raise ApplyError(f"{where}: {exc}") from None
        done.append(line)
    return done


def _ensure_namespace(client: KubeconfigClient, name: str) -> None:
    try:
        client.request(
            "POST",
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        )
    except ApplyError as exc:
        if "HTTP 409" not in str(exc):
            raise


__all__ = ["ApplyError", "KubeconfigClient", "apply_manifests"]
