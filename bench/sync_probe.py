"""Run a ClusterSource until synced and report time and memory as one JSON line.

    python -m bench.sync_probe --kubeconfig F [--context C]
        [--namespace NS ...] [--hold SECONDS] [--timeout SECONDS]

Used by ``bench/informer.py`` in a process of its own, so the RSS is the source's alone
(what the daemon's process would carry), not the benchmark's.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from collections.abc import Sequence


def rss_mb() -> float:
    """Current resident set size in MiB (Linux /proc; peak RSS elsewhere)."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak RSS of this process image in MiB.

    Linux's VmHWM, not ``ru_maxrss``: the latter also counts the parent's memory copied at
    fork, before exec, so a child of a big process would report the parent's size.
    """
    try:
        with open(f"/proc/{os.getpid()}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_probe")
    parser.add_argument("--kubeconfig")
    parser.add_argument("--context")
    parser.add_argument("--namespace", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--hold", type=float, default=0.0, help="keep watching this long")
    args = parser.parse_args(argv)

    from dnssync.sources.filters import ObjectFilter
    from dnssync.sources.kube.client import ClientSettings, connect
    from dnssync.sources.kube.source import ClusterSource

    # dnssync loaded; connect() loads the official client only for exec plugins and such
    imported_rss = rss_mb()
    api = connect(ClientSettings(args.kubeconfig, args.context))
    source = ClusterSource(
        api, object_filter=ObjectFilter(namespaces=tuple(args.namespace)), owns_api=True
    )
    started = time.monotonic()
    source.start()
    synced = source.wait_synced(args.timeout)
    sync_seconds = time.monotonic() - started
    snapshot = source.snapshot()
    if args.hold > 0:
        time.sleep(args.hold)
    gc.collect()
    report = {
        "synced": synced,
        "complete": snapshot.complete,
        "objects": len(snapshot.objects),
        "unreadable": len(snapshot.unreadable),
        "sync_seconds": round(sync_seconds, 3),
        "rss_before_client_mb": round(imported_rss, 1),
        "rss_synced_mb": round(rss_mb(), 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "last_error": source.last_error,
    }
    source.stop()
    print(json.dumps(report), flush=True)
    return 0 if synced else 1


if __name__ == "__main__":
    sys.exit(main())
