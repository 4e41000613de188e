"""Safe access to one zone file on disk: find it, read it, lock it, replace it.

A zone file is input like any other (docs/providers/zonefile.md): a FIFO, device or
socket in its place, a symlink out of the zone directory or a dangling one is refused
before anything is opened for reading; opens never block; a file dnssync may not write, or
one with several hard links, is refused before anything changes. A replacement keeps the
file's mode, owner and group, goes through a temporary file in the same directory that is
removed on every failure path, and happens under a per-file lock so that the exact-state
check and the write of one apply are never interleaved with another's.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dnssync.errors import ProviderError

# A zone file larger than this is refused rather than read into memory.
MAX_FILE_BYTES = 256 * 1024 * 1024
# New files: readable by a name server running as another user; the umask still applies.
NEW_FILE_MODE = 0o644
LOCK_TIMEOUT = 30.0
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC | os.O_NOFOLLOW
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


@dataclass(frozen=True, slots=True)
class ZoneFile:
    """Where a zone's file lives: ``shown`` is the path users configured (for messages),
    ``real`` the regular file behind it (a symlink inside the directory is followed)."""

    shown: Path
    real: Path

    @property
    def lock_path(self) -> Path:
        return self.real.with_name(f".{self.real.name}.lock")

    def temp_path(self) -> Path:
        return self.real.with_name(f".{self.real.name}.{secrets.token_hex(8)}.tmp")

    def is_temp(self, path: Path) -> bool:
        pattern = rf"\.{re.escape(self.real.name)}\.[0-9a-f]{{16}}\.tmp"
        return re.fullmatch(pattern, path.name) is not None


def locate(directory: Path, name: str) -> ZoneFile:
    """The zone file ``directory/name``; a symlink must stay inside the directory."""
    shown = directory / name
    try:
        info = os.lstat(shown)
    except FileNotFoundError:
        return ZoneFile(shown, shown)
    except OSError as exc:
        raise ProviderError(f"cannot read zone file {shown}: {exc.strerror or exc}") from None
    if not stat.S_ISLNK(info.st_mode):
        return ZoneFile(shown, shown)
    base = Path(os.path.realpath(directory))
    real = Path(os.path.realpath(shown))
    if real != base and base not in real.parents:
        raise ProviderError(
            f"zone file {shown} is a symlink to {real}, outside {directory}; dnssync reads and "
            "writes only files inside its --zonefile-dir"
        )
    if not os.path.lexists(real) or os.path.islink(real):
        raise ProviderError(
            f"zone file {shown} is a symlink to {real}, which does not exist or cannot be resolved"
        )
    return ZoneFile(shown, real)


def _kind(mode: int) -> str | None:
    """What a non-regular file is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def _check_regular(zone_file: ZoneFile, info: os.stat_result) -> None:
    kind = _kind(info.st_mode)
    if kind is not None:
        raise ProviderError(
            f"zone file {zone_file.shown} is {kind}, not a regular file; dnssync refuses to "
            "read or replace it"
        )


def existing(zone_file: ZoneFile) -> os.stat_result | None:
    """The file's status, None when there is no file; refuses anything but a regular file."""
    try:
        info = os.stat(zone_file.real, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ProviderError(
            f"cannot read zone file {zone_file.shown}: {exc.strerror or exc}"
        ) from None
    _check_regular(zone_file, info)
    return info


def read_bytes(zone_file: ZoneFile) -> bytes | None:
    """The file's content, None when there is no file. Never blocks: the type is checked
    before the open (a FIFO or device is never opened) and again on the open descriptor."""
    before = existing(zone_file)
    if before is None:
        return None
    try:
        fd = os.open(zone_file.real, _READ_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ProviderError(
            f"cannot read zone file {zone_file.shown}: {exc.strerror or exc}"
        ) from None
    with open(fd, "rb", closefd=True) as handle:
        info = os.fstat(handle.fileno())
        _check_regular(zone_file, info)
        if info.st_size > MAX_FILE_BYTES:
            raise ProviderError(
                f"zone file {zone_file.shown} is {info.st_size} bytes, more than the "
                f"{MAX_FILE_BYTES} dnssync reads"
            )
        try:
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise ProviderError(
                f"cannot read zone file {zone_file.shown}: {exc.strerror or exc}"
            ) from None
    if len(data) > MAX_FILE_BYTES:
        raise ProviderError(f"zone file {zone_file.shown} grew beyond {MAX_FILE_BYTES} bytes")
    return data


def check_writable(zone_file: ZoneFile, info: os.stat_result) -> None:
    """Refuse, before anything changes, to replace a file that is not ours to replace."""
    mode = stat.S_IMODE(info.st_mode)
    if not mode & 0o222:
        raise ProviderError(
            f"zone file {zone_file.shown} is read-only (mode {mode:04o}); dnssync does not "
            "replace it (make it writable to let dnssync manage it)"
        )
    if os.geteuid() != 0 and not os.access(zone_file.real, os.W_OK):
        raise ProviderError(
            f"zone file {zone_file.shown} is not writable for uid {os.geteuid()} "
            f"(mode {mode:04o}, owner {info.st_uid}:{info.st_gid})"
        )
    if info.st_nlink > 1:
        raise ProviderError(
            f"zone file {zone_file.shown} has {info.st_nlink} hard links; replacing it would "
            "leave the other names with the old content"
        )


@contextlib.contextmanager
def locked(zone_file: ZoneFile, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the zone's lock file (``.<file>.lock`` beside it, flock) for a read-check-write."""
    path = zone_file.lock_path
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise ProviderError(
            f"cannot lock zone file {zone_file.shown} ({path}): {exc.strerror or exc}"
        ) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ProviderError(f"lock file {path} is not a regular file")
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ProviderError(
                        f"zone file {zone_file.shown} is locked by another writer ({path}) "
                        f"for more than {timeout:g}s"
                    ) from None
                time.sleep(0.02)
            except OSError as exc:
                raise ProviderError(f"cannot lock {path}: {exc.strerror or exc}") from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def remove_stale_temps(zone_file: ZoneFile) -> None:
    """Remove temporary files a killed writer left (only under the lock: none is live)."""
    try:
        entries = list(zone_file.real.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        if zone_file.is_temp(entry):
            with contextlib.suppress(OSError):
                entry.unlink()


def replace(zone_file: ZoneFile, data: bytes, info: os.stat_result | None) -> None:
    """Atomically replace the file with ``data``, keeping the mode, owner and group of the
    file it replaces (``info``); a new file gets 0644 minus the umask. On any failure the
    temporary file is removed and the old file is left as it was."""
    target = zone_file.real
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProviderError(
            f"cannot write zone file {zone_file.shown}: {exc.strerror or exc}"
        ) from None
    temp = zone_file.temp_path()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(temp, flags, NEW_FILE_MODE)
    except OSError as exc:
        raise ProviderError(
            f"cannot write zone file {zone_file.shown}: {exc.strerror or exc}"
        ) from None
    try:
        try:
            _write_all(fd, data)
            if info is not None:
                _keep_attributes(zone_file, fd, info)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise ProviderError(
                f"cannot write zone file {zone_file.shown}: {_describe(exc)}; the file is unchanged"
            ) from None
        raise
    _sync_directory(target.parent)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _keep_attributes(zone_file: ZoneFile, fd: int, info: os.stat_result) -> None:
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) != (info.st_uid, info.st_gid):
        try:
            os.fchown(fd, info.st_uid, info.st_gid)
        except PermissionError:
            raise ProviderError(
                f"zone file {zone_file.shown} belongs to {info.st_uid}:{info.st_gid}, which "
                f"uid {os.geteuid()} cannot give a new file; the file is unchanged"
            ) from None
    # After chown, which may clear set-id bits.
    os.fchmod(fd, stat.S_IMODE(info.st_mode))


def _sync_directory(directory: Path) -> None:
    # Durability of the rename; the data is already in place, so a failure here is no error.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _describe(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    return exc.strerror or str(exc)
