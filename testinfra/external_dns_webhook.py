"""ExternalDNS's own webhook server (``external-dns --webhook-server``) on a free loopback port.

``--webhook-server`` serves any in-tree ExternalDNS provider over the webhook protocol:
the reference server every ExternalDNS webhook provider imitates, and the real peer the
webhook provider is tested against. Two wrapped providers are used here: ``rfc2136``
(pointed at a BIND of :mod:`testinfra.bind`, TSIG secret by environment) and ``inmemory``.

ExternalDNS v0.23.0 listens on a fixed ``127.0.0.1:8888`` (``controller/execute.go``; there
is no flag), and also serves metrics on ``:7979``. So that tests never share or fight over
those ports, the server runs in a private network namespace of its own
(:class:`testinfra.netns.NetNamespace`, root only), with

* the namespace's ``127.0.0.1:8888`` exposed on the host at a free loopback port (``url``);
* the host ports it must reach (the DNS server's, TCP: ExternalDNS's RFC 2136 client uses
  TCP for updates and transfers) forwarded inside at the same address.

Without root, it runs on the host's ``127.0.0.1:8888`` instead, one at a time per machine
(an ``flock`` on a file in the temp dir), with metrics on a free port.

The server has no readiness signal of its own (``StartHTTPApi`` is given no started
channel); it counts as ready when ``GET /`` answers 200 with the webhook media type.
Waits are bounded and a failure carries the tail of its log. ``--source=fake`` keeps it
away from Kubernetes (the webhook server mode still builds a source).

Library use::

    from testinfra.external_dns_webhook import ExternalDnsWebhook

    with BindServer(("example.test",)) as bind:
        with ExternalDnsWebhook.rfc2136(bind) as hook:
            hook.url    # http://127.0.0.1:PORT, for --webhook-provider-url
    with ExternalDnsWebhook.inmemory(("example.test",)) as hook:
        ...

By hand: ``python -m testinfra.external_dns_webhook inmemory example.test``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Self

from testinfra import netns as netns_mod
from testinfra.bind import DnsServer
from testinfra.external_dns import ExternalDnsError, ensure_binary
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
from testinfra.netns import NetNamespace

MEDIA_TYPE = "application/external.dns.webhook+json;version=1"
# Fixed in ExternalDNS v0.23.0's controller/execute.go.
LISTEN_HOST, LISTEN_PORT = "127.0.0.1", 8888
_LOCK_NAME = "dnssync-external-dns-webhook-8888.lock"

_LIVE: LiveSet[ExternalDnsWebhook] = LiveSet("testinfra.external_dns_webhook: stopping {0!r}")


class ExternalDnsWebhook(Stoppable):
    """One ``external-dns --webhook-server --provider=...`` process.

    Args:
        provider_args: the provider flags (``--provider=...`` and its settings).
        env: extra environment (secrets go here, never on the command line).
        reach: host TCP ports the server must reach (forwarded into its namespace).
        max_body_size: ``--webhook-provider-max-body-size`` of the server (default 32 MiB).
        isolated: run in a private network namespace (default: when root).
    """

    def __init__(
        self,
        provider_args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        reach: Sequence[int] = (),
        max_body_size: int | None = None,
        log_level: str = "info",
        isolated: bool | None = None,
        binary: Path | str | None = None,
        ready_timeout: float = 60.0,
    ) -> None:
        self.provider_args = list(provider_args)
        self.env = dict(env or {})
        self.reach = tuple(reach)
        self.max_body_size = max_body_size
        self.log_level = log_level
        self.isolated = netns_mod.available() if isolated is None else isolated
        self._binary = Path(binary) if binary is not None else None
        self.ready_timeout = ready_timeout
        self.workdir = Path()
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._netns: NetNamespace | None = None
        self._lock: IO[bytes] | None = None

    # ------------------------------------------------------------------ constructors

    @classmethod
    def rfc2136(
        cls, server: DnsServer, zones: Sequence[str] | None = None, **kwargs: object
    ) -> ExternalDnsWebhook:
        """ExternalDNS's RFC 2136 provider against ``server`` (TSIG), zones default to its own."""
        args = [
            "--provider=rfc2136",
            f"--rfc2136-host={server.host}",
            f"--rfc2136-port={server.port}",
            *(f"--rfc2136-zone={z}" for z in (zones or server.zones)),
            f"--rfc2136-tsig-keyname={server.tsig.key_name}",
            f"--rfc2136-tsig-secret-alg={server.tsig.algorithm}",
            "--rfc2136-axfr",
        ]
        env = {"EXTERNAL_DNS_RFC2136_TSIG_SECRET": server.tsig.secret}
        return cls(args, env=env, reach=(server.port,), **kwargs)  # type: ignore[arg-type]

    @classmethod
    def inmemory(cls, zones: Sequence[str], **kwargs: object) -> ExternalDnsWebhook:
        """ExternalDNS's in-memory provider with these zones (empty at start)."""
        args = ["--provider=inmemory", *(f"--inmemory-zone={z}" for z in zones)]
        return cls(args, **kwargs)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ command line

    def argv(self, metrics_address: str) -> list[str]:
        binary = self._binary if self._binary is not None else ensure_binary()
        self._binary = binary
        args = [
            str(binary),
            "--webhook-server",
            "--source=fake",
            # v0.23.0 refuses to start without an explicit policy, even as a server.
            "--policy=sync",
            *self.provider_args,
            f"--metrics-address={metrics_address}",
            f"--log-level={self.log_level}",
            "--log-format=text",
        ]
        if self.max_body_size is not None:
            args.append(f"--webhook-provider-max-body-size={self.max_body_size}")
        return args

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"http://{LISTEN_HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "external-dns-webhook.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> Self:
        if self.running:
            return self
        self.workdir = Path(tempfile.mkdtemp(prefix="dnssync-edns-webhook-"))
        _LIVE.add(self)
        try:
            argv = self._start_isolated() if self.isolated else self._start_shared()
            self._spawn(argv)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_isolated(self) -> list[str]:
        namespace = NetNamespace(workdir_parent=str(self.workdir)).start()
        self._netns = namespace
        for port in self.reach:
            namespace.forward_tcp(port)
        self.port = namespace.expose_tcp(LISTEN_PORT).port
        return namespace.command(self.argv(f"127.0.0.1:{free_tcp_port()}"))

    def _start_shared(self) -> list[str]:
        lock = (Path(tempfile.gettempdir()) / _LOCK_NAME).open("wb")
        self._lock = lock
        deadline = time.monotonic() + self.ready_timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ExternalDnsError(
                        f"another ExternalDNS webhook server holds {LISTEN_HOST}:{LISTEN_PORT}"
                    ) from None
                time.sleep(0.2)
        self.port = LISTEN_PORT
        return self.argv(f"127.0.0.1:{free_tcp_port()}")

    def _spawn(self, argv: list[str]) -> None:
        env = dict(os.environ)
        env.update(self.env)
        with self.log_path.open("ab") as log:
            # The secrets are in env, never in argv.
            log.write(f"==== {time.strftime('%H:%M:%S')} starting: {argv}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )

    def _wait_ready(self) -> None:
        request = urllib.request.Request(self.url + "/", headers={"Accept": MEDIA_TYPE})

        def ready() -> bool:
            if not self.running:
                code = self._proc.poll() if self._proc is not None else None
                problem = f"external-dns --webhook-server exited with {code}"
                raise ExternalDnsError(start_failure(problem, self.log_path))
            try:
                with urllib.request.urlopen(request, timeout=2) as resp:
                    json.loads(resp.read() or b"null")
                    return bool(
                        resp.status == 200 and resp.headers.get("Content-Type") == MEDIA_TYPE
                    )
            except (OSError, urllib.error.URLError, ValueError):
                return False

        wait_until(
            ready,
            self.ready_timeout,
            f"external-dns --webhook-server not ready after {self.ready_timeout:g}s",
            interval=0.1,
            # The log is read when the wait gives up, not before.
            error=lambda problem: ExternalDnsError(start_failure(problem, self.log_path)),
        )

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_process(proc, 10, kill_timeout=10)
        namespace, self._netns = self._netns, None
        if namespace is not None:
            namespace.stop()
        lock, self._lock = self._lock, None
        if lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
        keep = os.environ.get("DNSSYNC_EXTERNAL_DNS_KEEP_LOGS", "") not in ("", "0")
        if self.workdir != Path() and not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        _LIVE.discard(self)

    # ------------------------------------------------------------------ observation

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return log_tail(self.log_path, lines)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def __repr__(self) -> str:
        mode = "netns" if self.isolated else "host"
        return f"<ExternalDnsWebhook {self.provider_args[:1]} {mode} port={self.port}>"


def available() -> bool:
    """True when the server can run: the binary (or Go to build it)."""
    from testinfra.external_dns import binary_available

    return binary_available()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(argv if argv is not None else sys.argv[1:])
    if not args or args[0] != "inmemory":
        print("usage: python -m testinfra.external_dns_webhook inmemory [ZONE ...]")
        return 2
    zones = args[1:] or ["example.test"]
    with ExternalDnsWebhook.inmemory(zones) as hook:
        print(f"ExternalDNS webhook server (inmemory {', '.join(zones)}) at {hook.url}")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
