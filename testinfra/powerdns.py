"""A throw-away PowerDNS Authoritative ``pdns_server`` on loopback: the third RFC 2136 server
for interop tests (Debian's ``pdns-server`` with ``pdns-backend-sqlite3``).

Same interface as :class:`testinfra.bind.BindServer` (free port, temp dir, TSIG-only
UPDATE and AXFR, readiness by marker, bounded waits, always stopped)::

    from testinfra.powerdns import PowerDnsServer

    with PowerDnsServer(zones=("example.test",)) as pdns:
        pdns.provider_options()

PowerDNS details:

* ``--config-dir`` makes it read only our ``pdns.conf``, never ``/etc/powerdns``.
* DNS UPDATE needs ``dnsupdate=yes``, an address allowed by ``allow-dnsupdate-from`` and,
  per zone, the metadata ``TSIG-ALLOW-DNSUPDATE`` naming the key; ``TSIG-ALLOW-AXFR``
  likewise for transfers. ``allow-axfr-ips`` defaults to loopback, which would allow an
  unsigned AXFR from 127.0.0.1: it is narrowed to an address nothing uses.
* ``SOA-EDIT-DNSUPDATE=INCREASE`` bumps the SOA serial on every UPDATE (else it stays,
  and a client that skips the transfer while the serial has not moved never sees them).
* The zones, the key and the metadata are written straight into the sqlite database
  (the schema Debian ships), as ``pdnsutil`` would: one process start instead of several
  ``pdnsutil`` runs per zone (a pool of 128 zones is set up in milliseconds).
* PowerDNS answers REFUSED to an A beside a CNAME (BIND and Knot: NOERROR, ignored), and
  an unsigned REFUSED to a bad signature (BIND, Knot: BADSIG).

By hand: ``python -m testinfra.powerdns [ZONE ...]``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from testinfra.bind import MARKER_LABEL, DnsServer, TsigCredentials

PDNS_SERVER = "/usr/sbin/pdns_server"
SCHEMA = Path("/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql")
INSTALL = "apt-get install -y pdns-server pdns-backend-sqlite3"

PDNS_CONF = """launch=gsqlite3
gsqlite3-database={dir}/pdns.sqlite3
local-address=127.0.0.1,::1
local-port={port}
socket-dir={dir}
daemon=no
guardian=no
disable-syslog=yes
loglevel=4
dnsupdate=yes
allow-dnsupdate-from=127.0.0.0/8,::1
allow-axfr-ips=192.0.2.255/32
disable-axfr=no
receiver-threads=1
distributor-threads=1
signing-threads=1
query-cache-ttl=0
negquery-cache-ttl=0
cache-ttl=0
zone-cache-refresh-interval=0
"""


class PowerDnsServer(DnsServer):
    kind = "powerdns"

    def __init__(
        self,
        zones: Sequence[str] = ("example.test",),
        *,
        port: int = 0,
        tsig: TsigCredentials | None = None,
        pdns_server: str = PDNS_SERVER,
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
        self.pdns_server = pdns_server

    @property
    def log_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "pdns.log"

    def _write_config(self, workdir: Path) -> None:
        (workdir / "pdns.conf").write_text(PDNS_CONF.format(dir=workdir, port=self.port))
        database = workdir / "pdns.sqlite3"
        with contextlib.closing(sqlite3.connect(database)) as db, db:
            db.executescript(SCHEMA.read_text())
            key = self.tsig.key_name
            db.execute(
                "INSERT INTO tsigkeys (name, algorithm, secret) VALUES (?, ?, ?)",
                (key, self.tsig.algorithm, self.tsig.secret),
            )
            for zone in self.zones:
                cursor = db.execute(
                    "INSERT INTO domains (name, type) VALUES (?, 'NATIVE')", (zone,)
                )
                domain = cursor.lastrowid
                records = [
                    (zone, "SOA", f"ns1.{zone} hostmaster.{zone} 1 3600 600 86400 300"),
                    (zone, "NS", f"ns1.{zone}"),
                    (f"ns1.{zone}", "A", "127.0.0.1"),
                    (f"{MARKER_LABEL}.{zone}", "TXT", f'"{self.marker}"'),
                ]
                db.executemany(
                    "INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, "
                    "auth) VALUES (?, ?, ?, ?, 300, 0, 0, 1)",
                    [(domain, *r) for r in records],
                )
                db.executemany(
                    "INSERT INTO domainmetadata (domain_id, kind, content) VALUES (?, ?, ?)",
                    [
                        (domain, "TSIG-ALLOW-DNSUPDATE", key),
                        (domain, "TSIG-ALLOW-AXFR", key),
                        (domain, "SOA-EDIT-DNSUPDATE", "INCREASE"),
                    ],
                )

    def _argv(self, workdir: Path) -> list[str]:
        return [self.pdns_server, f"--config-dir={workdir}"]


def available(binary: str = PDNS_SERVER) -> bool:
    return os.access(binary, os.X_OK) and SCHEMA.is_file()


def main(argv: Sequence[str] | None = None) -> int:
    zones = list(argv if argv is not None else sys.argv[1:]) or ["example.test"]
    with PowerDnsServer(zones) as server:
        print(f"pdns_server pid {server.pid} on {server.host}:{server.port}, dir {server.workdir}")
        print("flags:", " ".join(server.cli_flags()))
        print(f"export DNSSYNC_RFC2136_TSIG_SECRET='{server.tsig.secret}'")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
