"""A real kube-apiserver + etcd on loopback, for integration tests.

The binaries are built from Go modules by ``tools/k8s/build.sh`` (versions pinned
in ``tools/k8s/go.mod``) and cached under
``${DNSSYNC_CACHE:-~/.cache/dnssync}/k8s/<k8s>-etcd<etcd>/bin``. If they are
missing, the harness runs the build on first use (about 10-20 min on 2 cores).
``DNSSYNC_K8S_BIN_DIR`` points at a directory with prebuilt ``kube-apiserver`` and
``etcd`` instead.

What you get: etcd and kube-apiserver on 127.0.0.1 (free ports, temp dir), RBAC,
a static admin token (group ``system:masters``), service-account token signing
(TokenRequest works), the Gateway API CRDs (v1.6.1 standard channel by default)
and a kubeconfig. No controller-manager, scheduler or kubelet: no GC, namespace
deletion never finishes, pods never run.

Library use::

    from testinfra.k8s import KubeCluster

    with KubeCluster() as cluster:
        api = kubernetes.client.CoreV1Api(cluster.api_client())
        ...
        cluster.restart_apiserver()         # same etcd, same port, same CA

    # forcing "410 Gone" on watches:
    with KubeCluster(watch_cache=False, etcd_compaction_interval=5.0) as cluster:
        ...
        cluster.compact_etcd()              # compacts to the current revision now

A cluster for a person (prints the kubeconfig path, runs until Ctrl-C)::

    python -m testinfra.k8s up [--no-watch-cache] [--compaction-interval 5]
                               [--crds DIR | --no-crds] [--workdir DIR]
    python -m testinfra.k8s build           # only build/locate the binaries
    python -m testinfra.k8s apply FILE_OR_DIR...   # objects + their status (no kubectl)

Environment:

* ``DNSSYNC_K8S_BIN_DIR``: use these binaries, never build.
* ``DNSSYNC_CACHE``: cache root for ``tools/k8s/build.sh``.
* ``DNSSYNC_GATEWAY_CRDS``: root holding ``<version>/<channel>/*.yaml`` Gateway API
  CRDs (default: the copies vendored in ``testinfra/crds/gateway-api``).
* ``DNSSYNC_K8S_KEEP_WORKDIR=1``: keep the temp dir (logs, etcd data) after stop.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import yaml

from testinfra.lifecycle import (
    LiveSet,
    Stoppable,
    die_with_parent,
    log_tail,
    start_failure,
    stop_process,
    wait_until,
)
from testinfra.lifecycle import free_tcp_ports as _free_ports  # tests import it from here

if TYPE_CHECKING:
    import kubernetes.client

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = REPO_ROOT / "tools" / "k8s" / "build.sh"
CRDS_ROOT = Path(__file__).resolve().parent / "crds"
GATEWAY_CRDS_ROOT = Path(os.environ.get("DNSSYNC_GATEWAY_CRDS") or CRDS_ROOT / "gateway-api")
GATEWAY_CRDS_STANDARD = GATEWAY_CRDS_ROOT / "v1.6.1" / "standard"
GATEWAY_CRDS_V141_EXPERIMENTAL = GATEWAY_CRDS_ROOT / "v1.4.1" / "experimental"
GATEWAY_CRDS_EXPERIMENTAL = GATEWAY_CRDS_ROOT / "v1.6.1" / "experimental"
TRAEFIK_CRDS = CRDS_ROOT / "traefik" / "v3.7"

SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/16"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
FIELD_MANAGER = "dnssync-testinfra"


class KubeClusterError(RuntimeError):
    """Startup, shutdown or build of the test cluster failed."""


class KubeApiError(RuntimeError):
    """An HTTP error answer from the apiserver (raised by :meth:`KubeCluster.request`)."""

    def __init__(self, status: int, reason: str, body: str) -> None:
        super().__init__(f"HTTP {status} {reason}: {body[:2000]}")
        self.status = status
        self.reason = reason
        self.body = body


# --------------------------------------------------------------------------- binaries


def ensure_binaries(*, build_timeout: float = 3600.0) -> Path:
    """Return the directory holding ``kube-apiserver`` and ``etcd``, building them if needed.

    Honours ``DNSSYNC_K8S_BIN_DIR``; otherwise runs ``tools/k8s/build.sh`` (which
    returns at once when the binaries are cached). Build output goes to stderr.
    """
    override = os.environ.get("DNSSYNC_K8S_BIN_DIR")
    if override:
        bin_dir = Path(override)
        _check_bin_dir(bin_dir)
        return bin_dir
    if not BUILD_SCRIPT.is_file():
        raise KubeClusterError(f"{BUILD_SCRIPT} not found")
    try:
        proc = subprocess.run(
            ["bash", str(BUILD_SCRIPT)],
            stdout=subprocess.PIPE,
            stderr=None,  # build progress goes straight to our stderr
            text=True,
            timeout=build_timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise KubeClusterError(f"{BUILD_SCRIPT} did not finish in {build_timeout:.0f}s") from exc
    if proc.returncode != 0:
        raise KubeClusterError(f"{BUILD_SCRIPT} failed with exit code {proc.returncode}")
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise KubeClusterError(f"{BUILD_SCRIPT} printed no bin dir")
    bin_dir = Path(lines[-1])
    _check_bin_dir(bin_dir)
    return bin_dir


def cached_bin_dir() -> Path:
    """Where ``tools/k8s/build.sh`` puts (or has put) the binaries for the pinned versions."""
    versions: dict[str, str] = {}
    for line in (BUILD_SCRIPT.parent / "go.mod").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("k8s.io/kubernetes", "go.etcd.io/etcd/server/v3"):
            versions.setdefault(parts[0], parts[1].removeprefix("v"))
    cache = Path(os.environ.get("DNSSYNC_CACHE") or Path.home() / ".cache" / "dnssync")
    k8s, etcd = versions["k8s.io/kubernetes"], versions["go.etcd.io/etcd/server/v3"]
    return cache / "k8s" / f"{k8s}-etcd{etcd}" / "bin"


def binaries_available() -> bool:
    """True if a cluster can start without failing for lack of binaries.

    That is: ``DNSSYNC_K8S_BIN_DIR`` is set, the cached build exists, or ``go``
    is on PATH (then the first start builds them).
    """
    if os.environ.get("DNSSYNC_K8S_BIN_DIR"):
        return True
    try:
        _check_bin_dir(cached_bin_dir())
        return True
    except (KubeClusterError, OSError, KeyError):
        return shutil.which("go") is not None


def _check_bin_dir(bin_dir: Path) -> None:
    for name in ("kube-apiserver", "etcd"):
        path = bin_dir / name
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise KubeClusterError(f"{path} is missing or not executable")


# --------------------------------------------------------------------------- helpers


def _wait_until(
    what: str, check: Callable[[], bool], timeout: float, interval: float = 0.2
) -> None:
    message = f"timed out after {timeout:.0f}s waiting for {what}"
    wait_until(check, timeout, message, interval=interval, error=KubeClusterError)


class _Process:
    """One child process with its log file."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path, die_with_parent: bool):
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self._die_with_parent = die_with_parent
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            log.write(f"\n==== {time.strftime('%H:%M:%S')} starting: {self.argv}\n".encode())
            log.flush()
            use_hook = self._die_with_parent and sys.platform.startswith("linux")
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal reaches only us
                preexec_fn=die_with_parent if use_hook else None,
            )

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_code(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def stop(self, timeout: float = 15.0) -> None:
        proc = self.proc
        if proc is None:
            return
        stop_process(proc, timeout, kill_timeout=10)
        self.proc = None


# Clusters still running at interpreter exit get stopped.
_LIVE: LiveSet[KubeCluster] = LiveSet("testinfra.k8s: stopping cluster")


# --------------------------------------------------------------------------- the cluster


class KubeCluster(Stoppable):
    """etcd + kube-apiserver on loopback. Use as a context manager, or call start()/stop().

    Args:
        watch_cache: ``False`` passes ``--watch-cache=false`` so watches read etcd
            directly and a compacted resourceVersion yields 410 Gone.
        etcd_compaction_interval: seconds for ``--etcd-compaction-interval``
            (apiserver default is 5 min); use e.g. 5.0 for 410 tests.
        crds: directories of CRD YAML to install at startup (default: Gateway API
            v1.6.1 standard channel). ``()`` installs none.
        bin_dir: directory with ``kube-apiserver`` and ``etcd``; default:
            :func:`ensure_binaries` (builds on first use).
        workdir: where data, certs and logs go (default: a new temp dir, removed on
            stop unless ``keep_workdir`` or ``DNSSYNC_K8S_KEEP_WORKDIR=1``).
        feature_gates / extra_apiserver_args / extra_etcd_args: passed through.
        startup_timeout: bound for each of etcd ready, apiserver ready, CRDs established.
        die_with_parent: children get SIGKILL if the thread that started them dies
            (Linux ``PR_SET_PDEATHSIG``), so a killed test run leaves nothing behind.
            Start the cluster from a thread that outlives it (e.g. the main thread).
    """

    def __init__(
        self,
        *,
        watch_cache: bool = True,
        etcd_compaction_interval: float | None = None,
        crds: Sequence[Path | str] | None = None,
        bin_dir: Path | str | None = None,
        workdir: Path | str | None = None,
        keep_workdir: bool | None = None,
        feature_gates: Mapping[str, bool] | None = None,
        extra_apiserver_args: Sequence[str] = (),
        extra_etcd_args: Sequence[str] = (),
        startup_timeout: float = 120.0,
        die_with_parent: bool = True,
    ) -> None:
        self.watch_cache = watch_cache
        self.etcd_compaction_interval = etcd_compaction_interval
        self.crds: list[Path] = [GATEWAY_CRDS_STANDARD] if crds is None else [Path(c) for c in crds]
        self._bin_dir = Path(bin_dir) if bin_dir is not None else None
        self._workdir_arg = Path(workdir) if workdir is not None else None
        if keep_workdir is None:
            keep_workdir = os.environ.get("DNSSYNC_K8S_KEEP_WORKDIR", "") not in ("", "0")
        self.keep_workdir = keep_workdir
        self.feature_gates = dict(feature_gates or {})
        self.extra_apiserver_args = list(extra_apiserver_args)
        self.extra_etcd_args = list(extra_etcd_args)
        self.startup_timeout = startup_timeout
        self.die_with_parent = die_with_parent

        self.admin_token = secrets.token_hex(24)
        self.workdir: Path = Path()
        self.etcd_port = 0
        self.etcd_peer_port = 0
        self.apiserver_port = 0
        self._etcd: _Process | None = None
        self._apiserver: _Process | None = None
        self._ssl: ssl.SSLContext | None = None
        self._owns_workdir = False
        self._started = False
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ properties

    @property
    def server_url(self) -> str:
        """``https://127.0.0.1:<port>``."""
        return f"https://127.0.0.1:{self.apiserver_port}"

    @property
    def etcd_url(self) -> str:
        return f"http://127.0.0.1:{self.etcd_port}"

    @property
    def kubeconfig_path(self) -> Path:
        """Admin kubeconfig (token auth, CA embedded)."""
        return self.workdir / "kubeconfig"

    @property
    def ca_path(self) -> Path:
        """PEM bundle that verifies the apiserver's self-generated serving cert."""
        return self.workdir / "apiserver-certs" / "apiserver.crt"

    @property
    def log_dir(self) -> Path:
        return self.workdir / "logs"

    @property
    def etcd_log_path(self) -> Path:
        return self.log_dir / "etcd.log"

    @property
    def apiserver_log_path(self) -> Path:
        return self.log_dir / "kube-apiserver.log"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Start etcd and kube-apiserver, install CRDs, write the kubeconfig."""
        with self._lock:
            if self._started:
                return self
            bin_dir = self._bin_dir if self._bin_dir is not None else ensure_binaries()
            _check_bin_dir(bin_dir)
            self._bin_dir = bin_dir
            if self._workdir_arg is not None:
                self.workdir = self._workdir_arg
                self.workdir.mkdir(parents=True, exist_ok=True)
            else:
                self.workdir = Path(tempfile.mkdtemp(prefix="dnssync-k8s-"))
                self._owns_workdir = True
            self.log_dir.mkdir(exist_ok=True)
            self._started = True
            _LIVE.add(self)
            try:
                self._write_auth_files()
                self._start_processes()
                self._wait_default_namespace(self.startup_timeout)
                self.write_kubeconfig(self.kubeconfig_path)
                for crd_dir in self.crds:
                    self.install_crds(crd_dir, timeout=self.startup_timeout)
            except KubeClusterError as exc:
                report = self.describe_failure(str(exc))
                self.stop()
                raise KubeClusterError(report) from exc
            except BaseException:
                self.stop()
                raise
            return self

    def _start_processes(self, attempts: int = 3) -> None:
        """Pick free ports, start etcd and kube-apiserver; retry if a port was taken meanwhile."""
        for attempt in range(1, attempts + 1):
            self.etcd_port, self.etcd_peer_port, self.apiserver_port = _free_ports(3)
            try:
                self._start_etcd()
                self._launch_apiserver()
                self._wait_apiserver_ready(self.startup_timeout)
                return
            except KubeClusterError:
                logs = log_tail(self.etcd_log_path) + log_tail(self.apiserver_log_path)
                if attempt == attempts or "address already in use" not in logs:
                    raise
                print(f"testinfra.k8s: port clash, retrying ({attempt})", file=sys.stderr)
                self.stop_apiserver()
                if self._etcd is not None:
                    self._etcd.stop()
                    self._etcd = None
                shutil.rmtree(self.workdir / "etcd", ignore_errors=True)

    def stop(self) -> None:
        """Stop kube-apiserver then etcd; remove the temp dir unless kept. Idempotent."""
        with self._lock:
            if not self._started:
                return
            self._started = False
            try:
                self.stop_apiserver()
            finally:
                if self._etcd is not None:
                    self._etcd.stop()
                    self._etcd = None
                _LIVE.discard(self)
                if self._owns_workdir and not self.keep_workdir:
                    shutil.rmtree(self.workdir, ignore_errors=True)

    def stop_apiserver(self, timeout: float = 15.0) -> None:
        """Stop kube-apiserver (SIGTERM, then SIGKILL after ``timeout``); etcd keeps running."""
        with self._lock:
            if self._apiserver is not None:
                self._apiserver.stop(timeout=timeout)
                self._apiserver = None

    def start_apiserver(self, timeout: float | None = None) -> None:
        """Start kube-apiserver again (same port, certs, tokens, etcd) and wait for /readyz."""
        with self._lock:
            if not self._started:
                raise KubeClusterError("cluster is not started")
            if self._apiserver is not None and self._apiserver.running():
                return
            self._launch_apiserver()
            try:
                self._wait_apiserver_ready(timeout or self.startup_timeout)
            except KubeClusterError as exc:
                raise KubeClusterError(self.describe_failure(str(exc))) from exc

    def restart_apiserver(self, timeout: float | None = None) -> None:
        """stop_apiserver() + start_apiserver()."""
        self.stop_apiserver()
        self.start_apiserver(timeout=timeout)

    def apiserver_running(self) -> bool:
        return self._apiserver is not None and self._apiserver.running()

    def describe_failure(self, problem: str) -> str:
        """``problem`` and the last lines of the log of the server at fault: etcd's when
        etcd is not running, else kube-apiserver's (one log, not both)."""
        etcd_down = self._etcd is None or not self._etcd.running()
        if etcd_down and self.etcd_log_path.exists():
            return start_failure(problem, self.etcd_log_path)
        return start_failure(problem, self.apiserver_log_path)

    # ------------------------------------------------------------------ internals

    def _write_auth_files(self) -> None:
        tokens = self.workdir / "tokens.csv"
        tokens.write_text(f'{self.admin_token},admin,admin-uid,"system:masters"\n')
        tokens.chmod(0o600)
        key = self.workdir / "sa.key"
        pub = self.workdir / "sa.pub"
        if not key.exists():
            self._run_openssl(
                [
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    "rsa_keygen_bits:2048",
                    "-out",
                    str(key),
                ]
            )
            self._run_openssl(["pkey", "-in", str(key), "-pubout", "-out", str(pub)])
        (self.workdir / "apiserver-certs").mkdir(exist_ok=True)

    @staticmethod
    def _run_openssl(args: list[str]) -> None:
        openssl = shutil.which("openssl")
        if openssl is None:
            raise KubeClusterError("openssl not found (needed for service-account keys)")
        proc = subprocess.run(
            [openssl, *args], capture_output=True, text=True, timeout=60, check=False
        )
        if proc.returncode != 0:
            raise KubeClusterError(f"openssl {' '.join(args)} failed: {proc.stderr}")

    def _start_etcd(self) -> None:
        assert self._bin_dir is not None
        peer = f"http://127.0.0.1:{self.etcd_peer_port}"
        argv = [
            str(self._bin_dir / "etcd"),
            "--name=default",
            f"--data-dir={self.workdir / 'etcd'}",
            f"--listen-client-urls={self.etcd_url}",
            f"--advertise-client-urls={self.etcd_url}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=default={peer}",
            "--initial-cluster-state=new",
            "--unsafe-no-fsync",  # test data only; much faster on slow disks
            "--log-level=warn",
            *self.extra_etcd_args,
        ]
        self._etcd = _Process("etcd", argv, self.etcd_log_path, self.die_with_parent)
        self._etcd.start()

        def ready() -> bool:
            if self._etcd is None or not self._etcd.running():
                raise KubeClusterError(f"etcd exited (code {self._exit_code(self._etcd)})")
            try:
                with urllib.request.urlopen(f"{self.etcd_url}/readyz", timeout=2) as resp:
                    return int(resp.status) == 200
            except (OSError, http.client.HTTPException):
                return False

        _wait_until("etcd /readyz", ready, self.startup_timeout)

    @staticmethod
    def _exit_code(proc: _Process | None) -> int | None:
        return None if proc is None else proc.exit_code()

    def apiserver_args(self) -> list[str]:
        """The kube-apiserver command line (without the binary)."""
        certs = self.workdir / "apiserver-certs"
        args = [
            f"--etcd-servers={self.etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={self.apiserver_port}",
            f"--cert-dir={certs}",
            f"--token-auth-file={self.workdir / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
            f"--service-account-key-file={self.workdir / 'sa.pub'}",
            f"--service-account-signing-key-file={self.workdir / 'sa.key'}",
            f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
            "--endpoint-reconciler-type=none",
            "--profiling=false",
        ]
        if not self.watch_cache:
            args.append("--watch-cache=false")
        if self.etcd_compaction_interval is not None:
            args.append(f"--etcd-compaction-interval={self.etcd_compaction_interval:g}s")
        if self.feature_gates:
            gates = ",".join(f"{k}={str(v).lower()}" for k, v in sorted(self.feature_gates.items()))
            args.append(f"--feature-gates={gates}")
        args.extend(self.extra_apiserver_args)
        return args

    def _launch_apiserver(self) -> None:
        assert self._bin_dir is not None
        argv = [str(self._bin_dir / "kube-apiserver"), *self.apiserver_args()]
        self._apiserver = _Process(
            "kube-apiserver", argv, self.apiserver_log_path, self.die_with_parent
        )
        self._apiserver.start()

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            ctx = ssl.create_default_context(cafile=str(self.ca_path))
            # Python >= 3.13 sets VERIFY_X509_STRICT, which rejects some self-generated
            # certs (no authority key identifier); the chain itself is fine.
            strict = getattr(ssl, "VERIFY_X509_STRICT", 0)
            ctx.verify_flags &= ~strict
            self._ssl = ctx
        return self._ssl

    def _wait_apiserver_ready(self, timeout: float) -> None:
        # The serving cert appears a moment after start; the CA may change only
        # if the cert dir was wiped, so re-read it on every start.
        self._ssl = None

        def ready() -> bool:
            if self._apiserver is None or not self._apiserver.running():
                code = self._exit_code(self._apiserver)
                raise KubeClusterError(f"kube-apiserver exited (code {code})")
            if not self.ca_path.exists():
                return False
            try:
                self.request("GET", "/readyz", timeout=5)
                return True
            except (KubeApiError, OSError, http.client.HTTPException, ssl.SSLError):
                self._ssl = None
                return False

        _wait_until("kube-apiserver /readyz", ready, timeout, interval=0.25)

    def _wait_default_namespace(self, timeout: float) -> None:
        def exists() -> bool:
            try:
                self.request("GET", "/api/v1/namespaces/default", timeout=5)
                return True
            except KubeApiError as exc:
                if exc.status == 404:
                    return False
                raise

        _wait_until("namespace 'default'", exists, timeout)

    # ------------------------------------------------------------------ API access

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        content_type: str = "application/json",
        params: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> Any:
        """Plain HTTPS call to the apiserver; returns decoded JSON (or text, or None).

        ``body`` may be bytes/str (sent as is) or any JSON-serializable value.
        Raises :class:`KubeApiError` on HTTP errors. Uses the admin token unless
        ``token`` is given.
        """
        url = self.server_url + path
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        data: bytes | None
        if body is None:
            data = None
        elif isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", f"Bearer {token or self.admin_token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=self._ssl_context()) as r:
                raw = r.read()
                ctype = r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", errors="replace")
            raise KubeApiError(exc.code, str(exc.reason), text) from None
        if not raw:
            return None
        if "json" in ctype:
            return json.loads(raw)
        return raw.decode("utf-8", errors="replace")

    def api_client(self, token: str | None = None) -> kubernetes.client.ApiClient:
        """A ``kubernetes.client.ApiClient`` for this cluster (admin unless ``token``)."""
        import kubernetes.client

        config = kubernetes.client.Configuration(
            host=self.server_url,
            api_key={"BearerToken": token or self.admin_token},
            api_key_prefix={"BearerToken": "Bearer"},
            ssl_ca_cert=str(self.ca_path),
        )
        client: kubernetes.client.ApiClient = kubernetes.client.ApiClient(config)
        return client

    def kubeconfig_dict(self, token: str | None = None, user: str = "admin") -> dict[str, Any]:
        ca_data = base64.b64encode(self.ca_path.read_bytes()).decode()
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "dnssync-test",
                    "cluster": {"server": self.server_url, "certificate-authority-data": ca_data},
                }
            ],
            "users": [{"name": user, "user": {"token": token or self.admin_token}}],
            "contexts": [
                {
                    "name": "dnssync-test",
                    "context": {"cluster": "dnssync-test", "user": user, "namespace": "default"},
                }
            ],
            "current-context": "dnssync-test",
        }

    def write_kubeconfig(
        self, path: Path | str, token: str | None = None, user: str = "admin"
    ) -> Path:
        """Write a kubeconfig (CA embedded) for the admin or for ``token``."""
        out = Path(path)
        out.write_text(yaml.safe_dump(self.kubeconfig_dict(token, user), sort_keys=False))
        out.chmod(0o600)
        return out

    def ensure_namespace(self, name: str) -> None:
        try:
            self.request(
                "POST",
                "/api/v1/namespaces",
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
            )
        except KubeApiError as exc:
            if exc.status != 409:
                raise

    def create_service_account_token(
        self,
        namespace: str,
        name: str,
        *,
        create: bool = True,
        expiration_seconds: int = 3600,
        audiences: Sequence[str] | None = None,
    ) -> str:
        """Return a TokenRequest token for ServiceAccount ``namespace/name``.

        With ``create`` the namespace and ServiceAccount are created if missing
        (there is no controller-manager, so no ``default`` ServiceAccount exists).
        """
        if create:
            self.ensure_namespace(namespace)
            try:
                self.request(
                    "POST",
                    f"/api/v1/namespaces/{namespace}/serviceaccounts",
                    {
                        "apiVersion": "v1",
                        "kind": "ServiceAccount",
                        "metadata": {"name": name, "namespace": namespace},
                    },
                )
            except KubeApiError as exc:
                if exc.status != 409:
                    raise
        spec: dict[str, Any] = {"expirationSeconds": expiration_seconds}
        if audiences:
            spec["audiences"] = list(audiences)
        resp = self.request(
            "POST",
            f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec},
        )
        return str(resp["status"]["token"])

    def install_crds(self, directory: Path | str, *, timeout: float = 60.0) -> list[str]:
        """Server-side apply every CRD in ``directory/*.yaml``; wait until Established.

        Returns the CRD names. Applying a different bundle over an existing one
        works only if the storage versions are compatible (use a fresh cluster
        for the v1.4.1 experimental set).
        """
        directory = Path(directory)
        files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
        if not files:
            raise KubeClusterError(f"no CRD YAML files in {directory}")
        names: list[str] = []
        for path in files:
            for doc in yaml.safe_load_all(path.read_text()):
                if not doc:
                    continue
                if doc.get("kind") != "CustomResourceDefinition":
                    raise KubeClusterError(f"{path}: not a CustomResourceDefinition")
                name = str(doc["metadata"]["name"])
                self.request(
                    "PATCH",
                    f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}",
                    json.dumps(doc),
                    content_type="application/apply-patch+yaml",
                    params={"fieldManager": FIELD_MANAGER, "force": "true"},
                )
                names.append(name)
        for name in names:
            self._wait_crd_established(name, timeout)
        return names

    def _wait_crd_established(self, name: str, timeout: float) -> None:
        def established() -> bool:
            crd = self.request(
                "GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
            )
            for cond in crd.get("status", {}).get("conditions", []):
                if cond.get("type") == "Established" and cond.get("status") == "True":
                    return True
            return False

        _wait_until(f"CRD {name} Established", established, timeout)

    def served_versions(self, group: str) -> list[str]:
        """Versions of an API group listed by discovery (``[]`` if the group is absent)."""
        try:
            resp = self.request("GET", f"/apis/{group}")
        except KubeApiError as exc:
            if exc.status == 404:
                return []
            raise
        return [str(v["version"]) for v in resp.get("versions", [])]

    # ------------------------------------------------------------------ etcd

    def _etcd_call(self, endpoint: str, body: Mapping[str, Any]) -> Any:
        req = urllib.request.Request(
            f"{self.etcd_url}/v3/{endpoint}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def etcd_revision(self) -> int:
        """Current etcd revision (= the newest resourceVersion the apiserver can hand out)."""
        key = base64.b64encode(b"/registry/").decode()
        resp = self._etcd_call("kv/range", {"key": key, "count_only": True})
        return int(resp["header"]["revision"])

    def compact_etcd(self, revision: int | None = None) -> int:
        """Compact etcd up to ``revision`` (default: current). Returns the revision.

        With ``watch_cache=False``, a watch from an older resourceVersion then gets
        410 Gone at once, without waiting for the apiserver's own compactor.
        """
        rev = self.etcd_revision() if revision is None else revision
        self._etcd_call("kv/compaction", {"revision": str(rev), "physical": True})
        return rev


# --------------------------------------------------------------------------- CLI


def _cli(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m testinfra.k8s",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("build", help="build or locate the binaries; print their directory")
    up = sub.add_parser("up", help="run a cluster until Ctrl-C")
    up.add_argument("--no-watch-cache", action="store_true", help="--watch-cache=false")
    up.add_argument(
        "--compaction-interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help="--etcd-compaction-interval",
    )
    up.add_argument(
        "--crds",
        action="append",
        default=None,
        metavar="DIR",
        help=f"CRD dir to install (repeatable; default {GATEWAY_CRDS_STANDARD})",
    )
    up.add_argument("--no-crds", action="store_true", help="install no CRDs")
    up.add_argument("--workdir", default=None, help="keep data/logs here (kept after exit)")
    apply = sub.add_parser(
        "apply",
        help="apply manifests and their status to a running test cluster (no kubectl needed)",
    )
    apply.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_DIR")
    apply.add_argument(
        "--kubeconfig",
        type=Path,
        default=os.environ.get("KUBECONFIG"),
        help="default: $KUBECONFIG (as printed by 'up')",
    )
    args = parser.parse_args(argv)

    if args.cmd == "build":
        print(ensure_binaries())
        return 0
    if args.cmd == "apply":
        from testinfra.k8s_apply import ApplyError, apply_manifests

        if args.kubeconfig is None:
            parser.error("apply: no --kubeconfig and no $KUBECONFIG")
        try:
            for line in apply_manifests(args.kubeconfig, args.paths):
                print(line)
        except ApplyError as exc:
            print(f"testinfra.k8s apply: {exc}", file=sys.stderr)
            return 1
        return 0

    crds: list[str] | None = [] if args.no_crds else args.crds
    cluster = KubeCluster(
        watch_cache=not args.no_watch_cache,
        etcd_compaction_interval=args.compaction_interval,
        crds=crds,
        workdir=args.workdir,
        keep_workdir=True if args.workdir else None,
    )

    def on_term(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)  # also when started with SIGINT ignored (nohup, &)
    started = time.monotonic()
    with cluster:
        print(
            f"kube-apiserver {cluster.server_url} ready in {time.monotonic() - started:.1f}s",
            flush=True,
        )
        print(f"workdir:    {cluster.workdir}")
        print(f"logs:       {cluster.log_dir}")
        print(f"admin token {cluster.admin_token}")
        print(f"export KUBECONFIG={cluster.kubeconfig_path}", flush=True)
        print("Ctrl-C to stop.", flush=True)
        try:
            for _ in _forever():
                if not cluster.apiserver_running():
                    print(cluster.describe_failure("kube-apiserver died"), file=sys.stderr)
                    return 1
        except KeyboardInterrupt:
            print("\nstopping...", flush=True)
    return 0


def _forever(interval: float = 1.0) -> Iterator[None]:
    while True:
        time.sleep(interval)
        yield None


if __name__ == "__main__":
    sys.exit(_cli())
