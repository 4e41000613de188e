"""A throw-away BIND9 ``named`` on loopback, for RFC 2136 tests and benchmarks.

Everything lives in a temp dir: config, zone files, journals, log. ``named -g`` runs in
the foreground as the calling user and reads no system config. Each zone is a primary
zone that accepts UPDATE and AXFR only with the TSIG key (``update-policy`` /
``allow-transfer { key ...; }``), so unsigned or wrongly signed requests are refused.

Library use::

    from testinfra.bind import BindServer

    with BindServer(zones=("example.test",)) as bind:
        bind.host, bind.port, bind.tsig.key_name, bind.tsig.secret
        bind.provider_options()      # rfc2136 provider options, keyed by option dest
        bind.restart()               # same port, same data (journal kept)

By hand: ``python -m testinfra.bind [ZONE ...]`` starts a server and prints the flags to
use, until Ctrl-C.

Details that matter:

* named binds with SO_REUSEPORT, so a second named on a busy port starts fine and the
  kernel splits queries between them. :func:`free_port` binds UDP and TCP on v4 and v6
  without SO_REUSEPORT, which fails on a port named holds; readiness is "answers with our
  random marker", so a stale server is never mistaken for ours.
* The child gets ``PR_SET_PDEATHSIG``: if the test process dies, named dies too. Servers
  still running at interpreter exit are stopped.
* ``controls { };`` keeps named off the rndc port 953.
"""

from __future__ import annotations

import abc
import base64
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig

from testinfra.lifecycle import (
    LOG_TAIL_LINES,
    LiveSet,
    Stoppable,
    die_with_parent,
    log_tail,
    start_failure,
    stop_process,
)

NAMED = "/usr/sbin/named"
LOOPBACK = "127.0.0.1"
MARKER_LABEL = "_lab"

_ALGORITHMS = {
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
    "hmac-sha224": dns.tsig.HMAC_SHA224,
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-md5": dns.tsig.HMAC_MD5,
}


class DnsServerError(RuntimeError):
    """The test server could not be started or stopped."""


def free_port() -> int:
    """A port free for UDP and TCP on 127.0.0.1 and ::1 (bound without SO_REUSEPORT)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((LOOPBACK, 0))
            port = int(udp.getsockname()[1])
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                    tcp.bind((LOOPBACK, port))
                if socket.has_ipv6:
                    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                        with socket.socket(socket.AF_INET6, kind) as six:
                            six.bind(("::1", port))
            except OSError:
                continue
            return port
    raise DnsServerError("no free UDP+TCP port on loopback")


@dataclass(frozen=True)
class TsigCredentials:
    """A TSIG key for the test server. ``repr`` leaves the secret out."""

    key_name: str
    algorithm: str = "hmac-sha256"
    secret: str = field(default="", repr=False)

    @classmethod
    def generate(
        cls, key_name: str = "dnssync-test", algorithm: str = "hmac-sha256"
    ) -> TsigCredentials:
        return cls(key_name, algorithm, base64.b64encode(secrets.token_bytes(32)).decode())

    def dns_key(self) -> dns.tsig.Key:
        return dns.tsig.Key(self.key_name + ".", self.secret, _ALGORITHMS[self.algorithm])


_LIVE: LiveSet[DnsServer] = LiveSet("testinfra: stopping {0!r}")


ZONE_FILE = """$TTL 300
@       IN SOA ns1 hostmaster ( 1 3600 600 86400 300 )
        IN NS  ns1
ns1     IN A   127.0.0.1
{marker_label} IN TXT "{marker}"
"""


class DnsServer(Stoppable, abc.ABC):
    """A DNS server process on loopback with TSIG-protected dynamic zones.

    Subclasses write the config and name the command; this class owns the temp dir, the
    process, readiness (the first zone answers with a random marker), bounded waits and
    cleanup.
    """

    kind = "dns"

    def __init__(
        self,
        zones: Sequence[str] = ("example.test",),
        *,
        port: int = 0,
        tsig: TsigCredentials | None = None,
        workdir_parent: str | None = None,
        startup_timeout: float = 20.0,
        stop_timeout: float = 10.0,
    ) -> None:
        if not zones:
            raise ValueError("at least one zone")
        self.zones = tuple(z.rstrip(".").lower() for z in zones)
        self.port = port or free_port()
        self.host = LOOPBACK
        self.tsig = tsig or TsigCredentials.generate()
        self.marker = base64.b32encode(secrets.token_bytes(10)).decode()
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self._workdir_parent = workdir_parent or os.environ.get("DNSSYNC_DNS_TMP")
        self.workdir: Path | None = None
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # -- subclass hooks

    @abc.abstractmethod
    def _write_config(self, workdir: Path) -> None: ...

    @abc.abstractmethod
    def _argv(self, workdir: Path) -> list[str]: ...

    @property
    @abc.abstractmethod
    def log_path(self) -> Path: ...

    # -- lifecycle

    def start(self) -> Self:
        if self.running:
            return self
        if self.workdir is None:
            self.workdir = Path(
                tempfile.mkdtemp(prefix=f"dnssync-{self.kind}-", dir=self._workdir_parent)
            )
            self._write_config(self.workdir)
            for zone in self.zones:
                zone_file = self.workdir / f"{zone}.zone"
                zone_file.write_text(
                    ZONE_FILE.format(marker_label=MARKER_LABEL, marker=self.marker)
                )
        t0 = time.monotonic()
        with self.log_path.open("ab") as log:
            log.write(f"\n==== {time.strftime('%H:%M:%S')} starting on port {self.port}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                self._argv(self.workdir),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
            )
        _LIVE.add(self)
        try:
            self._wait_ready(t0)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def stop(self, *, keep_data: bool = False) -> None:
        """Stop the process (SIGTERM, then SIGKILL) and, unless keep_data, remove the dir."""
        proc = self._proc
        if proc is not None:
            stop_process(proc, self.stop_timeout)
        self._proc = None
        if not keep_data and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
            _LIVE.discard(self)

    def restart(self) -> DnsServer:
        """Stop and start again on the same port with the same data."""
        self.stop(keep_data=True)
        return self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.host}:{self.port} zones={list(self.zones)}>"

    # -- helpers for tests

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of the server's log."""
        return log_tail(self.log_path, lines)

    def provider_options(self, *zones: str) -> dict[str, str | int | bool | tuple[str, ...]]:
        """Options for the rfc2136 provider, keyed by option dest."""
        return {
            "rfc2136_host": self.host,
            "rfc2136_port": self.port,
            "rfc2136_zone": tuple(zones or self.zones),
            "rfc2136_tsig_keyname": self.tsig.key_name,
            "rfc2136_tsig_secret": self.tsig.secret,
            "rfc2136_tsig_secret_alg": self.tsig.algorithm,
        }

    def cli_flags(self, *zones: str) -> list[str]:
        """CLI flags for the rfc2136 provider, without the secret (pass it by env or file)."""
        flags = ["--provider", "rfc2136", "--rfc2136-host", self.host]
        flags += ["--rfc2136-port", str(self.port)]
        for zone in zones or self.zones:
            flags += ["--rfc2136-zone", zone]
        flags += ["--rfc2136-tsig-keyname", self.tsig.key_name]
        flags += ["--rfc2136-tsig-secret-alg", self.tsig.algorithm]
        return flags

    def query(self, name: str, rdtype: str, *, timeout: float = 5.0) -> list[str]:
        """The records the server answers for name/type (TCP, no TSIG), as text."""
        message = dns.message.make_query(dns.name.from_text(name), dns.rdatatype.from_text(rdtype))
        answer = dns.query.tcp(message, self.host, port=self.port, timeout=timeout)
        wanted = dns.rdatatype.from_text(rdtype)
        return sorted(
            rdata.to_text() for rrset in answer.answer if rrset.rdtype == wanted for rdata in rrset
        )

    # -- internals

    def _wait_ready(self, t0: float) -> None:
        query = dns.message.make_query(f"{MARKER_LABEL}.{self.zones[0]}.", dns.rdatatype.TXT)
        # Short waits: an unconnected UDP socket never hears "port unreachable", so a query
        # sent before the server listens only ends by timeout.
        wait = 0.02
        while True:
            proc = self._proc
            if proc is None or proc.poll() is not None:
                code = None if proc is None else proc.returncode
                raise DnsServerError(
                    start_failure(f"{self.kind} exited with {code} while starting", self.log_path)
                )
            try:
                answer = dns.query.udp(query, self.host, port=self.port, timeout=wait)
                if answer.answer and self.marker in answer.answer[0].to_text():
                    return
            except (dns.exception.DNSException, OSError):
                pass
            if time.monotonic() - t0 > self.startup_timeout:
                waited = f"{self.startup_timeout:g}s"
                problem = f"{self.kind} on port {self.port} not ready after {waited}"
                raise DnsServerError(start_failure(problem, self.log_path))
            time.sleep(0.005)
            wait = min(wait * 1.5, 0.5)


NAMED_CONF = """
options {{
    directory "{dir}";
    pid-file "{dir}/named.pid";
    session-keyfile "{dir}/session.key";
    managed-keys-directory "{dir}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 port {port} {{ ::1; }};
    recursion no;
    dnssec-validation no;
    notify no;
    allow-query {{ 127.0.0.1; ::1; }};
    {options}
}};
// no rndc control channel (otherwise named binds 127.0.0.1:953 with /etc/bind/rndc.key)
controls {{ }};
key "{key}" {{
    algorithm {algorithm};
    secret "{secret}";
}};
{zones}
"""

NAMED_ZONE = """zone "{zone}." {{
    type primary;
    file "{dir}/{zone}.zone";
    update-policy {{ grant {key} zonesub ANY; }};
    allow-transfer {{ key {key}; }};
}};
"""


class BindServer(DnsServer):
    """BIND9 ``named`` with TSIG-only dynamic zones. ``options`` goes inside ``options {}``."""

    kind = "bind"

    def __init__(
        self,
        zones: Sequence[str] = ("example.test",),
        *,
        port: int = 0,
        tsig: TsigCredentials | None = None,
        options: str = "",
        named: str = NAMED,
        workdir_parent: str | None = None,
        startup_timeout: float = 20.0,
        stop_timeout: float = 10.0,
    ) -> None:
        super().__init__(
            zones,
            port=port,
            tsig=tsig,
            workdir_parent=workdir_parent,
            startup_timeout=startup_timeout,
            stop_timeout=stop_timeout,
        )
        self.options = options
        self.named = named

    @property
    def log_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "named.log"

    def _write_config(self, workdir: Path) -> None:
        key = self.tsig.key_name
        zones = "".join(NAMED_ZONE.format(zone=z, dir=workdir, key=key) for z in self.zones)
        (workdir / "named.conf").write_text(
            NAMED_CONF.format(
                dir=workdir,
                port=self.port,
                options=self.options,
                key=key,
                algorithm=self.tsig.algorithm,
                secret=self.tsig.secret,
                zones=zones,
            )
        )

    def _argv(self, workdir: Path) -> list[str]:
        # -g: foreground, log to stderr, no system config; -n 1: one worker is plenty.
        return [self.named, "-g", "-n", "1", "-c", str(workdir / "named.conf")]


def available(binary: str = NAMED) -> bool:
    return os.access(binary, os.X_OK)


def main(argv: Sequence[str] | None = None) -> int:
    zones = list(argv if argv is not None else sys.argv[1:]) or ["example.test"]
    with BindServer(zones) as server:
        print(f"named pid {server.pid} on {server.host}:{server.port}, dir {server.workdir}")
        print("flags:", " ".join(server.cli_flags()))
        print(f"export DNSSYNC_RFC2136_TSIG_SECRET='{server.tsig.secret}'")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
