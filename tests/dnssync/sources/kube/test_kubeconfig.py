"""Malformed kubeconfig files: one clear line naming the file and field, never a traceback,
never a secret (tokens, passwords, keys, the user info of a server URL)."""

from __future__ import annotations

import base64
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from dnssync.cli.main import main
from dnssync.errors import ConfigError
from dnssync.sources.kube import client as kube_client
from dnssync.sources.kube.client import ClientSettings, connect
from tests.dnssync.sources.hostile_fs import run_dnssync

TOKEN = "tok-3f9a7c1e-not-for-eyes"
PASSWORD = "hunter2-pass-word"


@dataclass(frozen=True)
class Pki:
    cert: bytes
    key: bytes
    other_key: bytes

    @property
    def cert_b64(self) -> str:
        return base64.b64encode(self.cert).decode()

    @property
    def key_b64(self) -> str:
        return base64.b64encode(self.key).decode()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A real self-signed certificate and key (and an unrelated key), made by openssl."""
    work = tmp_path_factory.mktemp("pki")
    for name in ("a", "b"):
        request = "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
        files = ["-keyout", f"{name}.key", "-out", f"{name}.crt"]
        subprocess.run(
            ["openssl", *request.split(), *files, "-subj", f"/CN=dnssync-test-{name}"],
            cwd=work,
            check=True,
            capture_output=True,
        )
    return Pki(
        (work / "a.crt").read_bytes(), (work / "a.key").read_bytes(), (work / "b.key").read_bytes()
    )


@pytest.fixture(autouse=True)
def no_pod(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(kube_client, "IN_CLUSTER_TOKEN", tmp_path / "no-token")


def kubeconfig(
    pki: Pki,
    cluster: str = "",
    user: str = "",
    contexts: str = "- {name: one, context: {cluster: one, user: u}}",
    current: str = "one",
) -> str:
    cluster = (
        cluster or f"server: https://one.example:6443\ncertificate-authority-data: {pki.cert_b64}"
    )
    user = user or f"token: {TOKEN}"
    return (
        "apiVersion: v1\nkind: Config\n"
        f"current-context: {current}\n"
        "clusters:\n- name: one\n  cluster:\n" + textwrap.indent(cluster, "    ") + "\n"
        "users:\n- name: u\n  user:\n" + textwrap.indent(user, "    ") + "\n"
        f"contexts:\n{contexts}\n"
    )


def error_of(path: Path, context: str | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        connect(ClientSettings(str(path), context)).close()
    return str(caught.value)


def write(tmp_path: Path, text: str, name: str = "config") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_good_kubeconfig_with_every_kind_of_tls_data(tmp_path: Path, pki: Pki) -> None:
    (tmp_path / "ca.crt").write_bytes(pki.cert)
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "client.crt").write_bytes(pki.cert)
    (tmp_path / "keys" / "client.key").write_bytes(pki.key)
    path = write(
        tmp_path,
        kubeconfig(
            pki,
            cluster="server: https://one.example:6443\ncertificate-authority: ca.crt",
            user="client-certificate: keys/client.crt\nclient-key: keys/client.key",
        ),
    )
    # Relative paths are relative to the kubeconfig's folder, not the working directory.
    api = connect(ClientSettings(str(path)))
    try:
        assert api.host == "https://one.example:6443"
        config = api._client._config  # type: ignore[attr-defined]
        assert config.ca_pem == pki.cert
        assert (config.cert_pem, config.key_pem) == (pki.cert, pki.key)
    finally:
        api.close()
    path = write(
        tmp_path,
        kubeconfig(
            pki,
            user=f"client-certificate-data: {pki.cert_b64}\nclient-key-data: {pki.key_b64}",
        ),
    )
    connect(ClientSettings(str(path))).close()


CASES: list[tuple[str, str, str]] = [
    # (id, kubeconfig text or a marker, expected message after "kubeconfig PATH: ")
    ("bad-yaml", "clusters: [\n", "line 2: while parsing a flow node did not find expected"),
    ("duplicate-key", "current-context: a\ncurrent-context: b\n", "line 2: duplicate key"),
    ("not-a-mapping", "- a\n- b\n", "expected a Config (a mapping), got a list"),
    ("two-documents", "a: 1\n---\nb: 2\n", "holds 2 YAML documents, expected one"),
    ("clusters-not-a-list", "clusters: {one: {}}\n", "clusters: expected a list, got a mapping"),
    ("entry-not-a-mapping", "users: [u]\n", "users[0]: expected a mapping, got a string"),
    ("entry-without-name", "contexts: [{context: {}}]\n", "contexts[0].name: missing"),
    (
        "body-not-a-mapping",
        "clusters: [{name: one, cluster: [server]}]\n",
        "clusters[name=one].cluster: expected a mapping, got a list",
    ),
    ("current-context-number", "current-context: 7\n", "current-context: is not a string"),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_structural_errors_name_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    assert error_of(path).startswith(f"kubeconfig {path}: {message}")


def field_case(pki: Pki, name: str) -> tuple[str, str]:
    """(kubeconfig, expected message after the path) for each malformed field."""
    server = "server: https://one.example:6443"
    ca = f"certificate-authority-data: {pki.cert_b64}"
    return {
        "no-current-context": (
            kubeconfig(pki, current='""'),
            "no current-context is set; pass --context (contexts: one)",
        ),
        "missing-context": (
            kubeconfig(pki, current="two"),
            "context 'two' (current-context of {path}) not found (contexts: one)",
        ),
        "context-without-cluster": (
            kubeconfig(pki, contexts="- {name: one, context: {user: u}}"),
            "contexts[name=one].context.cluster: missing",
        ),
        "unknown-cluster": (
            kubeconfig(pki, contexts="- {name: one, context: {cluster: nope, user: u}}"),
            "contexts[name=one].context.cluster: cluster 'nope' not found",
        ),
        "unknown-user": (
            kubeconfig(pki, contexts="- {name: one, context: {cluster: one, user: nobody}}"),
            "contexts[name=one].context.user: user 'nobody' not found",
        ),
        "no-server": (kubeconfig(pki, cluster=ca), "clusters[name=one].cluster.server: missing"),
        "server-not-a-string": (
            kubeconfig(pki, cluster="server: [https://x]"),
            "clusters[name=one].cluster.server: expected a string, got a list",
        ),
        "server-userinfo": (
            kubeconfig(pki, cluster=f"server: https://admin:{PASSWORD}@one.example\n{ca}"),
            "clusters[name=one].cluster.server: holds a user name or password "
            "(user:password@host); put credentials in the users entry instead",
        ),
        "server-token-userinfo": (
            kubeconfig(pki, cluster=f"server: https://{TOKEN}@one.example\n{ca}"),
            "clusters[name=one].cluster.server: holds a user name or password",
        ),
        "server-bad-port": (
            kubeconfig(pki, cluster="server: https://one.example:99999"),
            "clusters[name=one].cluster.server: is not a valid URL",
        ),
        "server-not-http": (
            kubeconfig(pki, cluster="server: ftp://one.example"),
            "clusters[name=one].cluster.server: is not an http(s)://host[:port] URL",
        ),
        "server-query": (
            kubeconfig(pki, cluster="server: https://one.example:6443/?x=1"),
            "clusters[name=one].cluster.server: holds a query (?...) or fragment (#...)",
        ),
        "server-fragment": (
            kubeconfig(pki, cluster="server: https://one.example:6443#top"),
            "clusters[name=one].cluster.server: holds a query (?...) or fragment (#...)",
        ),
        "skip-verify-with-ca": (
            kubeconfig(pki, cluster=f"{server}\ninsecure-skip-tls-verify: true\n{ca}"),
            "clusters[name=one].cluster.insecure-skip-tls-verify: cannot be set together "
            "with a certificate authority (as kubectl refuses it)",
        ),
        "token-with-a-line-break": (
            kubeconfig(pki, user=f'token: "{TOKEN}\\nX-Other: 1"'),
            "users[name=u].user.token: holds a control character",
        ),
        "skip-verify-not-bool": (
            kubeconfig(pki, cluster=f"{server}\ninsecure-skip-tls-verify: 'maybe'"),
            "clusters[name=one].cluster.insecure-skip-tls-verify: is not a boolean",
        ),
        "ca-bad-base64": (
            kubeconfig(pki, cluster=f"{server}\ncertificate-authority-data: 'not*base64'"),
            "clusters[name=one].cluster.certificate-authority-data: is not valid base64",
        ),
        "ca-not-pem": (
            kubeconfig(
                pki,
                cluster=f"{server}\ncertificate-authority-data: "
                + base64.b64encode(b"-----BEGIN CERTIFICATE-----\nxx\n").decode(),
            ),
            "clusters[name=one].cluster.certificate-authority-data: is not a PEM certificate",
        ),
        "ca-file-missing": (
            kubeconfig(pki, cluster=f"{server}\ncertificate-authority: missing/ca.crt"),
            "clusters[name=one].cluster.certificate-authority: {dir}/missing/ca.crt: "
            "does not exist",
        ),
        "ca-file-is-a-folder": (
            kubeconfig(pki, cluster=f"{server}\ncertificate-authority: ."),
            "clusters[name=one].cluster.certificate-authority: {dir} is not a regular file",
        ),
        "token-not-a-string": (
            kubeconfig(pki, user="token: 12345"),
            "users[name=u].user.token: expected a string, got a number",
        ),
        "token-file-missing": (
            kubeconfig(pki, user="tokenFile: nope"),
            "users[name=u].user.tokenFile: {dir}/nope: does not exist",
        ),
        "key-without-cert": (
            kubeconfig(pki, user=f"client-key-data: {pki.key_b64}"),
            "users[name=u].user.client-certificate(-data): missing (needed in a pair)",
        ),
        "key-bad-base64": (
            kubeconfig(
                pki, user=f"client-certificate-data: {pki.cert_b64}\nclient-key-data: '{TOKEN}!'"
            ),
            "users[name=u].user.client-key-data: is not valid base64",
        ),
        "key-does-not-match": (
            kubeconfig(
                pki,
                user=f"client-certificate-data: {pki.cert_b64}\nclient-key-data: "
                + base64.b64encode(pki.other_key).decode(),
            ),
            "users[name=u].user.client-certificate/client-key: are not a matching PEM "
            "certificate and unencrypted key",
        ),
        "exec-without-command": (
            kubeconfig(pki, user=f"exec: {{args: [--token, {TOKEN}]}}"),
            "users[name=u].user.exec.command: missing or not a string",
        ),
    }[name]


FIELD_CASES = [
    "no-current-context",
    "missing-context",
    "context-without-cluster",
    "unknown-cluster",
    "unknown-user",
    "no-server",
    "server-not-a-string",
    "server-userinfo",
    "server-token-userinfo",
    "server-bad-port",
    "server-not-http",
    "server-query",
    "server-fragment",
    "skip-verify-with-ca",
    "token-with-a-line-break",
    "skip-verify-not-bool",
    "ca-bad-base64",
    "ca-not-pem",
    "ca-file-missing",
    "ca-file-is-a-folder",
    "token-not-a-string",
    "token-file-missing",
    "key-without-cert",
    "key-bad-base64",
    "key-does-not-match",
    "exec-without-command",
]


@pytest.mark.parametrize("case", FIELD_CASES)
def test_field_errors_name_file_and_field_without_secrets(
    tmp_path: Path, pki: Pki, case: str
) -> None:
    text, message = field_case(pki, case)
    path = write(tmp_path, text)
    message = message.format(path=path, dir=tmp_path)
    error = error_of(path)
    assert error == f"kubeconfig {path}: {message}" or error.startswith(
        f"kubeconfig {path}: {message}"
    )
    assert "\n" not in error
    for secret in (TOKEN, PASSWORD, pki.key_b64[:40], "admin:"):
        assert secret not in error


def test_context_flag_errors(tmp_path: Path, pki: Pki) -> None:
    path = write(tmp_path, kubeconfig(pki))
    assert error_of(path, "three") == (
        f"kubeconfig {path}: context 'three' (--context) not found (contexts: one)"
    )


def test_kubeconfig_list_merges_as_kubectl_does(
    tmp_path: Path, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write(tmp_path, kubeconfig(pki), "first")
    second = write(
        tmp_path,
        kubeconfig(pki, cluster="server: https://two.example:6443\ninsecure-skip-tls-verify: true")
        .replace("current-context: one", "current-context: other")
        .replace("- {name: one, context", "- {name: other, context"),
        "second",
    )
    # The first file to set current-context or define a name wins; missing files are skipped.
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path}/missing:{first}:{second}")
    api = connect(ClientSettings())
    try:
        assert api.host == "https://one.example:6443"
    finally:
        api.close()
    # `other` comes from the second file, and its cluster `one` from the first.
    api = connect(ClientSettings(context="other"))
    try:
        assert api.host == "https://one.example:6443"
    finally:
        api.close()
    # A malformed file in the list is named.
    write(tmp_path, "clusters: 7\n", "second")
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    with pytest.raises(ConfigError, match=f"kubeconfig {second}: clusters: expected a list"):
        connect(ClientSettings())


def test_failed_credential_plugin_is_an_error(tmp_path: Path, pki: Pki) -> None:
    path = write(
        tmp_path,
        kubeconfig(
            pki,
            user="exec:\n  apiVersion: client.authentication.k8s.io/v1\n"
            f"  command: ./no-such-helper\n  args: [--token, {TOKEN}]",
        ),
    )
    error = error_of(path)
    assert error == (
        f"kubeconfig {path} context one: the credential plugin '{tmp_path}/no-such-helper' "
        "(users[name=u].user.exec) gave no credentials"
    )


@pytest.mark.parametrize("case", ["bad-yaml", "server-userinfo", "key-does-not-match"])
def test_plan_with_a_malformed_kubeconfig_exits_1_with_one_line(
    tmp_path: Path, pki: Pki, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "clusters: [\n" if case == "bad-yaml" else field_case(pki, case)[0]
    path = write(tmp_path, text)
    argv = ["plan", "--kubeconfig", str(path), "--provider", "inmemory", "--zone", "example.com"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"error: kubeconfig {path}: " in err
    # The same through the real entry point: no traceback, no secret.
    result = run_dnssync(argv, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: kubeconfig {path}: ")
    for secret in (TOKEN, PASSWORD, pki.key_b64[:40]):
        assert secret not in result.stderr + result.stdout
