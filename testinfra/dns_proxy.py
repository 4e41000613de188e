"""A counting DNS forwarder on loopback: how many messages each tool sends to the server.

Clients talk to the proxy (UDP and TCP on the same port); every message is passed on
byte for byte to the upstream server (so TSIG signatures stay valid) and the answers
come back the same way. Each message a client sends is classified from its header and
question, without TSIG verification:

* ``axfr`` / ``ixfr``: zone transfer requests (one per transfer, however many answer
  messages the server streams back);
* ``update``: RFC 2136 UPDATE messages; ``update_rrs`` adds up their update sections;
* ``query:<TYPE>``: other queries (``query:SOA`` for serial checks, ...);
* ``notify``, ``opcode:<n>``, ``malformed``: the rest.

Counts are split by transport too (``udp`` / ``tcp``) and bytes are summed both ways.

Library use::

    from testinfra.dns_proxy import DnsCountingProxy

    with BindServer(("bench.test",)) as bind, DnsCountingProxy(bind.host, bind.port) as proxy:
        ...  # point the tool at proxy.host:proxy.port
        proxy.snapshot()   # {"axfr": 1, "update": 12, "update_rrs": 600, "query:SOA": 3, ...}
        proxy.reset()
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections import Counter
from typing import Self

from testinfra.bind import LOOPBACK, free_port
from testinfra.lifecycle import Stoppable

OPCODE_QUERY = 0
OPCODE_NOTIFY = 4
OPCODE_UPDATE = 5
_QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 16: "TXT", 28: "AAAA", 33: "SRV"}
_QTYPE_AXFR = 252
_QTYPE_IXFR = 251


def classify(wire: bytes) -> tuple[str, int]:
    """``(category, update_rr_count)`` of one client message (see the module doc)."""
    if len(wire) < 12:
        return "malformed", 0
    _id, flags, qdcount, _ancount, nscount, _arcount = struct.unpack("!HHHHHH", wire[:12])
    if flags & 0x8000:  # a response sent by a client: not expected
        return "response", 0
    opcode = (flags >> 11) & 0xF
    if opcode == OPCODE_UPDATE:
        return "update", nscount
    if opcode == OPCODE_NOTIFY:
        return "notify", 0
    if opcode != OPCODE_QUERY:
        return f"opcode:{opcode}", 0
    if qdcount < 1:
        return "query:none", 0
    qtype = _question_type(wire)
    if qtype is None:
        return "malformed", 0
    if qtype == _QTYPE_AXFR:
        return "axfr", 0
    if qtype == _QTYPE_IXFR:
        return "ixfr", 0
    return f"query:{_QTYPES.get(qtype, str(qtype))}", 0


def _question_type(wire: bytes) -> int | None:
    pos = 12
    while pos < len(wire):
        length = wire[pos]
        if length == 0:
            pos += 1
            break
        if length & 0xC0 == 0xC0:  # compression pointer (unusual in a question)
            pos += 2
            break
        pos += 1 + length
    if pos + 2 > len(wire):
        return None
    return int(struct.unpack("!H", wire[pos : pos + 2])[0])


class DnsCountingProxy(Stoppable):
    """UDP + TCP forwarder to ``upstream_host:upstream_port`` that counts client messages."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        timeout: float = 30.0,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = host
        self.port = port or free_port()
        self.timeout = timeout
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()

    # ------------------------------------------------------------------ counts

    def _count(self, wire: bytes, transport: str) -> None:
        category, rrs = classify(wire)
        with self._lock:
            self._counts[category] += 1
            self._counts[f"{transport}:{category}"] += 1
            self._counts["messages"] += 1
            self._counts["bytes_in"] += len(wire)
            if rrs:
                self._counts["update_rrs"] += rrs

    def _count_bytes_out(self, size: int) -> None:
        with self._lock:
            self._counts["bytes_out"] += size

    def snapshot(self) -> dict[str, int]:
        """The counts so far (a copy)."""
        with self._lock:
            return dict(self._counts)

    def reset(self) -> dict[str, int]:
        """Return the counts so far and start again from zero."""
        with self._lock:
            counts = dict(self._counts)
            self._counts.clear()
            return counts

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((self.host, self.port))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind((self.host, self.port))
        tcp.listen(64)
        udp.settimeout(0.5)
        tcp.settimeout(0.5)
        self._udp, self._tcp = udp, tcp
        for target, name in ((self._serve_udp, "udp"), (self._serve_tcp, "tcp")):
            thread = threading.Thread(target=target, name=f"dns-proxy-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.close()
        for sock in (self._udp, self._tcp):
            if sock is not None:
                sock.close()
        self._udp = self._tcp = None

    def __repr__(self) -> str:
        up_host, up_port = self.upstream
        return f"<DnsCountingProxy {self.host}:{self.port} -> {up_host}:{up_port}>"

    # ------------------------------------------------------------------ UDP

    def _serve_udp(self) -> None:
        assert self._udp is not None
        sock = self._udp
        while not self._stop.is_set():
            try:
                wire, client = sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self._count(wire, "udp")
            threading.Thread(
                target=self._udp_exchange, args=(sock, wire, client), daemon=True
            ).start()

    def _udp_exchange(self, sock: socket.socket, wire: bytes, client: tuple[str, int]) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
            up.settimeout(self.timeout)
            try:
                up.sendto(wire, self.upstream)
                answer = up.recv(65535)
            except OSError:
                return  # the client times out as it would against a dead server
        self._count_bytes_out(len(answer))
        with contextlib.suppress(OSError):
            sock.sendto(answer, client)

    # ------------------------------------------------------------------ TCP

    def _serve_tcp(self) -> None:
        assert self._tcp is not None
        listener = self._tcp
        while not self._stop.is_set():
            try:
                conn, _addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_session, args=(conn,), daemon=True).start()

    def _tcp_session(self, conn: socket.socket) -> None:
        try:
            up = socket.create_connection(self.upstream, timeout=self.timeout)
        except OSError:
            conn.close()
            return
        conn.settimeout(None)
        up.settimeout(None)
        with self._lock:
            self._conns.update((conn, up))
        back = threading.Thread(target=self._pump_back, args=(up, conn), daemon=True)
        back.start()
        try:
            while True:
                head = _recv_exact(conn, 2)
                if head is None:
                    break
                (length,) = struct.unpack("!H", head)
                body = _recv_exact(conn, length)
                if body is None:
                    break
                self._count(body, "tcp")
                up.sendall(head + body)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                up.shutdown(socket.SHUT_WR)
            back.join(timeout=self.timeout)
            for sock in (conn, up):
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                self._conns.difference_update((conn, up))

    def _pump_back(self, up: socket.socket, conn: socket.socket) -> None:
        try:
            while True:
                data = up.recv(65536)
                if not data:
                    break
                self._count_bytes_out(len(data))
                conn.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_WR)


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        data = sock.recv(size - len(chunks))
        if not data:
            return None
        chunks += data
    return bytes(chunks)
