"""A throw-away Knot DNS ``knotd`` on loopback: the second RFC 2136 server for interop tests.

Same interface as :class:`testinfra.bind.BindServer` (free port, temp dir, TSIG-only
UPDATE and AXFR, readiness by marker, bounded waits, always stopped)::

    from testinfra.knot import KnotServer

    with KnotServer(zones=("example.test",)) as knot:
        knot.provider_options()

Knot details:

* knotd does not create ``database.storage``; without it every UPDATE gets SERVFAIL
  ("DDNS, processing failed (not exists)"), so the directory is made here.
* ``journal-db-mode: asynchronous``: the default fsyncs per UPDATE (about 10 ms each).
* ``zonefile-sync: -1``: changes live in the journal and survive a restart; the zone file
  is never rewritten.
* Knot answers an unsigned UPDATE with NOTAUTH (BIND: REFUSED).

By hand: ``python -m testinfra.knot [ZONE ...]``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from testinfra.bind import DnsServer, TsigCredentials

KNOTD = "/usr/sbin/knotd"

KNOT_CONF = """
server:
    rundir: "{dir}"
    listen: [ 127.0.0.1@{port}, ::1@{port} ]
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "{dir}/knot.sock"
database:
    storage: "{dir}/db"
    journal-db-max-size: 256M
    journal-db-mode: asynchronous
log:
  - target: stderr
    any: info
key:
  - id: {key}
    algorithm: {algorithm}
    secret: {secret}
acl:
  - id: ddns
    key: {key}
    action: [update, transfer]
template:
  - id: default
    storage: "{dir}"
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: all
zone:
{zones}
"""


class KnotServer(DnsServer):
    kind = "knot"

    def __init__(
        self,
        zones: Sequence[str] = ("example.test",),
        *,
        port: int = 0,
        tsig: TsigCredentials | None = None,
        knotd: str = KNOTD,
        workdir_parent: str | None = None,
        startup_timeout: float = 20.0,
        stop_timeout: float = 10.0,
    ) -> None:
        super().__init__(
            zones,
            port=port,
            tsig=tsig,
            workdir_parent=workdir_parent,
            startup_timeout=startup_timeout,
            stop_timeout=stop_timeout,
        )
        self.knotd = knotd

    @property
    def log_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "knotd.log"

    def _write_config(self, workdir: Path) -> None:
        (workdir / "db").mkdir(exist_ok=True)
        zones = "".join(f"  - domain: {zone}\n    acl: ddns\n" for zone in self.zones)
        (workdir / "knot.conf").write_text(
            KNOT_CONF.format(
                dir=workdir,
                port=self.port,
                key=self.tsig.key_name,
                algorithm=self.tsig.algorithm,
                secret=self.tsig.secret,
                zones=zones,
            )
        )

    def _argv(self, workdir: Path) -> list[str]:
        return [self.knotd, "-c", str(workdir / "knot.conf")]


def available(binary: str = KNOTD) -> bool:
    return os.access(binary, os.X_OK)


def main(argv: Sequence[str] | None = None) -> int:
    zones = list(argv if argv is not None else sys.argv[1:]) or ["example.test"]
    with KnotServer(zones) as server:
        print(f"knotd pid {server.pid} on {server.host}:{server.port}, dir {server.workdir}")
        print("flags:", " ".join(server.cli_flags()))
        print(f"export DNSSYNC_RFC2136_TSIG_SECRET='{server.tsig.secret}'")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
