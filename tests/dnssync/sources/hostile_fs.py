"""Hostile file-system layouts for the input-safety tests, and a way to run dnssync so that
file permissions hold even when the tests run as root (as they do in CI).

Root ignores permission bits through the CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
capabilities. A child started by :func:`run_dnssync` drops both from its bounding set before
it executes, so it stays uid 0 (it can still read the root-owned, 0700 checkout and venv,
as their owner) while a mode-000 file or folder really is unreadable to it. As a non-root
user nothing needs dropping.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE = 1
CAP_DAC_READ_SEARCH = 2
REPO = Path(__file__).resolve().parents[3]


def _drop_dac_override() -> None:  # runs in the child, between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def obeying_permissions() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes a child obey file permissions (None when not root)."""
    return _drop_dac_override if os.geteuid() == 0 else None


def run_dnssync(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``python -m dnssync ARGV`` in cwd, obeying file permissions even as root."""
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("DNSSYNC_")}
    child_env.update(env or {})
    child_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), child_env.get("PYTHONPATH", "")) if p
    )
    return subprocess.run(
        [sys.executable, "-m", "dnssync", *argv],
        cwd=cwd,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=obeying_permissions(),
        check=False,
    )


def configmap_mount(
    folder: Path, files: Mapping[str, str], stamp: str = "2026_12_02_10_00_00.123456789"
) -> None:
    """A ConfigMap volume exactly as the kubelet writes it: the files in a timestamped
    folder, ``..data`` linking to it, and one visible link per key through ``..data``."""
    real = folder / f"..{stamp}"
    real.mkdir(parents=True)
    for name, text in files.items():
        (real / name).write_text(text)
    (folder / "..data").symlink_to(real.name)
    for name in files:
        (folder / name).symlink_to(f"..data/{name}")


def fifo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path
