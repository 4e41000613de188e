"""Process-lifecycle pieces shared by the testinfra harnesses.

* :class:`Stoppable`: ``with X(...) as x`` is ``x = X(...).start()`` ... ``x.stop()``.
* :class:`LiveSet`: harnesses still running at interpreter exit get stopped.
* :func:`die_with_parent`: ``preexec_fn`` so a child dies with the test process.
* :func:`stop_process`: SIGTERM, wait, then SIGKILL.
* :func:`free_tcp_port` / :func:`free_tcp_ports`: free TCP ports on 127.0.0.1.
* :func:`wait_until`: poll a check until true or a deadline passes.
* :func:`log_tail` / :func:`start_failure`: what a server that did not start says about
  it: the last :data:`LOG_TAIL_LINES` lines of its own log, once (the pytest plugin
  :mod:`testinfra.pytest_plugin` shows a session fixture's start failure in full only
  for the first test that needed it).
"""

from __future__ import annotations

import atexit
import ctypes
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

LOG_TAIL_LINES = 40
_TAIL_READ_BYTES = 64 * 1024


class Stoppable:
    """Context-manager protocol for harnesses with ``start() -> self`` and ``stop()``."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> object:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _HasStop(Protocol):
    def stop(self) -> object: ...


_T = TypeVar("_T", bound=_HasStop)


class LiveSet(Generic[_T]):
    """Weakly held running objects; :meth:`stop_all` runs at interpreter exit.

    ``label`` starts the message printed if a stop at exit fails; ``{0!r}`` in it is the
    object.
    """

    def __init__(self, label: str) -> None:
        self._label = label
        self._items: weakref.WeakSet[_T] = weakref.WeakSet()
        self._lock = threading.Lock()
        atexit.register(self.stop_all)

    def add(self, item: _T) -> None:
        with self._lock:
            self._items.add(item)

    def discard(self, item: _T) -> None:
        with self._lock:
            self._items.discard(item)

    def stop_all(self) -> None:
        with self._lock:
            items = list(self._items)
        for item in items:
            try:
                item.stop()
            except Exception as exc:  # best effort at exit
                print(f"{self._label.format(item)} at exit failed: {exc}", file=sys.stderr)


def die_with_parent() -> None:  # pragma: no cover - runs in the child after fork
    """Ask Linux to SIGKILL this child when the forking thread dies (PR_SET_PDEATHSIG)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def stop_process(
    proc: subprocess.Popen[bytes], timeout: float, kill_timeout: float | None = None
) -> None:
    """SIGTERM and wait ``timeout``; then SIGKILL and wait ``kill_timeout`` (default
    ``timeout``). Nothing if the process has already exited."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout if kill_timeout is None else kill_timeout)


def free_tcp_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 (all bound at once, then released)."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def free_tcp_port() -> int:
    """A TCP port free on 127.0.0.1."""
    return free_tcp_ports(1)[0]


def wait_until(
    check: Callable[[], bool],
    timeout: float,
    message: str,
    *,
    interval: float = 0.2,
    error: Callable[[str], BaseException] = TimeoutError,
) -> None:
    """Call ``check`` every ``interval`` s until it returns true; after ``timeout`` s raise
    ``error(message)``. ``check`` may raise to give up early."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() >= deadline:
            raise error(message)
        time.sleep(interval)


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file (or why it cannot be read)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - _TAIL_READ_BYTES))
            data = fh.read()
    except OSError as exc:
        return f"<cannot read {path.name}: {exc.strerror or exc}>"
    text = data.decode("utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


def start_failure(problem: str, log: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The message for a server that did not start: ``problem`` (naming the server), then
    the last ``lines`` lines of that server's log, and no other log."""
    return f"{problem}; the last {lines} lines of {log.name}:\n{log_tail(log, lines)}"
