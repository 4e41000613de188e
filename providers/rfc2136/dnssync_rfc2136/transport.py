"""DNS over TCP with a deadline on every step, counted, and errors in plain words.

Every step of a request (name lookup aside: give ``--rfc2136-host`` as an address to bound
it too) runs against one deadline: the connect, over every address of the host together,
each send and each read. A zone transfer has a total deadline and, in addition, a bound on
the silence between two reads, so a peer that accepts and never answers costs seconds,
not the whole transfer budget.

Every request opens its own TCP connection (UPDATEs can reach 64 KiB, beyond what UDP
carries reliably), is counted in the provider's :class:`RequestCounter` by operation and
result, and adds its bytes to the counter. Network, timeout and TSIG failures become
:class:`ProviderError` with a message that names the server and the key, never the secret.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Iterator

import dns.exception
import dns.message
import dns.rcode

from dnssync.errors import ProviderError
from dnssync.providers.base import RequestCounter

from .errors import BadAnswer, UnsignedAnswer, describe_exception

_FRAME = struct.Struct("!H")


class Connection:
    """One TCP connection to the server with a fixed deadline (and, when ``idle`` is set,
    at most that many seconds of waiting for each read or send)."""

    def __init__(
        self,
        sock: socket.socket,
        deadline: float,
        counter: RequestCounter,
        idle: float | None = None,
    ) -> None:
        self._sock = sock
        self._deadline = deadline
        self._counter = counter
        self._idle = idle
        # Whether the last wait was cut by the silence bound rather than the deadline.
        self.idle_bound = False
        # What the request counter records for this exchange when it ends without error.
        self.result = "ok"

    def send(self, wire: bytes) -> None:
        self._settimeout()
        self._sock.sendall(_FRAME.pack(len(wire)) + wire)
        self._counter.bytes_sent += len(wire) + _FRAME.size

    def receive(self) -> bytes:
        (length,) = _FRAME.unpack(self._read(_FRAME.size))
        wire = self._read(length)
        self._counter.bytes_received += length + _FRAME.size
        return wire

    def _read(self, count: int) -> bytes:
        chunks: list[bytes] = []
        while count:
            self._settimeout()
            chunk = self._sock.recv(count)
            if not chunk:
                raise EOFError("connection closed")
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def _settimeout(self) -> None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        self.idle_bound = self._idle is not None and self._idle < remaining
        self._sock.settimeout(remaining if self._idle is None else min(remaining, self._idle))


class Transport:
    def __init__(
        self,
        host: str,
        port: int,
        counter: RequestCounter,
        *,
        timeout: float,
        key_name: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._counter = counter
        self._key_name = key_name

    @property
    def server(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @contextlib.contextmanager
    def session(
        self, operation: str, timeout: float | None = None, *, idle: float | None = None
    ) -> Iterator[Connection]:
        """A connection for one request, all of it within ``timeout`` seconds (and no wait
        longer than ``idle``); any failure inside becomes a ProviderError."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        connection: Connection | None = None
        silenced = False
        try:
            # Connecting is waiting too: a host that never answers the handshake costs at
            # most the silence bound, not the whole budget of a transfer.
            connect_by = deadline if idle is None else min(deadline, time.monotonic() + idle)
            silenced = connect_by < deadline
            with _connect(self.host, self.port, connect_by) as sock:
                connection = Connection(sock, deadline, self._counter, idle)
                silenced = False
                yield connection
        except ProviderError:
            # Raised by the caller on an answer it cannot use (e.g. a refused transfer).
            self._counter.count(operation, connection.result if connection else "error")
            raise
        except (OSError, EOFError, BadAnswer, UnsignedAnswer, dns.exception.DNSException) as exc:
            result, reason = describe_exception(exc, self._key_name)
            self._counter.count(operation, result)
            if result == "timeout":
                if connection.idle_bound if connection is not None else silenced:
                    reason = f"the server went silent for {idle:g}s"
                else:
                    reason = f"no answer within {limit:g}s"
            raise ProviderError(f"rfc2136: {operation} to {self.server} failed: {reason}") from exc
        assert connection is not None
        self._counter.count(operation, connection.result)

    def exchange(
        self,
        operation: str,
        message: dns.message.Message,
        timeout: float | None = None,
        *,
        wire: bytes | None = None,
    ) -> dns.message.Message:
        """Send one message and return the verified answer (any rcode).

        ``wire``: the message as last rendered (and signed) by ``message.to_wire()``.
        """
        if wire is None:
            wire = message.to_wire()
        with self.session(operation, timeout) as connection:
            connection.send(wire)
            raw = connection.receive()
            try:
                answer = dns.message.from_wire(
                    raw, keyring=message.keyring, request_mac=message.mac
                )
            except dns.exception.FormError:
                rcode = _unsigned_rcode(raw) if message.keyring else None
                if rcode is None:
                    raise
                raise UnsignedAnswer(rcode) from None
            if not message.is_response(answer):
                raise BadAnswer("the answer does not match the request")
            rcode = answer.rcode()
            if rcode != dns.rcode.NOERROR:
                connection.result = dns.rcode.to_text(rcode).lower()
        return answer


def _connect(host: str, port: int, deadline: float) -> socket.socket:
    """A connected socket, trying each address of the host in turn, all by the deadline
    (``socket.create_connection`` would give every address the whole timeout)."""
    last: OSError | None = None
    for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(remaining)
            sock.connect(address)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        return sock
    if last is not None and not isinstance(last, TimeoutError):
        raise last
    raise TimeoutError("connect deadline passed")


def _unsigned_rcode(wire: bytes) -> dns.rcode.Rcode | None:
    """The rcode of an answer that lacks the TSIG it should have, for the error message only."""
    try:
        answer = dns.message.from_wire(wire, keyring=False)
    except dns.exception.DNSException:
        return None
    return None if answer.had_tsig else answer.rcode()
