"""Which files ``--manifests DIR`` reads: the walk and its symlink policy.

- Every ``*.yaml``/``*.yml`` regular file under DIR, in sub-folders too, is read.
- Symlinks are followed, to files and folders, inside or outside DIR; each real file and
  folder is read once, by its real path if DIR holds it, else through the first link found.
- Entries whose name starts with ``..`` are skipped: they are the kubelet's (a ConfigMap or
  Secret volume is ``..data -> ..2026_12_02_...`` plus ``file.yaml -> ..data/file.yaml``), so
  such a mount is read once, through its visible links.
- Anything that cannot be followed or opened (a broken or looping symlink, a folder without
  permission, a FIFO or device named ``*.yaml``) is listed as a problem, never skipped:
  the caller must then treat the snapshot as incomplete.

See docs/input-safety.md.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from dnssync.errors import SourceError
from dnssync.sources.yaml_input import describe_os_error, file_type, shorten

YAML_SUFFIXES = (".yaml", ".yml")
KUBELET_PREFIX = ".."


@dataclass(frozen=True, slots=True)
class ManifestFile:
    path: Path  # where to open it: the path as found, through its links
    shown: str  # relative to DIR, for messages


@dataclass(frozen=True, slots=True)
class Unreadable:
    shown: str  # relative to DIR
    reason: str


@dataclass(frozen=True, slots=True)
class Listing:
    files: tuple[ManifestFile, ...]
    problems: tuple[Unreadable, ...]


_Key = tuple[int, int]  # (st_dev, st_ino): one real file or folder


@dataclass(frozen=True, slots=True)
class _Folder:
    path: Path
    shown: str
    # The real folders on the way from DIR to this one, with how each was shown: a link
    # back to one of them is a loop.
    ancestors: tuple[tuple[_Key, str], ...]
    key: _Key


@dataclass(slots=True)
class _Walk:
    # Per real file, the best way found to it: not through a link if possible, then first.
    files: dict[_Key, tuple[bool, int, ManifestFile]] = field(default_factory=dict)
    problems: list[Unreadable] = field(default_factory=list)
    seen_folders: set[_Key] = field(default_factory=set)
    real: list[_Folder] = field(default_factory=list)
    linked: list[_Folder] = field(default_factory=list)


def list_manifests(directory: Path) -> Listing:
    """The manifest files under directory and what could not be read there.

    Raises SourceError when directory itself is not a readable folder."""
    try:
        info = os.stat(directory)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise SourceError(
                f"--manifests {directory}: not a directory (it does not exist)"
            ) from None
        raise SourceError(f"--manifests {directory}: {describe_os_error(exc)}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise SourceError(f"--manifests {directory}: not a directory")
    root_key = _key(info)
    walk = _Walk()
    walk.real.append(_Folder(directory, "", ((root_key, ""),), root_key))
    while walk.real or walk.linked:
        # Real sub-folders first, so a file is shown by its real path when a link also
        # leads to it.
        folder = walk.real.pop() if walk.real else walk.linked.pop(0)
        if folder.key in walk.seen_folders:
            continue  # read already, through another path
        walk.seen_folders.add(folder.key)
        _read_folder(folder, walk)
    files = sorted((found for _, _, found in walk.files.values()), key=lambda f: f.shown)
    return Listing(tuple(files), tuple(sorted(walk.problems, key=lambda p: p.shown)))


def _read_folder(folder: _Folder, walk: _Walk) -> None:
    try:
        with os.scandir(folder.path) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        if not folder.shown:
            raise SourceError(
                f"--manifests {folder.path}: cannot be read: {describe_os_error(exc)}"
            ) from None
        walk.problems.append(
            Unreadable(folder.shown + "/", f"folder cannot be opened: {describe_os_error(exc)}")
        )
        return
    real: list[_Folder] = []
    for entry in entries:
        if entry.name.startswith(KUBELET_PREFIX):
            continue
        shown = f"{folder.shown}/{entry.name}" if folder.shown else entry.name
        try:
            is_link = entry.is_symlink()
        except OSError:
            is_link = False
        try:
            info = os.stat(entry.path)  # through the link, if any
        except OSError as exc:
            walk.problems.append(Unreadable(shown, _stat_problem(entry.path, is_link, exc)))
            continue
        key = _key(info)
        if stat.S_ISDIR(info.st_mode):
            loop = next((where for k, where in folder.ancestors if k == key), None)
            if loop is not None:
                back = f"{loop}/" if loop else "the --manifests folder itself"
                walk.problems.append(Unreadable(shown, f"symlink loop: leads back to {back}"))
                continue
            child = _Folder(Path(entry.path), shown, (*folder.ancestors, (key, shown)), key)
            (walk.linked if is_link else real).append(child)
        elif entry.name.endswith(YAML_SUFFIXES):
            kind = file_type(info.st_mode)
            if kind is not None:
                walk.problems.append(Unreadable(shown, f"is {kind}, not a regular file"))
            else:
                found = (is_link, len(walk.files), ManifestFile(Path(entry.path), shown))
                walk.files[key] = min(walk.files.get(key, found), found, key=lambda f: f[:2])
    # Popped from the end: reversed keeps the walk in name order.
    walk.real.extend(reversed(real))


def _stat_problem(path: str, is_link: bool, exc: OSError) -> str:
    if not is_link:
        return f"cannot be read: {describe_os_error(exc)}"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    try:
        target = shorten(os.readlink(path), 120)
    except OSError:
        target = "?"
    if exc.errno == errno.ENOENT:
        return f"broken symlink: its target {target} does not exist"
    return f"symlink to {target} cannot be followed: {describe_os_error(exc)}"


def _key(info: os.stat_result) -> _Key:
    return (info.st_dev, info.st_ino)
