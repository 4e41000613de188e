"""A throw-away MIT Kerberos KDC and a ``kinit`` that finds it only through DNS SRV records.

Everything lives in a temp dir: ``kdc.conf``, the database and stash, logs, the client's
``krb5.conf``, credential cache and ``KRB5_TRACE`` file. The package-installed
``/etc/krb5.conf`` is never read (``KRB5_CONFIG`` and ``KRB5_KDC_PROFILE`` always point
into the temp dir), and ``krb5kdc -n`` runs in the foreground.

The KDC listens on the UDP and TCP endpoints given (separate addresses and non-standard
ports are the point: the client must learn them from DNS). The client ``krb5.conf`` has
``dns_lookup_kdc = true`` and an empty realm section, no ``kdc =`` line, so ``kinit``
locates the KDC through ``_kerberos._udp.<realm>`` / ``_kerberos._tcp.<realm>`` SRV records
or not at all.

Library use (inside a :class:`testinfra.netns.NetNamespace` so that the resolver asks a
test DNS server)::

    from testinfra.kerberos import Endpoint, KerberosKdc

    with KerberosKdc("EXAMPLE.COM", udp=[Endpoint("127.0.0.3", 8888)],
                     tcp=[Endpoint("127.0.0.2", 8888)], wrap=netns.command) as kdc:
        result = kdc.kinit()                       # UDP preferred
        result = kdc.kinit(udp_preference_limit=1) # TCP only
        result.ok, result.stderr, result.trace
        kdc.restart(udp=[...], tcp=[...])          # same database, new endpoints

Needs the Debian packages krb5-kdc and krb5-user (``kdb5_util``, ``kadmin.local``,
``krb5kdc``, ``kinit``, ``klist``).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from testinfra.lifecycle import (
    LOG_TAIL_LINES,
    LiveSet,
    Stoppable,
    die_with_parent,
    log_tail,
    stop_process,
)
from testinfra.netns import listening

BINARIES = ("kdb5_util", "kadmin.local", "krb5kdc", "kinit", "klist", "kdestroy")
INSTALL = "apt-get install -y krb5-kdc krb5-admin-server krb5-user"

KDC_CONF = """[kdcdefaults]
    kdc_listen = {udp}
    kdc_tcp_listen = {tcp}

[realms]
    {realm} = {{
        database_name = {dir}/principal
        key_stash_file = {dir}/stash
        acl_file = {dir}/kadm5.acl
        max_life = 1h
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }}

[logging]
    kdc = FILE:{dir}/kdc.log
    default = FILE:{dir}/kdc.log
"""

# No kdc = line: the KDC can only be found through DNS.
KRB5_CONF = """[libdefaults]
    default_realm = {realm}
    dns_lookup_kdc = true
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
{extra}
[realms]
    {realm} = {{
    }}
"""


class KdcError(RuntimeError):
    """The KDC could not be set up, started or stopped."""


def available() -> bool:
    return all(shutil.which(b) or os.access(f"/usr/sbin/{b}", os.X_OK) for b in BINARIES)


def missing() -> list[str]:
    return [b for b in BINARIES if not (shutil.which(b) or os.access(f"/usr/sbin/{b}", os.X_OK))]


def _binary(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An IPv4 address and port the KDC listens on."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class KinitResult:
    """What one ``kinit`` did: exit code, output, the ``KRB5_TRACE`` log and ``klist``."""

    returncode: int
    stdout: str
    stderr: str
    trace: str
    klist: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def trace_lines(self, *needles: str) -> list[str]:
        """Trace lines (without the timestamp prefix) containing any of ``needles``."""
        lines = [line.split(": ", 1)[-1] for line in self.trace.splitlines()]
        return [line for line in lines if any(n in line for n in needles)]

    def describe(self) -> str:
        return (
            f"kinit exit {self.returncode}\nstderr: {self.stderr.strip()}\n"
            f"trace:\n{self.trace.strip()}"
        )


_LIVE: LiveSet[KerberosKdc] = LiveSet("testinfra.kerberos: stopping {0!r}")


class KerberosKdc(Stoppable):
    """An MIT ``krb5kdc`` with one realm and one test principal, in a temp dir.

    Args:
        realm: the realm (clients look up ``_kerberos._udp.<realm>`` SRV records).
        udp / tcp: endpoints the KDC listens on; at least one overall.
        principal / password: the test principal (password random by default).
        wrap: turns an argv into the one to run, e.g. ``NetNamespace.command``; used for
            ``krb5kdc``, ``kinit`` and ``klist`` (the database tools need no network).
        workdir_parent: where the temp dir goes.
        startup_timeout / stop_timeout: bounds for the KDC to listen / to exit.
    """

    def __init__(
        self,
        realm: str = "EXAMPLE.TEST",
        *,
        udp: Sequence[Endpoint] = (),
        tcp: Sequence[Endpoint] = (),
        principal: str = "alice",
        password: str | None = None,
        wrap: Callable[[Sequence[str]], list[str]] | None = None,
        workdir_parent: str | None = None,
        startup_timeout: float = 10.0,
        stop_timeout: float = 5.0,
    ) -> None:
        self.realm = realm.upper()
        self.udp = tuple(udp)
        self.tcp = tuple(tcp)
        if not self.udp and not self.tcp:
            raise ValueError("the KDC needs at least one UDP or TCP endpoint")
        self.principal = principal
        self.password = password or secrets.token_hex(12)
        self._wrap = wrap or list
        self._workdir_parent = workdir_parent
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.workdir: Path | None = None
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ paths and env

    def _dir(self) -> Path:
        if self.workdir is None:
            raise KdcError("the KDC is not set up")
        return self.workdir

    @property
    def log_path(self) -> Path:
        return self._dir() / "kdc.log"

    @property
    def trace_path(self) -> Path:
        return self._dir() / "trace.log"

    @property
    def krb5_conf_path(self) -> Path:
        return self._dir() / "krb5.conf"

    def env(self) -> dict[str, str]:
        """Environment for every krb5 tool: our configs, ccache and trace file only."""
        d = self._dir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KRB5")}
        env.update(
            KRB5_CONFIG=str(d / "krb5.conf"),
            KRB5_KDC_PROFILE=str(d / "kdc.conf"),
            KRB5CCNAME=f"FILE:{d / 'ccache'}",
            KRB5_TRACE=str(d / "trace.log"),
        )
        return env

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        if self.running:
            return self
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="dnssync-kdc-", dir=self._workdir_parent))
            _LIVE.add(self)
            try:
                self._create_realm()
            except BaseException:
                self.stop()
                raise
        self._write_kdc_conf()
        t0 = time.monotonic()
        with self.log_path.open("ab") as log:
            log.write(f"\n==== {time.strftime('%H:%M:%S')} starting krb5kdc\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                self._wrap([_binary("krb5kdc"), "-n", "-r", self.realm]),
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
            )
        try:
            self._wait_listening()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def restart(
        self, *, udp: Sequence[Endpoint] | None = None, tcp: Sequence[Endpoint] | None = None
    ) -> KerberosKdc:
        """Stop the KDC and start it again (same database), on new endpoints if given."""
        self.stop(keep_data=True)
        if udp is not None:
            self.udp = tuple(udp)
        if tcp is not None:
            self.tcp = tuple(tcp)
        return self.start()

    def stop(self, *, keep_data: bool = False) -> None:
        """Stop ``krb5kdc`` (SIGTERM, then SIGKILL) and, unless keep_data, remove the dir."""
        proc = self._proc
        self._proc = None
        if proc is not None:
            stop_process(proc, self.stop_timeout)
        if not keep_data and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
            _LIVE.discard(self)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def __repr__(self) -> str:
        udp = ",".join(map(str, self.udp)) or "-"
        tcp = ",".join(map(str, self.tcp)) or "-"
        return f"<KerberosKdc {self.realm} udp={udp} tcp={tcp}>"

    # ------------------------------------------------------------------ the client

    def write_client_conf(self, *, udp_preference_limit: int | None = None) -> Path:
        """The client's ``krb5.conf``: DNS lookup of the KDC, no ``kdc =`` line."""
        extra = ""
        if udp_preference_limit is not None:
            extra = f"    udp_preference_limit = {udp_preference_limit}\n"
        path = self.krb5_conf_path
        path.write_text(KRB5_CONF.format(realm=self.realm, extra=extra))
        return path

    def kinit(
        self, *, udp_preference_limit: int | None = None, timeout: float = 30.0
    ) -> KinitResult:
        """``kinit`` the test principal (password on stdin) with a fresh trace and cache.

        ``udp_preference_limit=1`` makes the client use TCP for every request.
        """
        self.write_client_conf(udp_preference_limit=udp_preference_limit)
        self.trace_path.unlink(missing_ok=True)
        env = self.env()
        subprocess.run(
            self._wrap([_binary("kdestroy")]), env=env, capture_output=True, timeout=timeout
        )
        done = subprocess.run(
            self._wrap([_binary("kinit"), f"{self.principal}@{self.realm}"]),
            input=self.password + "\n",
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        klist = ""
        if done.returncode == 0:
            listed = subprocess.run(
                self._wrap([_binary("klist")]),
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            klist = listed.stdout
        try:
            trace = self.trace_path.read_text(errors="replace")
        except OSError:
            trace = ""
        return KinitResult(done.returncode, done.stdout, done.stderr, trace, klist)

    # ------------------------------------------------------------------ helpers

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of the KDC's log."""
        try:
            return log_tail(self.log_path, lines)
        except KdcError as exc:  # not set up: no directory yet
            return f"<no log: {exc}>"

    def _create_realm(self) -> None:
        d = self._dir()
        (d / "kadm5.acl").write_text("")
        self.write_client_conf()
        self._write_kdc_conf()
        env = self.env()
        steps = [
            [_binary("kdb5_util"), "create", "-s", "-r", self.realm, "-P", secrets.token_hex(16)],
            [
                _binary("kadmin.local"),
                "-r",
                self.realm,
                "-q",
                f"addprinc -pw {self.password} {self.principal}",
            ],
        ]
        for argv in steps:
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
            if done.returncode != 0:
                shown = argv[:2]
                raise KdcError(f"{' '.join(shown)} failed: {done.stderr.strip() or done.stdout}")

    def _write_kdc_conf(self) -> None:
        d = self._dir()
        text = KDC_CONF.format(
            # An empty list is written as "" (no socket); a missing line would mean port 88.
            udp=" ".join(map(str, self.udp)) or '""',
            tcp=" ".join(map(str, self.tcp)) or '""',
            realm=self.realm,
            dir=d,
        )
        (d / "kdc.conf").write_text(text)

    def _wait_listening(self) -> None:
        want_udp = {(e.host, e.port) for e in self.udp}
        want_tcp = {(e.host, e.port) for e in self.tcp}
        deadline = time.monotonic() + self.startup_timeout
        while True:
            proc = self._proc
            if proc is None or proc.poll() is not None:
                raise KdcError(
                    f"krb5kdc exited with {proc.poll() if proc else None} while starting; "
                    f"the last {LOG_TAIL_LINES} lines of kdc.log:\n{self.log_tail()}"
                )
            if want_udp <= listening(proc.pid, "udp") and want_tcp <= listening(proc.pid, "tcp"):
                return
            if time.monotonic() > deadline:
                raise KdcError(
                    f"krb5kdc not listening on udp {sorted(want_udp)} tcp {sorted(want_tcp)} "
                    f"after {self.startup_timeout:g}s; the last {LOG_TAIL_LINES} lines of "
                    f"kdc.log:\n{self.log_tail()}"
                )
            time.sleep(0.01)


__all__ = ["Endpoint", "KdcError", "KerberosKdc", "KinitResult", "available", "missing"]
