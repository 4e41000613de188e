"""A real ExternalDNS process (rfc2136 provider, service source, TXT registry) for the
interop tests and the side-by-side benchmark.

The binary is built from Go modules by ``tools/external-dns/build.sh`` and cached under
``${DNSSYNC_CACHE:-~/.cache/dnssync}/external-dns/<version>/bin/external-dns``; if it is
missing, the harness runs the build on first use (3.5 min cold on 2 idle cores).
``DNSSYNC_EXTERNAL_DNS_BIN`` points at a prebuilt binary instead.

Library use::

    from testinfra.external_dns import ExternalDns

    with ExternalDns(kubeconfig, bind.host, bind.port, ("example.test",), bind.tsig,
                     owner_id="x") as edns:      # event-driven daemon
        ...
        edns.metrics()["external_dns_controller_no_op_runs_total"]

    ExternalDns(..., owner_id="x").run_once()   # one sync (--once), then exit

    # Through a webhook provider (e.g. testinfra.external_dns_webhook) instead of rfc2136:
    ExternalDns.webhook(kubeconfig, hook.url, ("example.test",), owner_id="x").run_once()

The TSIG secret reaches the process through ``EXTERNAL_DNS_RFC2136_TSIG_SECRET`` (kingpin
reads every flag from ``EXTERNAL_DNS_<FLAG>``), never its command line. ExternalDNS >=
0.22 reads only the ``external-dns.kubernetes.io/`` annotation prefix by default; the
harness passes ``--annotation-prefix=external-dns.alpha.kubernetes.io/`` (the prefix both
ExternalDNS < 0.22 and dnssync read) unless told otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Self

from testinfra.bind import TsigCredentials
from testinfra.lifecycle import (
    LOG_TAIL_LINES,
    LiveSet,
    Stoppable,
    die_with_parent,
    free_tcp_port,
    log_tail,
    start_failure,
    stop_process,
    wait_until,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = REPO_ROOT / "tools" / "external-dns" / "build.sh"
DEFAULT_VERSION = "v0.23.0"  # keep in step with tools/external-dns/build.sh
LEGACY_PREFIX = "external-dns.alpha.kubernetes.io/"


class ExternalDnsError(RuntimeError):
    """Build, start or run of ExternalDNS failed."""


# --------------------------------------------------------------------------- binary


def cached_binary() -> Path:
    """Where ``tools/external-dns/build.sh`` puts (or has put) the binary."""
    version = os.environ.get("EXTERNAL_DNS_VERSION") or DEFAULT_VERSION
    cache = Path(os.environ.get("DNSSYNC_CACHE") or Path.home() / ".cache" / "dnssync")
    return cache / "external-dns" / version / "bin" / "external-dns"


def binary_available() -> bool:
    """True if ExternalDNS can run without failing for lack of a binary (or of Go)."""
    override = os.environ.get("DNSSYNC_EXTERNAL_DNS_BIN")
    if override:
        return os.access(override, os.X_OK)
    return os.access(cached_binary(), os.X_OK) or shutil.which("go") is not None


def ensure_binary(*, build_timeout: float = 3600.0) -> Path:
    """The external-dns binary, built (once, cached) if needed. Build output goes to stderr."""
    override = os.environ.get("DNSSYNC_EXTERNAL_DNS_BIN")
    if override:
        path = Path(override)
        if not os.access(path, os.X_OK):
            raise ExternalDnsError(f"DNSSYNC_EXTERNAL_DNS_BIN={path} is not executable")
        return path
    try:
        proc = subprocess.run(
            ["bash", str(BUILD_SCRIPT)],
            stdout=subprocess.PIPE,
            stderr=None,
            text=True,
            timeout=build_timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExternalDnsError(f"{BUILD_SCRIPT} did not finish in {build_timeout:.0f}s") from exc
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise ExternalDnsError(f"{BUILD_SCRIPT} failed with exit code {proc.returncode}")
    path = Path(lines[-1])
    if not os.access(path, os.X_OK):
        raise ExternalDnsError(f"{BUILD_SCRIPT} printed {path}, which is not executable")
    return path


_LIVE: LiveSet[ExternalDns] = LiveSet("testinfra.external_dns: stopping")


# --------------------------------------------------------------------------- process


class ExternalDns(Stoppable):
    """One ExternalDNS process: ``--provider=rfc2136 --source=service --registry=txt``
    (or ``--provider=webhook``, see :meth:`webhook`).

    Args:
        kubeconfig: the cluster to read Services from.
        dns_host, dns_port: the RFC 2136 server (or a counting proxy in front of it).
        zones: ``--rfc2136-zone`` values; also the ``--domain-filter`` unless
            ``domain_filters`` is given.
        tsig: key name, algorithm and secret (the secret goes by environment).
        owner_id: ``--txt-owner-id``.
        interval / min_event_sync_interval / events: the loop flags (event-driven by
            default, as the ExternalDNS docs recommend).
        extra_args: more flags, appended last.
        workdir: where the log goes (default: a new temp dir, removed on stop).
    """

    def __init__(
        self,
        kubeconfig: Path | str,
        dns_host: str,
        dns_port: int,
        zones: Sequence[str],
        tsig: TsigCredentials | None,
        *,
        owner_id: str,
        interval: str = "1m",
        min_event_sync_interval: str = "5s",
        events: bool = True,
        policy: str = "sync",
        domain_filters: Sequence[str] | None = None,
        annotation_prefix: str = LEGACY_PREFIX,
        service_type_filter: Sequence[str] = ("LoadBalancer",),
        log_level: str = "info",
        extra_args: Sequence[str] = (),
        binary: Path | str | None = None,
        workdir: Path | str | None = None,
        die_with_parent: bool = True,
        provider_args: Sequence[str] | None = None,
    ) -> None:
        self.kubeconfig = Path(kubeconfig)
        self.dns_host = dns_host
        self.dns_port = dns_port
        self.zones = tuple(z.rstrip(".") for z in zones)
        self.tsig = tsig
        self.owner_id = owner_id
        self.interval = interval
        self.min_event_sync_interval = min_event_sync_interval
        self.events = events
        self.policy = policy
        self.domain_filters = tuple(domain_filters if domain_filters is not None else self.zones)
        self.annotation_prefix = annotation_prefix
        self.service_type_filter = tuple(service_type_filter)
        self.log_level = log_level
        self.extra_args = list(extra_args)
        self._binary = Path(binary) if binary is not None else None
        self._workdir_arg = Path(workdir) if workdir is not None else None
        self.die_with_parent = die_with_parent
        self.provider_args = list(provider_args) if provider_args is not None else None
        self.workdir = Path()
        self._owns_workdir = False
        self.metrics_port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self.started_at: float | None = None

    @classmethod
    def webhook(
        cls,
        kubeconfig: Path | str,
        url: str,
        zones: Sequence[str],
        *,
        owner_id: str,
        **kwargs: object,
    ) -> ExternalDns:
        """ExternalDNS through a webhook provider at ``url`` (``--provider=webhook``);
        ``zones`` are the ``--domain-filter`` values unless ``domain_filters`` is given."""
        return cls(
            kubeconfig,
            "",
            0,
            zones,
            None,
            owner_id=owner_id,
            provider_args=["--provider=webhook", f"--webhook-provider-url={url}"],
            **kwargs,  # type: ignore[arg-type]
        )

    # ------------------------------------------------------------------ command line

    def argv(self, *, once: bool = False) -> list[str]:
        """The command line (without the TSIG secret)."""
        binary = self._binary if self._binary is not None else ensure_binary()
        self._binary = binary
        args = [
            str(binary),
            f"--kubeconfig={self.kubeconfig}",
            "--source=service",
            *(self.provider_args if self.provider_args is not None else self._rfc2136_args()),
            "--registry=txt",
            f"--txt-owner-id={self.owner_id}",
            f"--policy={self.policy}",
            *(f"--domain-filter={domain}" for domain in self.domain_filters),
            *(f"--service-type-filter={kind}" for kind in self.service_type_filter),
            f"--annotation-prefix={self.annotation_prefix}",
            f"--interval={self.interval}",
            f"--metrics-address=127.0.0.1:{self.metrics_port or free_tcp_port()}",
            f"--log-level={self.log_level}",
            "--log-format=text",
        ]
        if once:
            args.append("--once")
        else:
            args.append(f"--min-event-sync-interval={self.min_event_sync_interval}")
            if self.events:
                args.append("--events")
        return [*args, *self.extra_args]

    def _rfc2136_args(self) -> list[str]:
        if self.tsig is None:
            raise ExternalDnsError("the rfc2136 provider needs TSIG credentials")
        return [
            "--provider=rfc2136",
            f"--rfc2136-host={self.dns_host}",
            f"--rfc2136-port={self.dns_port}",
            *(f"--rfc2136-zone={zone}" for zone in self.zones),
            f"--rfc2136-tsig-keyname={self.tsig.key_name}",
            f"--rfc2136-tsig-secret-alg={self.tsig.algorithm}",
            # The current name of --rfc2136-tsig-axfr (deprecated in v0.22, still OR'd in).
            "--rfc2136-axfr",
        ]

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.tsig is not None:
            env["EXTERNAL_DNS_RFC2136_TSIG_SECRET"] = self.tsig.secret
        return env

    # ------------------------------------------------------------------ lifecycle

    @property
    def log_path(self) -> Path:
        return self.workdir / "external-dns.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _prepare_workdir(self) -> None:
        if self._workdir_arg is not None:
            self.workdir = self._workdir_arg
            self.workdir.mkdir(parents=True, exist_ok=True)
        elif not self._owns_workdir:
            self.workdir = Path(tempfile.mkdtemp(prefix="dnssync-external-dns-"))
            self._owns_workdir = True

    def start(self, *, ready_timeout: float = 60.0) -> Self:
        """Start the daemon and wait until it serves /healthz (before its first sync)."""
        if self.running:
            return self
        self._prepare_workdir()
        self.metrics_port = free_tcp_port()
        argv = self.argv()
        with self.log_path.open("ab") as log:
            log.write(f"\n==== {time.strftime('%H:%M:%S')} starting: {argv}\n".encode())
            log.flush()
            self.started_at = time.monotonic()
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env(),
                start_new_session=True,
                preexec_fn=die_with_parent if self.die_with_parent else None,
            )
        _LIVE.add(self)
        try:
            self._wait_healthy(ready_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self, timeout: float) -> None:
        url = f"http://127.0.0.1:{self.metrics_port}/healthz"

        def healthy() -> bool:
            if not self.running:
                code = self._proc.poll() if self._proc is not None else None
                problem = f"external-dns exited with {code} while starting"
                raise ExternalDnsError(start_failure(problem, self.log_path))
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    return bool(resp.status == 200)
            except (OSError, urllib.error.URLError):
                return False

        message = f"external-dns not healthy after {timeout:g}s"
        wait_until(healthy, timeout, message, interval=0.1, error=ExternalDnsError)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (then SIGKILL); returns the exit code. Removes an owned workdir
        unless ``DNSSYNC_EXTERNAL_DNS_KEEP_LOGS=1``."""
        proc = self._proc
        code: int | None = None
        if proc is not None:
            stop_process(proc, timeout, kill_timeout=10)
            code = proc.returncode
        self._proc = None
        _LIVE.discard(self)
        keep = os.environ.get("DNSSYNC_EXTERNAL_DNS_KEEP_LOGS", "") not in ("", "0")
        if self._owns_workdir and not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self._owns_workdir = False
        return code

    def run_once(self, *, timeout: float = 300.0) -> str:
        """One sync with ``--once``; returns the log. Raises on a non-zero exit."""
        self._prepare_workdir()
        self.metrics_port = free_tcp_port()
        argv = self.argv(once=True)
        try:
            proc = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=self._env(),
                timeout=timeout,
                check=False,
                preexec_fn=die_with_parent if self.die_with_parent else None,
            )
        except subprocess.TimeoutExpired as exc:
            raise ExternalDnsError(f"external-dns --once did not finish in {timeout:g}s") from exc
        finally:
            if self._owns_workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)
                self._owns_workdir = False
        out = proc.stdout.decode("utf-8", errors="replace")
        if proc.returncode != 0:
            raise ExternalDnsError(f"external-dns --once exited with {proc.returncode}:\n{out}")
        return out

    # ------------------------------------------------------------------ observation

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of the server's log."""
        return log_tail(self.log_path, lines)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def metrics(self) -> dict[str, float]:
        """The /metrics samples, keyed by ``name{labels}`` as exposed."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as resp:
            text = resp.read().decode()
        return parse_prometheus_text(text)

    def __repr__(self) -> str:
        return f"<ExternalDns owner={self.owner_id} zones={list(self.zones)} pid={self.pid}>"


def parse_prometheus_text(text: str) -> dict[str, float]:
    """``{"name{labels}": value}`` from a Prometheus text exposition (comments skipped)."""
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        try:
            samples[key] = float(value)
        except ValueError:
            continue
    return samples
