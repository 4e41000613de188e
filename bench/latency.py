"""Event-to-record latency of ``dnssync run``: a real kube-apiserver, BIND9 as provider.

N LoadBalancer Services (``svc-<i>.example.com``) are created, ``dnssync run`` is started on
them (rfc2136 provider, TSIG) and left to converge; then C of the Services get a new
load-balancer IP, one at a time: the clock starts before the status PATCH is sent and
stops when an authoritative query to BIND answers the new address. Also measured: the
provider requests per event (from the daemon's ``/metrics``: UPDATE, the write check, and
zone reads, which should be none), the daemon's CPU seconds (``/proc/<pid>/stat``) and its
resident memory.

    python -m bench.latency                                   # 1,000 Services, 200 changes
    python -m bench.latency --services 200 --changes 50       # JSON to a temp file
    python -m bench.latency --save      # bench/results/latency.json (latency-N.json for N)
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.query
import dns.rdatatype
import dns.zone
from rich.console import Console
from rich.table import Table

from bench.bulk import BulkWriter, Connection
from bench.output import Clock, add_output_options, private_workdir, result_path, write_json
from testinfra.bind import BindServer, DnsServer, free_port
from testinfra.k8s import KubeCluster
from testinfra.lifecycle import start_failure

REPO = Path(__file__).resolve().parent.parent
DNSSYNC = REPO / ".venv" / "bin" / "dnssync"
ZONE = "example.com"
NAMESPACE = "bench"
MERGE = "application/merge-patch+json"
OPERATIONS = ("update", "query", "axfr", "soa")
_SAMPLE = re.compile(r"^(\w+)\{([^}]*)\}\s+(\S+)$|^(\w+)\s+(\S+)$")
_LABEL = re.compile(r'(\w+)="([^"]*)"')


# --------------------------------------------------------------------------- helpers


def ip_of(i: int, block: int) -> str:
    return f"10.{block}.{i >> 8 & 255}.{i & 255}"


def wait_for(what: str, check: Callable[[], bool], timeout: float, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of the whole line
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


class Metrics:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as answer:
                return int(answer.status), answer.read().decode()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read().decode()

    def samples(self) -> list[tuple[str, dict[str, str], float]]:
        found = []
        for line in self.get("/metrics")[1].splitlines():
            match = _SAMPLE.match(line)
            if match is None:
                continue
            if match.group(1):
                found.append(
                    (match.group(1), dict(_LABEL.findall(match.group(2))), float(match.group(3)))
                )
            else:
                found.append((match.group(4), {}, float(match.group(5))))
        return found

    def total(self, metric: str, **labels: str) -> float:
        return sum(
            value
            for name, have, value in self.samples()
            if name == metric and all(have.get(k) == v for k, v in labels.items())
        )

    def requests(self) -> dict[str, float]:
        return {
            op: self.total("dnssync_provider_requests_total", operation=op) for op in OPERATIONS
        }


def answer(bind: DnsServer, name: str) -> list[str]:
    """What BIND answers now (UDP, authoritative, no cache in between)."""
    query = dns.message.make_query(name, dns.rdatatype.A)
    try:
        reply = dns.query.udp(query, bind.host, port=bind.port, timeout=1.0)
    except (dns.exception.Timeout, OSError):
        return []
    return [r.to_text() for s in reply.answer if s.rdtype == dns.rdatatype.A for r in s]


def owned_a_records(bind: DnsServer) -> int:
    key = bind.tsig.dns_key()
    xfr = dns.query.xfr(bind.host, ZONE, port=bind.port, keyring={key.name: key}, lifetime=60)
    zone = dns.zone.from_xfr(xfr)
    return sum(
        1
        for name, rdataset in zone.iterate_rdatasets()
        if rdataset.rdtype == dns.rdatatype.A and name.to_text().startswith("svc-")
    )


# --------------------------------------------------------------------------- the run


def create_services(kube: KubeCluster, count: int, workers: int) -> float:
    """The Services and their status, on ``workers`` keep-alive connections in parallel."""
    kube.ensure_namespace(NAMESPACE)
    base = f"/api/v1/namespaces/{NAMESPACE}/services"

    def create(api: Connection, i: int) -> None:
        name = f"svc-{i}"
        api.request(
            "POST",
            base,
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": name,
                    "annotations": {"dnssync.io/hostname": f"{name}.{ZONE}"},
                },
                # No node ports: the 2,768 of the default range would run out.
                "spec": {
                    "type": "LoadBalancer",
                    "allocateLoadBalancerNodePorts": False,
                    "ports": [{"port": 80}],
                },
            },
        )
        api.request(
            "PATCH",
            f"{base}/{name}/status",
            {"status": {"loadBalancer": {"ingress": [{"ip": ip_of(i, 1)}]}}},
            content_type=MERGE,
        )

    return BulkWriter(kube, workers).run(count, create)


def set_ip(kube: KubeCluster, name: str, ip: str) -> None:
    kube.request(
        "PATCH",
        f"/api/v1/namespaces/{NAMESPACE}/services/{name}/status",
        {"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}},
        content_type=MERGE,
    )


def start_daemon(
    kube: KubeCluster, bind: DnsServer, workdir: Path, port: int, debounce: str
) -> subprocess.Popen[bytes]:
    secret = workdir / "tsig"
    secret.write_text(bind.tsig.secret)
    secret.chmod(0o600)
    argv = [
        str(DNSSYNC),
        "run",
        "--kubeconfig",
        str(kube.kubeconfig_path),
        *bind.cli_flags(ZONE),
        "--rfc2136-tsig-secret-file",
        str(secret),
        "--owner-id",
        "bench",
        "--namespace",
        NAMESPACE,
        "--interval",
        "1h",
        "--debounce",
        debounce,
        "--metrics-address",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNSSYNC_")}
    with (workdir / "dnssync.log").open("ab") as log:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def run(services: int, changes: int, debounce: str, workers: int, poll: float) -> dict[str, Any]:
    changes = min(changes, services)
    row: dict[str, Any] = {"services": services, "changes": changes, "debounce": debounce}
    with (
        private_workdir("latency") as workdir,
        KubeCluster() as kube,
        BindServer([ZONE]) as bind,
    ):
        row["create_services_s"] = round(create_services(kube, services, workers), 2)
        port = free_port()
        metrics = Metrics(port)
        started = time.monotonic()
        daemon = start_daemon(kube, bind, workdir, port, debounce)
        try:
            wait_for("/readyz", lambda: _ready(metrics, daemon, workdir), 300, interval=0.05)
            wait_for("all records", lambda: owned_a_records(bind) == services, 120, 0.2)
            row["startup_converge_s"] = round(time.monotonic() - started, 2)
            row["cpu_startup_s"] = round(cpu_seconds(daemon.pid), 2)
            time.sleep(1.0)  # let the startup settle (nothing should be pending)
            before, cpu_before = metrics.requests(), cpu_seconds(daemon.pid)
            fulls = metrics.total("dnssync_reconciles_total", kind="full")
            evaluations = metrics.total("dnssync_rule_evaluations_total")
            targeted = metrics.total("dnssync_reconcile_duration_seconds_sum", kind="targeted")
            targeted_n = metrics.total("dnssync_reconcile_duration_seconds_count", kind="targeted")

            latencies: list[float] = []
            missed = 0
            for j in range(changes):
                index = j * services // changes
                name, new_ip = f"svc-{index}", ip_of(j, 2)
                fqdn = f"{name}.{ZONE}"
                t0 = time.perf_counter()
                set_ip(kube, name, new_ip)
                deadline = t0 + 10.0
                while True:
                    if answer(bind, fqdn) == [new_ip]:
                        latencies.append(time.perf_counter() - t0)
                        break
                    if time.perf_counter() > deadline:
                        missed += 1
                        break
                    time.sleep(poll)

            time.sleep(1.0)  # the last write check may still be running
            after, cpu_after = metrics.requests(), cpu_seconds(daemon.pid)
            row["latency_ms"] = {
                "p50": round(percentile(latencies, 50) * 1000, 1),
                "p90": round(percentile(latencies, 90) * 1000, 1),
                "p99": round(percentile(latencies, 99) * 1000, 1),
                "max": round(max(latencies) * 1000, 1),
                "mean": round(statistics.fmean(latencies) * 1000, 1),
                "min": round(min(latencies) * 1000, 1),
            }
            row["missed"] = missed
            row["requests_per_event"] = {
                op: round((after[op] - before[op]) / changes, 3) for op in OPERATIONS
            }
            row["full_resyncs_during_changes"] = (
                metrics.total("dnssync_reconciles_total", kind="full") - fulls
            )
            count = metrics.total("dnssync_reconcile_duration_seconds_count", kind="targeted")
            total = metrics.total("dnssync_reconcile_duration_seconds_sum", kind="targeted")
            row["targeted_reconciles"] = int(count - targeted_n)
            row["targeted_reconcile_ms_mean"] = round(
                (total - targeted) / max(1.0, count - targeted_n) * 1000, 1
            )
            row["rule_evaluations_at_startup"] = evaluations
            row["rule_evaluations_per_event"] = round(
                (metrics.total("dnssync_rule_evaluations_total") - evaluations) / changes, 3
            )
            row["cpu_changes_s"] = round(cpu_after - cpu_before, 2)
            row["cpu_ms_per_event"] = round((cpu_after - cpu_before) / changes * 1000, 1)
            row["rss_mib"] = round(rss_mib(daemon.pid), 1)
            row["records_owned"] = metrics.total("dnssync_records_owned", zone=ZONE)
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                row["exit_code"] = daemon.wait(60)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait(10)
                row["exit_code"] = None
    return row


def _ready(metrics: Metrics, daemon: subprocess.Popen[bytes], workdir: Path) -> bool:
    if daemon.poll() is not None:
        problem = f"dnssync run exited with {daemon.returncode} while starting"
        raise RuntimeError(start_failure(problem, workdir / "dnssync.log"))
    try:
        return metrics.get("/readyz")[0] == 200
    except OSError:
        return False


# --------------------------------------------------------------------------- output


def show(row: Mapping[str, Any], console: Console) -> None:
    lat = row["latency_ms"]
    table = Table(
        title=f"dnssync run: {row['services']:,} LB Services, {row['changes']} IP changes one "
        f"at a time (debounce {row['debounce']}), BIND9 via rfc2136"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("event -> record latency p50", f"{lat['p50']} ms")
    table.add_row("p90", f"{lat['p90']} ms")
    table.add_row("p99", f"{lat['p99']} ms")
    table.add_row("min / mean / max", f"{lat['min']} / {lat['mean']} / {lat['max']} ms")
    table.add_row("changes not seen within 10 s", str(row["missed"]))
    per = row["requests_per_event"]
    table.add_row("UPDATE messages per event", f"{per['update']:g}")
    table.add_row("write-check query sessions per event", f"{per['query']:g}")
    table.add_row("zone reads per event (AXFR / SOA)", f"{per['axfr']:g} / {per['soa']:g}")
    table.add_row("full resyncs during the changes", f"{row['full_resyncs_during_changes']:g}")
    table.add_row(
        "targeted reconciles (mean time)",
        (f"{row['targeted_reconciles']} ({row['targeted_reconcile_ms_mean']} ms)"),
    )
    table.add_row("rule evaluations per event", f"{row['rule_evaluations_per_event']:g}")
    table.add_row("daemon CPU during the changes", f"{row['cpu_changes_s']} s")
    table.add_row("daemon CPU per event", f"{row['cpu_ms_per_event']} ms")
    table.add_row("daemon CPU at startup (to converged)", f"{row['cpu_startup_s']} s")
    table.add_row("startup: process start -> all records in BIND", f"{row['startup_converge_s']} s")
    table.add_row("daemon resident memory", f"{row['rss_mib']} MiB")
    table.add_row("creating the Services (not timed for dnssync)", f"{row['create_services_s']} s")
    table.add_row("exit code after SIGTERM", str(row["exit_code"]))
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=1000, help="LB Services (1000)")
    parser.add_argument("--changes", type=int, default=200, help="IP changes, one at a time")
    parser.add_argument("--debounce", default="100ms", help="the daemon's --debounce (100ms)")
    parser.add_argument(
        "--workers", type=int, default=16, help="connections creating Services in parallel (16)"
    )
    parser.add_argument(
        "--poll", type=float, default=0.002, help="seconds between queries to BIND (0.002)"
    )
    add_output_options(parser, "latency.json, or latency-N.json for --services N")
    args = parser.parse_args(argv)
    if args.services < 1 or args.changes < 1 or args.workers < 1:
        parser.error("--services, --changes and --workers must be at least 1")
    if not DNSSYNC.exists():
        parser.error(f"{DNSSYNC} not found (tools/setup.sh)")
    clock = Clock()
    row = run(args.services, args.changes, args.debounce, args.workers, args.poll)
    console = Console()
    show(row, console if console.is_terminal else Console(width=110))
    document = {
        "benchmark": "latency",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "argv": sys.argv[1:] if argv is None else argv,
        "result": row,
        "wall_seconds": clock.seconds(),
    }
    name = "latency" if args.services == 1000 else f"latency-{args.services}"
    write_json(result_path(args, name), document)
    return 0 if row.get("missed") == 0 and row.get("exit_code") == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
