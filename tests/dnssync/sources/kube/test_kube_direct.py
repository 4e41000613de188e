"""The connection built without the official client, against a loopback TLS server that
demands a client certificate: the CA, the client certificate, tls-server-name and
insecure-skip-tls-verify of a kubeconfig do what kubectl does with them."""

from __future__ import annotations

import base64
import http.server
import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from dnssync.errors import ConfigError
from dnssync.sources.kube.client import ClientSettings, connect
from dnssync.sources.kube.errors import KubeTransportError


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path

    def data(self) -> dict[str, str]:
        return {
            "client-certificate-data": base64.b64encode(self.cert.read_bytes()).decode(),
            "client-key-data": base64.b64encode(self.key.read_bytes()).decode(),
        }


def make_pair(folder: Path, name: str, san: str) -> Pair:
    request = "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
    files = ["-keyout", f"{name}.key", "-out", f"{name}.crt"]
    subprocess.run(
        [
            "openssl",
            *request.split(),
            *files,
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName={san}",
        ],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    return Pair(folder / f"{name}.crt", folder / f"{name}.key")


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        peer: Any = self.connection.getpeercert()  # type: ignore[attr-defined]
        subject = dict(part[0] for part in peer["subject"])
        body = json.dumps(
            {"client": subject["commonName"], "authorization": self.headers["Authorization"]}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@dataclass(frozen=True)
class Server:
    url: str
    cert: Pair
    client: Pair


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("tls")
    cert = make_pair(folder, "apiserver", "DNS:apiserver.internal")
    client = make_pair(folder, "dnssync-client", "DNS:client")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(client.cert))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(cert.cert, cert.key)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"https://127.0.0.1:{httpd.server_address[1]}", cert, client)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def request(tmp_path: Path, cluster: dict[str, Any], user: dict[str, Any]) -> Any:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "c",
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    api = connect(ClientSettings(str(path), connect_timeout=5, request_timeout=5))
    try:
        return api.request("GET", "/api")
    finally:
        api.close()


def test_client_certificate_and_tls_server_name(server: Server, tmp_path: Path) -> None:
    ca = base64.b64encode(server.cert.cert.read_bytes()).decode()
    cluster = {
        "server": server.url,
        "certificate-authority-data": ca,
        "tls-server-name": "apiserver.internal",
    }
    answer = request(tmp_path, cluster, server.client.data())
    assert answer == {"client": "dnssync-client", "authorization": None}
    # The certificate names apiserver.internal, not 127.0.0.1: without tls-server-name the
    # server is not trusted, as with kubectl.
    del cluster["tls-server-name"]
    with pytest.raises(KubeTransportError, match=r"(?i)certificate|hostname"):
        request(tmp_path, cluster, server.client.data())


def test_insecure_skip_tls_verify_still_presents_the_certificate(
    server: Server, tmp_path: Path
) -> None:
    cluster = {"server": server.url, "insecure-skip-tls-verify": True}
    answer = request(tmp_path, cluster, {**server.client.data(), "token": "abc-token"})
    assert answer == {"client": "dnssync-client", "authorization": "Bearer abc-token"}


def test_without_the_client_certificate_the_server_refuses(server: Server, tmp_path: Path) -> None:
    cluster = {"server": server.url, "insecure-skip-tls-verify": True}
    with pytest.raises(KubeTransportError):
        request(tmp_path, cluster, {"token": "abc-token"})


def test_a_certificate_of_another_key_is_a_config_error(server: Server, tmp_path: Path) -> None:
    other = make_pair(tmp_path, "other", "DNS:other")
    user = {**server.client.data()}
    user["client-key-data"] = base64.b64encode(other.key.read_bytes()).decode()
    with pytest.raises(ConfigError, match="client-key"):
        request(tmp_path, {"server": server.url, "insecure-skip-tls-verify": True}, user)
