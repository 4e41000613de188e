"""The zone file on disk: what is refused, what a write keeps, and how writers are serialised.

Files that are not regular files never block a read; a symlink out of the directory, a
read-only or hard-linked file is refused with nothing changed; a replacement keeps the
mode, owner and group; a failed write leaves the file as it was and no temporary file;
two applies on one zone never lose an update.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dnssync.errors import ProviderError
from dnssync.model.changes import ChangeGroup
from dnssync.providers.zonefile import ZoneFileProvider, files
from dnssync.testing.builders import create, rrset, update
from testinfra.gates import env_set, require
from tests.dnssync.providers.zonefile.zonefile_kit import FILE, ZONE, temp_files, write_zone

ROOT = os.geteuid() == 0
REPO = Path(__file__).resolve().parents[4]


def needs_root(what: str) -> None:
    # CI runs as root (the network-namespace tests need it too); a laptop may skip.
    require(ROOT, f"{what} needs root", strict=env_set("DNSSYNC_REQUIRE_SERVERS"))


def group(label: str, address: str = "192.0.2.1") -> ChangeGroup:
    return create(ZONE, rrset(f"{label}.example.com", "A", address))


def finishes(action: Callable[[], object], seconds: float = 30) -> BaseException | None:
    """Run ``action`` in a thread; fail (instead of hanging) if it does not finish."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still running after {seconds}s (blocked on the file?)"
    return outcome[0]


# -- what is refused before anything is opened ----------------------------------------


@pytest.fixture
def special(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    path = tmp_path / FILE
    kind = request.param
    if kind == "fifo":
        os.mkfifo(path)
        yield path
    elif kind == "socket":
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.bind(str(path))
            yield path
    elif kind == "chardev":
        needs_root("mknod")
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero: never ends
        yield path
    else:
        path.mkdir()
        yield path


@pytest.mark.parametrize(
    ("special", "kind"),
    [
        ("fifo", "a FIFO"),
        ("socket", "a socket"),
        ("chardev", "a character device"),
        ("dir", "a directory"),
    ],
    indirect=["special"],
)
def test_a_special_file_is_refused_without_blocking(special: Path, kind: str) -> None:
    provider = ZoneFileProvider(special.parent, [ZONE])
    error = finishes(lambda: provider.records(ZONE))
    assert isinstance(error, ProviderError)
    assert str(error) == (
        f"zone file {special} is {kind}, not a regular file; dnssync refuses to read or replace it"
    )
    error = finishes(lambda: provider.apply(ZONE, [group("app")]))
    assert isinstance(error, ProviderError) and kind in str(error)
    assert stat.S_IFMT(os.lstat(special).st_mode) != stat.S_IFREG  # not replaced


def test_a_symlink_out_of_the_directory_is_refused(tmp_path: Path) -> None:
    outside = write_zone(tmp_path / "outside", "")
    before = outside.read_bytes()
    zones = tmp_path / "zones"
    zones.mkdir()
    (zones / FILE).symlink_to(outside)
    provider = ZoneFileProvider(zones, [ZONE])
    for action in (lambda: provider.records(ZONE), lambda: provider.apply(ZONE, [group("a")])):
        with pytest.raises(ProviderError, match=rf"is a symlink to {outside}, outside {zones}"):
            action()
    assert outside.read_bytes() == before
    assert (zones / FILE).is_symlink()


def test_a_symlink_to_dev_zero_is_refused(tmp_path: Path) -> None:
    (tmp_path / FILE).symlink_to("/dev/zero")
    error = finishes(lambda: ZoneFileProvider(tmp_path, [ZONE]).records(ZONE))
    assert isinstance(error, ProviderError) and "outside" in str(error)


@pytest.mark.parametrize("target", ["missing.zone", "loop.zone"])
def test_a_dangling_or_looping_symlink_is_an_error_not_an_empty_zone(
    tmp_path: Path, target: str
) -> None:
    (tmp_path / FILE).symlink_to(tmp_path / target)
    if target == "loop.zone":
        (tmp_path / target).symlink_to(tmp_path / FILE)
    with pytest.raises(ProviderError, match="does not exist or cannot be resolved"):
        ZoneFileProvider(tmp_path, [ZONE]).records(ZONE)


def test_a_symlink_inside_the_directory_is_followed_and_kept(tmp_path: Path) -> None:
    # A ConfigMap-like layout: the zone file links into a versioned folder.
    real = write_zone(tmp_path / "..2026_01_01", "")
    (tmp_path / FILE).symlink_to(Path("..2026_01_01") / FILE)
    provider = ZoneFileProvider(tmp_path, [ZONE])
    result = provider.apply(ZONE, [group("app")])
    assert result.ok
    assert (tmp_path / FILE).is_symlink()
    assert "app.example.com." in real.read_text()
    assert temp_files(real.parent) == []


# -- what a write keeps ---------------------------------------------------------------------


def test_mode_owner_and_group_are_kept(tmp_path: Path) -> None:
    path = write_zone(tmp_path, "")
    os.chmod(path, 0o640)
    owner = (65534, 65534) if ROOT else (os.geteuid(), os.getegid())
    if ROOT:
        os.chown(path, *owner)
    provider = ZoneFileProvider(tmp_path, [ZONE])
    for label in ("one", "two"):
        assert provider.apply(ZONE, [group(label)]).ok
        info = os.stat(path)
        assert stat.S_IMODE(info.st_mode) == 0o640
        assert (info.st_uid, info.st_gid) == owner
    assert "two.example.com." in path.read_text()


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o644)])
def test_a_new_file_is_world_readable_unless_the_umask_says_otherwise(
    tmp_path: Path, umask: int, mode: int
) -> None:
    old = os.umask(umask)
    try:
        assert ZoneFileProvider(tmp_path, [ZONE]).apply(ZONE, [group("app")]).ok
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / FILE).st_mode) == mode


def test_a_read_only_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = write_zone(tmp_path, "")
    os.chmod(path, 0o444)
    before = path.read_bytes(), os.stat(path).st_mtime_ns
    provider = ZoneFileProvider(tmp_path, [ZONE])
    assert provider.records(ZONE) is not None  # reading is fine
    with pytest.raises(ProviderError, match=r"is read-only \(mode 0444\); dnssync does not"):
        provider.apply(ZONE, [group("app")])
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444


def test_a_hard_linked_file_is_refused(tmp_path: Path) -> None:
    path = write_zone(tmp_path, "")
    os.link(path, tmp_path / "copy.zone")
    with pytest.raises(ProviderError, match="has 2 hard links"):
        ZoneFileProvider(tmp_path, [ZONE]).apply(ZONE, [group("app")])


def test_an_owner_that_cannot_be_kept_refuses_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_zone(tmp_path, "")
    before = path.read_bytes()
    info = os.stat(path)

    def not_allowed(fd: int, uid: int, gid: int) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    # What a non-root dnssync meets when the file belongs to someone else.
    monkeypatch.setattr(os, "fchown", not_allowed)
    monkeypatch.setattr(files.os, "fstat", lambda fd: _other_owner(os.stat(path), info))
    with pytest.raises(ProviderError, match=r"which uid \d+ cannot give a new file"):
        ZoneFileProvider(tmp_path, [ZONE]).apply(ZONE, [group("app")])
    assert path.read_bytes() == before
    assert temp_files(tmp_path) == []


def _other_owner(current: os.stat_result, original: os.stat_result) -> os.stat_result:
    fields = list(current)
    fields[stat.ST_UID] = original.st_uid + 1
    return os.stat_result(fields)


# -- failed writes --------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["write", "fsync", "replace", "fchmod"])
def test_a_failed_write_leaves_the_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    path = write_zone(tmp_path, 'keep 300 TXT "a" "b"\n')
    before = path.read_bytes()
    real = getattr(os, step)
    calls: list[int] = []

    def disk_full(*args: object, **kwargs: object) -> object:
        calls.append(1)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, step, disk_full)
    provider = ZoneFileProvider(tmp_path, [ZONE])
    for _ in range(3):  # every retry fails the same way and leaves nothing behind
        with pytest.raises(ProviderError, match="no space left on the device; the file is"):
            provider.apply(ZONE, [group("app")])
        assert temp_files(tmp_path) == []
        assert path.read_bytes() == before
    assert calls
    monkeypatch.setattr(files.os, step, real)
    assert provider.apply(ZONE, [group("app")]).ok


def test_a_really_full_filesystem(tmp_path: Path) -> None:
    """dnssync apply on a 16 KiB tmpfs holding a 10 KiB zone file: no space for the new
    copy. Runs in a private mount namespace, so nothing on the host is mounted."""
    needs_root("mounting a tmpfs")
    zones = tmp_path / "zones"
    zones.mkdir()
    filler = "".join(f'f{i} 300 TXT "{"x" * 80}"\n' for i in range(100))
    script = f"""
import os, sys
from pathlib import Path
sys.path.insert(0, {str(REPO)!r})
from dnssync.errors import ProviderError
from dnssync.providers.zonefile import ZoneFileProvider
from dnssync.testing.builders import create, rrset
from tests.dnssync.providers.zonefile.zonefile_kit import ZONE, write_zone
zones = Path({str(zones)!r})
path = write_zone(zones, {filler!r})
before = path.read_bytes()
provider = ZoneFileProvider(zones, [ZONE])
for attempt in range(3):
    try:
        provider.apply(ZONE, [create(ZONE, rrset("app.example.com", "A", "192.0.2.1"))])
    except ProviderError as exc:
        print("error:", exc)
    else:
        print("applied")
print("same:", path.read_bytes() == before)
print("entries:", sorted(os.listdir(zones)))
"""
    mount = f'mount -t tmpfs -o size=16k tmpfs {zones} && exec {sys.executable} -c "$0"'
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[:3]
        == [
            f"error: cannot write zone file {zones / FILE}: no space left on the device; the file "
            "is unchanged"
        ]
        * 3
    )
    assert lines[3:] == ["same: True", f"entries: ['.{FILE}.lock', '{FILE}']"]


def test_temporary_files_of_a_killed_writer_are_removed_under_the_lock(tmp_path: Path) -> None:
    write_zone(tmp_path, "")
    stale = tmp_path / f".{FILE}.0123456789abcdef.tmp"
    stale.write_text("half a zone")
    unrelated = tmp_path / ".other.zone.0123456789abcdef.tmp"
    unrelated.write_text("not ours")
    assert ZoneFileProvider(tmp_path, [ZONE]).apply(ZONE, [group("app")]).ok
    assert not stale.exists()
    assert unrelated.exists()


# -- serialised writers ---------------------------------------------------------------------


def test_a_held_lock_makes_the_apply_wait_then_fail_clearly(tmp_path: Path) -> None:
    path = write_zone(tmp_path, "")
    before = path.read_bytes()
    zone_file = files.locate(tmp_path, FILE)
    provider = ZoneFileProvider(tmp_path, [ZONE], lock_timeout=0.3)
    with files.locked(zone_file):
        with pytest.raises(ProviderError, match="is locked by another writer"):
            provider.apply(ZONE, [group("app")])
    assert path.read_bytes() == before
    assert provider.apply(ZONE, [group("app")]).ok


def test_concurrent_applies_never_lose_an_update(tmp_path: Path) -> None:
    """Writers in parallel threads (each flock is its own open file), each adding its own
    records: every record is in the file at the end, none reported applied and lost."""
    write_zone(tmp_path, "")
    writers, rounds = 4, 10
    barrier = threading.Barrier(writers)
    applied: list[str] = []
    lock = threading.Lock()

    def writer(index: int) -> None:
        provider = ZoneFileProvider(tmp_path, [ZONE])
        for turn in range(rounds):
            barrier.wait(timeout=60)
            label = f"w{index}-{turn}"
            result = provider.apply(ZONE, [group(label, f"192.0.2.{index + 1}")])
            assert result.ok, [f.message for f in result.failed]
            with lock:
                applied.append(label)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    held = {r.name.first_label for r in ZoneFileProvider(tmp_path, [ZONE]).records(ZONE)}
    assert len(applied) == writers * rounds
    assert set(applied) <= held
    assert temp_files(tmp_path) == []


def test_the_same_create_from_two_writers_applies_once_and_conflicts_once(
    tmp_path: Path,
) -> None:
    write_zone(tmp_path, "")
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def writer(address: str) -> None:
        provider = ZoneFileProvider(tmp_path, [ZONE])
        barrier.wait(timeout=60)
        result = provider.apply(ZONE, [group("same", address)])
        results.append(result.ok)
        if not result.ok:
            assert result.failed[0].conflict
            assert "already exists" in result.failed[0].message

    threads = [threading.Thread(target=writer, args=(a,)) for a in ("192.0.2.1", "192.0.2.2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [False, True]


def test_a_stale_plan_is_a_conflict_not_a_clobber(tmp_path: Path) -> None:
    write_zone(tmp_path, "app 300 A 192.0.2.1\n")
    first, second = ZoneFileProvider(tmp_path, [ZONE]), ZoneFileProvider(tmp_path, [ZONE])
    seen = rrset("app.example.com", "A", "192.0.2.1")
    assert first.apply(ZONE, [update(ZONE, seen, rrset("app.example.com", "A", "192.0.2.2"))]).ok
    stale = second.apply(ZONE, [update(ZONE, seen, rrset("app.example.com", "A", "192.0.2.3"))])
    assert not stale.applied and stale.failed[0].conflict
    (held,) = [r for r in second.records(ZONE) if r.name.first_label == "app"]
    assert held.value_texts() == ["192.0.2.2"]
