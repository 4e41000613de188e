"""A private network + mount namespace for end-to-end tests with real DNS clients.

glibc's resolver only talks to port 53 of the servers in ``/etc/resolv.conf``, so a test
that wants a real client (``kinit``, ``ldapsearch``, ...) to resolve through a throw-away
server needs its own ``/etc/resolv.conf`` and its own port 53. :class:`NetNamespace` makes
both: a holder process started under ``unshare --net --mount --propagation private``
brings ``lo`` up and bind-mounts a ``resolv.conf`` naming ``127.0.0.1`` over
``/etc/resolv.conf``, visible only inside. Nothing on the host changes: the namespace has
only a loopback interface and vanishes with its last process.

Library use::

    from testinfra.netns import NetNamespace, BindInNamespace

    with NetNamespace() as netns:
        with BindInNamespace(netns, zones=("example.com",)) as bind:   # named on 127.0.0.1:53
            subprocess.run(netns.command(["kinit", "alice"]), ...)    # resolves through it
            sock = netns.socket(socket.AF_INET, socket.SOCK_DGRAM)    # a socket inside
            with netns.forward_tcp(6443):   # host 127.0.0.1:6443 reachable inside
                ...
            exposed = netns.expose_tcp(8888)  # inside 127.0.0.1:8888 at host exposed.port

Every 127.x.y.z address is local inside the namespace (the kernel routes 127/8 to ``lo``),
so servers can listen on distinct loopback addresses (127.0.0.2, 127.0.0.3, ...) that
stand for distinct load balancers.

Needs root (CAP_SYS_ADMIN): entering a namespace with ``setns`` (``nsenter`` and
:meth:`NetNamespace.socket`) needs it in the namespace's owner, the initial user namespace.
Children started with :meth:`NetNamespace.command` are ordinary children of the caller
(``nsenter`` execs them), so stopping them is the caller's job; the holder gets
``PR_SET_PDEATHSIG`` and exits at the end of its stdin, so a killed test run leaves no
namespace behind once its other children are gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rdatatype

from testinfra.bind import MARKER_LABEL, BindServer, DnsServerError, TsigCredentials
from testinfra.lifecycle import Stoppable, die_with_parent, start_failure

CLONE_NEWNET = 0x40000000
UNSHARE = "unshare"
NSENTER = "nsenter"
T = TypeVar("T")

# Run by the holder inside the new namespaces: loopback up, our resolv.conf over the
# system one, then wait for the end of stdin (the test closing it, or dying).
_HOLDER = """set -e
ip link set lo up
if [ -e /etc/resolv.conf ]; then mount --bind "$1" /etc/resolv.conf; fi
echo ready
exec cat >/dev/null
"""


class NamespaceError(RuntimeError):
    """The namespace could not be created, entered or torn down."""


def available() -> bool:
    """True if this process can create and enter namespaces (root with the tools)."""
    tools = all(shutil.which(t) for t in (UNSHARE, NSENTER, "ip", "mount"))
    return tools and os.geteuid() == 0 and sys.platform.startswith("linux")


def _setns(fd: int, nstype: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, nstype) != 0:
        errno = ctypes.get_errno()
        raise NamespaceError(f"setns failed: {os.strerror(errno)}")


def _in_thread(call: Callable[[], T]) -> T:
    """Run ``call`` on a fresh thread and return its result (or raise its exception)."""
    box: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(call())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, name="netns-setns", daemon=True)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return box[0]


class NetNamespace(Stoppable):
    """A private network + mount namespace with ``lo`` up and its own resolv.conf.

    Args:
        resolv_conf: contents of ``/etc/resolv.conf`` inside (default: ``127.0.0.1``,
            one try of one second, so a missing answer fails fast).
        workdir_parent: where the temp dir for resolv.conf goes.
        start_timeout: bound for the holder to report ready.
    """

    def __init__(
        self,
        *,
        resolv_conf: str = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
        workdir_parent: str | None = None,
        start_timeout: float = 10.0,
    ) -> None:
        self.resolv_conf = resolv_conf
        self.start_timeout = start_timeout
        self._workdir_parent = workdir_parent
        self.workdir: Path | None = None
        self._holder: subprocess.Popen[bytes] | None = None
        self._forwards: list[TcpForward] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        if self._holder is not None:
            return self
        if not available():
            raise NamespaceError("needs root on Linux with unshare, nsenter, ip and mount")
        self.workdir = Path(tempfile.mkdtemp(prefix="dnssync-netns-", dir=self._workdir_parent))
        resolv = self.workdir / "resolv.conf"
        resolv.write_text(self.resolv_conf)
        argv = [UNSHARE, "--net", "--mount", "--propagation", "private"]
        argv += ["sh", "-c", _HOLDER, "sh", str(resolv)]
        self._holder = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        holder = self._holder
        assert holder is not None and holder.stdout is not None
        ready, _, _ = select.select([holder.stdout], [], [], self.start_timeout)
        line = holder.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            holder.kill()
            _, err = holder.communicate(timeout=5)
            raise NamespaceError(
                f"namespace holder not ready after {self.start_timeout:g}s: "
                f"{err.decode(errors='replace').strip()}"
            )

    def stop(self) -> None:
        """Stop forwards and the holder; remove the temp dir. Stop your children first."""
        for forward in self._forwards:
            forward.stop()
        self._forwards.clear()
        holder = self._holder
        self._holder = None
        if holder is not None:
            if holder.stdin is not None:
                with contextlib.suppress(OSError):
                    holder.stdin.close()
            try:
                holder.wait(timeout=5)
            except subprocess.TimeoutExpired:
                holder.kill()
                holder.wait(timeout=5)
            for stream in (holder.stdout, holder.stderr):
                if stream is not None:
                    stream.close()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    @property
    def pid(self) -> int:
        """The holder's pid (``/proc/<pid>/ns/net`` is the namespace)."""
        if self._holder is None or self._holder.poll() is not None:
            raise NamespaceError("the namespace is not running")
        return self._holder.pid

    # ------------------------------------------------------------------ entering it

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` prefixed so that it runs inside (``nsenter`` execs it: same pid)."""
        return [NSENTER, f"--target={self.pid}", "--net", "--mount", "--", *argv]

    def socket(
        self,
        family: socket.AddressFamily = socket.AF_INET,
        kind: socket.SocketKind = socket.SOCK_STREAM,
    ) -> socket.socket:
        """A new socket that belongs to the namespace (usable from any thread).

        A socket keeps the network namespace it was created in, so a short-lived thread
        enters the namespace (``setns`` changes only the calling thread), creates it and
        goes back.
        """
        target = f"/proc/{self.pid}/ns/net"

        def create() -> socket.socket:
            with open(target) as inside, open("/proc/thread-self/ns/net") as home:
                _setns(inside.fileno(), CLONE_NEWNET)
                try:
                    return socket.socket(family, kind)
                finally:
                    _setns(home.fileno(), CLONE_NEWNET)

        return _in_thread(create)

    def forward_tcp(self, port: int, host: str = "127.0.0.1") -> TcpForward:
        """Make the caller's ``host:port`` (TCP) reachable at the same address inside.

        For example the kube-apiserver on the host's loopback, for a daemon inside; the
        same kubeconfig then works on both sides.
        """
        listener = self.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(64)
        forward = TcpForward(listener, (host, port))
        forward.start()
        self._forwards.append(forward)
        return forward

    def expose_tcp(self, port: int, host: str = "127.0.0.1") -> TcpForward:
        """Make ``host:port`` inside (TCP) reachable from the caller's namespace, at
        ``host`` and a free port (``forward.port``): for a server that listens on a fixed
        address inside, such as ExternalDNS's webhook server on 127.0.0.1:8888."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((host, 0))
        listener.listen(64)

        def connect() -> socket.socket:
            sock = self.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.settimeout(5)
            try:
                sock.connect((host, port))
            except OSError:
                sock.close()
                raise
            return sock

        forward = TcpForward(listener, (host, port), connect=connect)
        forward.start()
        self._forwards.append(forward)
        return forward


class TcpForward:
    """Accepts on a listening socket and relays each connection to ``target``, one thread
    per direction. The target is opened from the caller's namespace unless ``connect``
    opens it (from inside, for :meth:`NetNamespace.expose_tcp`)."""

    def __init__(
        self,
        listener: socket.socket,
        target: tuple[str, int],
        connect: Callable[[], socket.socket] | None = None,
    ) -> None:
        self.listener = listener
        self.target = target
        self._connect = connect or (lambda: socket.create_connection(self.target, timeout=5))
        self.connections = 0
        self._stop = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept_loop, name="netns-fwd", daemon=True)

    def start(self) -> None:
        self.listener.settimeout(0.1)
        self._thread.start()

    @property
    def port(self) -> int:
        """The port this forward listens on."""
        return int(self.listener.getsockname()[1])

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.listener.close()
        with self._lock:
            sockets = list(self._sockets)
            self._sockets.clear()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def __enter__(self) -> TcpForward:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = self._connect()
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                if self._stop.is_set():
                    client.close()
                    upstream.close()
                    return
                self._sockets.update((client, upstream))
                self.connections += 1
            # The second pump to finish closes both sockets: a forward that carries many
            # short connections (a DNS client's, an HTTP client's) must not pile them up.
            pending = [2]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pump,
                    args=(src, dst, (client, upstream), pending),
                    name="netns-pump",
                    daemon=True,
                ).start()

    def _pump(
        self,
        src: socket.socket,
        dst: socket.socket,
        pair: tuple[socket.socket, socket.socket],
        pending: list[int],
    ) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
        with self._lock:
            pending[0] -= 1
            if pending[0] or not (set(pair) <= self._sockets):
                return  # the other direction still runs, or stop() closes them
            self._sockets.difference_update(pair)
        for sock in pair:
            sock.close()


def listening(pid: int, proto: str) -> set[tuple[str, int]]:
    """Bound IPv4 sockets in the network namespace of ``pid``: ``proto`` is "udp" (all
    unconnected) or "tcp" (LISTEN), as (address, port) pairs from ``/proc/<pid>/net``."""
    try:
        lines = Path(f"/proc/{pid}/net/{proto}").read_text().splitlines()[1:]
    except OSError:
        return set()
    found: set[tuple[str, int]] = set()
    for line in lines:
        fields = line.split()
        local, state = fields[1], fields[3]
        if state != ("0A" if proto == "tcp" else "07"):
            continue
        hex_ip, hex_port = local.split(":")
        ip = socket.inet_ntoa(bytes.fromhex(hex_ip)[::-1])
        found.add((ip, int(hex_port, 16)))
    return found


class BindInNamespace(BindServer):
    """:class:`~testinfra.bind.BindServer` on 127.0.0.1:53 inside a :class:`NetNamespace`,
    so that the namespace's resolver (and every client in it) asks this server."""

    def __init__(
        self,
        netns: NetNamespace,
        zones: Sequence[str] = ("example.test",),
        *,
        tsig: TsigCredentials | None = None,
        options: str = "",
        startup_timeout: float = 20.0,
    ) -> None:
        super().__init__(
            zones,
            port=53,
            tsig=tsig,
            options=options,
            workdir_parent=str(netns.workdir) if netns.workdir else None,
            startup_timeout=startup_timeout,
        )
        self.netns = netns

    def _argv(self, workdir: Path) -> list[str]:
        return self.netns.command(super()._argv(workdir))

    def query(self, name: str, rdtype: str, *, timeout: float = 5.0) -> list[str]:
        """The records the server answers for name/type (TCP from inside, no TSIG)."""
        message = dns.message.make_query(dns.name.from_text(name), dns.rdatatype.from_text(rdtype))
        with self.netns.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect((self.host, self.port))
            sock.setblocking(False)  # dnspython waits with select on the sockets it is given
            answer = dns.query.tcp(message, self.host, port=self.port, timeout=timeout, sock=sock)
        wanted = dns.rdatatype.from_text(rdtype)
        return sorted(
            rdata.to_text() for rrset in answer.answer if rrset.rdtype == wanted for rdata in rrset
        )

    def _wait_ready(self, t0: float) -> None:
        query = dns.message.make_query(f"{MARKER_LABEL}.{self.zones[0]}.", dns.rdatatype.TXT)
        wait = 0.02
        with self.netns.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            while True:
                proc = self._proc
                if proc is None or proc.poll() is not None:
                    code = None if proc is None else proc.returncode
                    problem = f"named in the namespace exited with {code} while starting"
                    raise DnsServerError(start_failure(problem, self.log_path))
                try:
                    answer = dns.query.udp(
                        query, self.host, port=self.port, timeout=wait, sock=sock
                    )
                    if answer.answer and self.marker in answer.answer[0].to_text():
                        return
                except (dns.exception.DNSException, OSError):
                    pass
                if time.monotonic() - t0 > self.startup_timeout:
                    problem = f"named in the namespace not ready after {self.startup_timeout:g}s"
                    raise DnsServerError(start_failure(problem, self.log_path))
                time.sleep(0.005)
                wait = min(wait * 1.5, 0.5)


__all__ = [
    "BindInNamespace",
    "NamespaceError",
    "NetNamespace",
    "TcpForward",
    "available",
    "listening",
]
