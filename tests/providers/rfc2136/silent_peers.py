"""Loopback TCP peers that misbehave in bounded ways, for the rfc2136 timeout tests.

Each peer runs in a thread that ends when the peer is closed; every wait in it has a
timeout, so a test can never hang on the peer itself.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Self

import dns.message


class Peer:
    """A listening socket on 127.0.0.1 and, for the active kinds, a thread serving it.

    ``kind``:
      * ``backlog``: listens, never accepts (the kernel completes the handshake);
      * ``silent``: accepts, reads the query, says nothing;
      * ``half``: accepts, answers the AXFR with a first message cut in the middle;
      * ``trickle``: accepts, then sends one byte of a length prefix every ``pause`` s;
      * ``full``: a listen backlog that is already full, so a connect is never answered.
    """

    def __init__(self, kind: str, *, pause: float = 0.2) -> None:
        self.kind = kind
        self.pause = pause
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(0 if kind == "full" else 8)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fillers: list[socket.socket] = []

    @property
    def port(self) -> int:
        return int(self._server.getsockname()[1])

    def __enter__(self) -> Self:
        if self.kind == "full":
            self._fill_backlog()
        elif self.kind != "backlog":
            self._thread = threading.Thread(target=self._serve, daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._server.close()
        for filler in self._fillers:
            filler.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _fill_backlog(self) -> None:
        # With a backlog of 0 Linux queues one connection; further SYNs are dropped, so
        # the next connect gets no answer at all.
        for _ in range(4):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", self.port))
            self._fillers.append(filler)

    def _serve(self) -> None:
        self._server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(0.1)
                query = self._read_query(conn)
                if self.kind == "half" and query is not None:
                    self._send_half(conn, query)
                elif self.kind == "trickle":
                    self._trickle(conn)
                self._stop.wait(30)  # stay connected and silent until closed

    def _read_query(self, conn: socket.socket) -> dns.message.Message | None:
        data = b""
        while not self._stop.is_set():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
            if len(data) >= 2 and len(data) >= 2 + struct.unpack("!H", data[:2])[0]:
                return dns.message.from_wire(data[2:], keyring=False, ignore_trailing=True)
        return None

    def _send_half(self, conn: socket.socket, query: dns.message.Message) -> None:
        answer = dns.message.make_response(query)
        wire = answer.to_wire()
        with contextlib.suppress(OSError):
            conn.sendall(struct.pack("!H", len(wire) + 100) + wire[: len(wire) // 2])

    def _trickle(self, conn: socket.socket) -> None:
        # A length prefix of 0xFFFF, one byte at a time, then the body one byte at a time.
        for _ in range(10_000):
            if self._stop.wait(self.pause):
                return
            try:
                conn.sendall(b"\xff")
            except OSError:
                return


@contextlib.contextmanager
def peer(kind: str, *, pause: float = 0.2) -> Iterator[Peer]:
    with Peer(kind, pause=pause) as running:
        yield running
