"""RFC 2136 benchmark: N records through the rfc2136 provider into a throw-away BIND9.

For each server: apply N records (each an A RRset with its ownership TXT, one change group
each) to an empty zone, with and without the read-back transfer; then R reconciles of the
unchanged zone with the SOA-serial shortcut (one SOA query each) and without it (a full
AXFR each); then delete everything.

    python -m bench.rfc2136                          # 1,000 records on BIND
    python -m bench.rfc2136 --records 5000 --server bind,knot   # JSON to a temp file
    python -m bench.rfc2136 --save                  # bench/results/rfc2136.json
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.output import Clock, add_output_options, private_workdir, result_path, write_json
from dnssync.model.changes import ChangeGroup
from dnssync.model.names import DomainName
from dnssync.providers.base import Provider
from dnssync.testing.builders import create, delete, ownership_txt, rrset
from testinfra.bind import BindServer, DnsServer
from testinfra.knot import KnotServer

ZONES = ("bench.test", "bench-noverify.test")
# (zones, the parent of the server's temp dir: its config holds the TSIG secret)
SERVERS: dict[str, Callable[[tuple[str, ...], str], DnsServer]] = {
    "bind": lambda zones, parent: BindServer(zones, workdir_parent=parent),
    "knot": lambda zones, parent: KnotServer(zones, workdir_parent=parent),
}


def groups_for(zone: DomainName, count: int) -> list[ChangeGroup]:
    groups = []
    for i in range(count):
        record = rrset(
            f"host-{i:06d}.{zone.text}", "A", f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
        )
        txt = ownership_txt(record.name.text, "A", f"service/bench/host-{i}", owner_id="bench")
        groups.append(create(zone, record, txt))
    return groups


def provider(server: DnsServer, zone: DomainName, **kwargs: Any) -> Provider:
    """The rfc2136 provider with bench settings (``verify_writes``, ``cache_max_age``).

    Imported by module name: mypy checks ``providers/`` as its own tree, and a second,
    installed name for the same files would confuse it.
    """
    options: Any = importlib.import_module("dnssync_rfc2136.options")
    module: Any = importlib.import_module("dnssync_rfc2136.provider")
    config = options.parse_options(server.provider_options(zone.text))
    built: Provider = module.Rfc2136Provider(
        dataclasses.replace(config, axfr_timeout=600.0), **kwargs
    )
    return built


def apply_run(server: DnsServer, zone: DomainName, count: int, verify: bool) -> dict[str, Any]:
    p = provider(server, zone, verify_writes=verify)
    p.records(zone)
    p.requests.reset()
    groups = groups_for(zone, count)
    t0 = time.perf_counter()
    result = p.apply(zone, groups)
    seconds = time.perf_counter() - t0
    if not result.ok:
        raise SystemExit(f"apply failed: {result.failed[0].message}")
    return {
        "seconds": round(seconds, 3),
        "records_per_s": round(count / seconds),
        "update_messages": p.requests.total("update"),
        "update_bytes_sent": p.requests.bytes_sent,
        "axfr": p.requests.total("axfr"),
        "bytes_received": p.requests.bytes_received,
    }


def reconciles(server: DnsServer, zone: DomainName, rounds: int, shortcut: bool) -> dict[str, Any]:
    p = provider(server, zone, cache_max_age=None if shortcut else 0.0)
    p.records(zone)  # the first read is always a transfer
    p.requests.reset()
    t0 = time.perf_counter()
    for _ in range(rounds):
        p.records(zone)
    seconds = time.perf_counter() - t0
    return {
        "bytes_per_reconcile": round(p.requests.bytes_received / rounds),
        "sent_per_reconcile": round(p.requests.bytes_sent / rounds),
        "ms_per_reconcile": round(seconds / rounds * 1000, 2),
        "axfr": p.requests.total("axfr"),
        "soa": p.requests.total("soa"),
    }


def delete_run(server: DnsServer, zone: DomainName, count: int) -> dict[str, Any]:
    p = provider(server, zone)
    p.records(zone)
    p.requests.reset()
    groups = [delete(zone, *(c.rrset for c in g)) for g in groups_for(zone, count)]
    t0 = time.perf_counter()
    result = p.apply(zone, groups)
    seconds = time.perf_counter() - t0
    if not result.ok:
        raise SystemExit(f"delete failed: {result.failed[0].message}")
    return {
        "seconds": round(seconds, 3),
        "records_per_s": round(count / seconds),
        "update_messages": p.requests.total("update"),
        "axfr": p.requests.total("axfr"),
        "bytes_received": p.requests.bytes_received,
    }


def run(kind: str, count: int, rounds: int, workdir: Path) -> dict[str, Any]:
    zone, plain = (DomainName.parse(z) for z in ZONES)
    with SERVERS[kind](ZONES, str(workdir)) as server:
        row: dict[str, Any] = {"server": kind, "records": count, "reconciles": rounds}
        row["apply"] = apply_run(server, zone, count, verify=True)
        row["apply_no_readback"] = apply_run(server, plain, count, verify=False)
        row["reconcile_soa_shortcut"] = reconciles(server, zone, rounds, shortcut=True)
        row["reconcile_full_axfr"] = reconciles(server, zone, rounds, shortcut=False)
        row["delete"] = delete_run(server, zone, count)
        row["startup_ms"] = round((server.startup_seconds or 0) * 1000)
    return row


STEPS = (
    ("apply", "apply + read-back"),
    ("apply_no_readback", "apply, no read-back"),
    ("reconcile_soa_shortcut", "reconcile, SOA shortcut"),
    ("reconcile_full_axfr", "reconcile, full AXFR"),
    ("delete", "delete all + read-back"),
)


def show(rows: list[dict[str, Any]], console: Console) -> None:
    for row in rows:
        table = Table(title=f"rfc2136 on {row['server']}: {row['records']:,} x (A + ownership TXT)")
        for column in ("step", "time", "records/s", "UPDATE msgs", "AXFR", "SOA", "bytes in"):
            table.add_column(column, justify="left" if column == "step" else "right")
        for key, label in STEPS:
            step = row[key]
            if key.startswith("reconcile"):
                table.add_row(
                    label,
                    f"{step['ms_per_reconcile']} ms",
                    "",
                    "0",
                    f"{step['axfr'] / row['reconciles']:g}",
                    f"{step['soa'] / row['reconciles']:g}",
                    f"{step['bytes_per_reconcile']:,}",
                )
            else:
                table.add_row(
                    label,
                    f"{step['seconds']:.3f} s",
                    f"{step['records_per_s']:,}",
                    str(step["update_messages"]),
                    str(step["axfr"]),
                    "0",
                    f"{step['bytes_received']:,}",
                )
        console.print(table)
    console.print("reconcile rows are per reconcile (one records() call on an unchanged zone)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1000, help="records to apply (1000)")
    parser.add_argument("--server", default="bind", help="bind, knot or bind,knot (bind)")
    parser.add_argument("--reconciles", type=int, default=5, help="reads per mode (5)")
    add_output_options(parser, "rfc2136.json")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.server.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in SERVERS]
    if unknown or args.records < 1 or args.reconciles < 1:
        parser.error(f"bad arguments: servers {unknown or kinds}, records {args.records}")
    clock = Clock()
    with private_workdir("rfc2136") as workdir:
        rows = [run(kind, args.records, args.reconciles, workdir) for kind in kinds]
    console = Console()
    show(rows, console if console.is_terminal else Console(width=110))
    document = {
        "benchmark": "rfc2136",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "rows": rows,
        "wall_seconds": clock.seconds(),
    }
    write_json(result_path(args, "rfc2136"), document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
