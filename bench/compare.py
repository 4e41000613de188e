"""ExternalDNS and dnssync side by side: same real apiserver, same BIND, same TSIG key.

For each size N (default 100, 1,000 and 5,000) one fresh kube-apiserver + etcd gets N
LoadBalancer Services, each with ``external-dns.alpha.kubernetes.io/hostname:
sNNNNN.bench.test`` (read by both tools), a ``ttl`` of 300, one named TCP port and
``dnssync.io/srv-domain: sNNNNN.bench.test`` (SRV: dnssync only, ExternalDNS makes no SRV
for LoadBalancer Services). Then each tool in turn, on a fresh BIND zone ``bench.test``
behind a counting proxy (testinfra/dns_proxy.py):

1. **converge**: start the process; time until the zone holds every A record and its
   ownership TXT (and, for dnssync, separately, every SRV and its TXT);
2. **change**: patch the status IP of 1% of the Services; time until the zone shows all
   the new addresses;
3. **idle**: leave it alone for ``--idle`` seconds (default: the resync interval + 15 s)
   and count what its periodic full reconciles send;
4. stop it: peak RSS (VmHWM) and CPU seconds (utime + stime) from /proc.

DNS messages are what the tool sent to BIND (AXFR, UPDATE, queries by type), per phase
and per reconcile (ExternalDNS: one AXFR per reconcile of the zone; dnssync: its
``dnssync_reconciles_total``). Both run event-driven with the same full-resync interval:
ExternalDNS ``--events --interval=<interval> --min-event-sync-interval=5s`` (the
documented recommendation; its event debounce is a fixed 5 s), dnssync ``--interval
<interval> --resync-jitter 0s`` (default debounce 100 ms). The zone is watched by polling
its SOA serial directly at BIND (not through the proxy) and transferring the zone when
the serial moves.

    python -m bench.compare                          # 100, 1,000 and 5,000 Services
    python -m bench.compare --sizes 100,1000 --idle 0
    python -m bench.compare --tools dnssync --sizes 100

Writes a table on stdout, and JSON, the table as Markdown (``.md``) and a PNG chart
(``.png``, needs matplotlib from the ``bench`` dependency group) to a new temp file, to
``--json PATH`` (``--png PATH`` for the chart), or with ``--save`` to
``bench/results/compare.{json,md,png}``, the committed results. Needs the binaries of
tools/k8s/build.sh and tools/external-dns/build.sh (built on first use) and BIND9.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import dns.message
import dns.name
import dns.query
import dns.rdatatype

import dnssync
from bench.bulk import MERGE, BulkWriter, Connection
from bench.output import Clock, add_output_options, private_workdir, result_path, write_json
from testinfra.bind import BindServer, DnsServer, TsigCredentials
from testinfra.dns_proxy import DnsCountingProxy
from testinfra.external_dns import ExternalDns, ensure_binary, parse_prometheus_text
from testinfra.k8s import KubeCluster
from testinfra.lifecycle import log_tail

ZONE = "bench.test"
NAMESPACE = "bench"  # the Services without srv-domain: what both tools can publish
SRV_NAMESPACE = "bench-srv"  # the same Services with dnssync.io/srv-domain
OWNER = "bench"
PREFIX = "external-dns.alpha.kubernetes.io/"
REPO = Path(__file__).resolve().parent.parent
TOOLS = ("externaldns", "dnssync", "dnssync-srv")
LABELS = {"externaldns": "ExternalDNS", "dnssync": "dnssync", "dnssync-srv": "dnssync + SRV"}
NAMESPACES = {"externaldns": NAMESPACE, "dnssync": NAMESPACE, "dnssync-srv": SRV_NAMESPACE}
CLK_TCK = os.sysconf("SC_CLK_TCK")
# tools/demo.sh's environment: dnssync and its runtime dependencies only, like the image. The
# development .venv also holds test tools that the kubernetes package imports when present
# (kubernetes-validate and its JSON Schema stack), which would inflate start-up.
DEMO_PYTHON = REPO / ".venv-demo" / "bin" / "python"

ZoneData = dict[tuple[str, str], frozenset[str]]


# --------------------------------------------------------------------------- the cluster


def host(i: int) -> str:
    return f"s{i:05d}.{ZONE}"


def address(i: int, generation: int) -> str:
    return f"10.{generation}.{i >> 8 & 255}.{i & 255}"


def service_body(i: int, srv: bool) -> dict[str, Any]:
    name = host(i).split(".")[0]
    annotations = {PREFIX + "hostname": host(i), PREFIX + "ttl": "300"}
    if srv:
        annotations["dnssync.io/srv-domain"] = host(i)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {
            "type": "LoadBalancer",
            # No node ports: 5,000 LoadBalancer Services would exhaust 30000-32767.
            "allocateLoadBalancerNodePorts": False,
            "selector": {"app": name},
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
        },
    }


def set_address(cluster: KubeCluster, namespace: str, i: int, generation: int) -> None:
    name = host(i).split(".")[0]
    cluster.request(
        "PATCH",
        f"/api/v1/namespaces/{namespace}/services/{name}/status",
        {"status": {"loadBalancer": {"ingress": [{"ip": address(i, generation)}]}}},
        content_type="application/merge-patch+json",
    )


def parallel(jobs: Iterable[Callable[[], None]], workers: int = 8) -> None:
    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def populate(cluster: KubeCluster, count: int, namespaces: Iterable[str], workers: int) -> float:
    """The Services and their status, on ``workers`` keep-alive connections in parallel."""
    started = time.monotonic()
    writer = BulkWriter(cluster, workers)
    for namespace in namespaces:
        cluster.ensure_namespace(namespace)

        def create(api: Connection, i: int, namespace: str = namespace) -> None:
            body = service_body(i, srv=namespace == SRV_NAMESPACE)
            api.request("POST", f"/api/v1/namespaces/{namespace}/services", body)
            api.request(
                "PATCH",
                f"/api/v1/namespaces/{namespace}/services/{body['metadata']['name']}/status",
                {"status": {"loadBalancer": {"ingress": [{"ip": address(i, 1)}]}}},
                content_type=MERGE,
            )

        writer.run(count, create)
    return time.monotonic() - started


def changed_indexes(count: int, percent: float) -> list[int]:
    step = max(1, round(100 / percent))
    return list(range(0, count, step))[: max(1, round(count * percent / 100))]


# --------------------------------------------------------------------------- the zone


class ZoneProbe:
    """Reads the zone straight from BIND (not through the proxy): SOA serial, AXFR."""

    def __init__(self, bind: DnsServer) -> None:
        self.bind = bind
        self.origin = dns.name.from_text(ZONE)
        self.transfers = 0
        self.transfer_seconds = 0.0

    def serial(self) -> int:
        query = dns.message.make_query(self.origin, dns.rdatatype.SOA)
        answer = dns.query.udp(query, self.bind.host, port=self.bind.port, timeout=2)
        return int(answer.answer[0][0].serial)

    def transfer(self) -> tuple[int, ZoneData]:
        started = time.monotonic()
        data: dict[tuple[str, str], set[str]] = {}
        serial = 0
        key = self.bind.tsig.dns_key()
        for message in dns.query.xfr(
            self.bind.host,
            ZONE,
            port=self.bind.port,
            keyring={key.name: key},
            keyname=key.name,
            relativize=False,
            lifetime=300,
        ):
            for rrset in message.answer:
                rtype = dns.rdatatype.to_text(rrset.rdtype)
                if rtype == "SOA":
                    serial = int(rrset[0].serial)
                values = data.setdefault((rrset.name.to_text().lower(), rtype), set())
                values.update(r.to_text() for r in rrset)
        self.transfers += 1
        self.transfer_seconds += time.monotonic() - started
        return serial, {k: frozenset(v) for k, v in data.items()}


@dataclass
class Expectation:
    """What the zone must hold: A values per name, and whether SRV is checked."""

    addresses: dict[int, str]
    srv: bool

    def check(self, zone: ZoneData) -> tuple[bool, bool, int]:
        """(A + TXT complete, SRV + TXT complete, names still missing or wrong)."""
        missing = 0
        for i, ip in self.addresses.items():
            name = host(i) + "."
            head, rest = name.split(".", 1)
            txt = zone.get((f"a-{head}.{rest}", "TXT"))
            if zone.get((name, "A")) != frozenset({ip}) or not _owned(txt):
                missing += 1
        srv_missing = 0
        if self.srv:
            for i in self.addresses:
                name = f"_http._tcp.{host(i)}."
                txt = zone.get((f"srv-{name}", "TXT"))
                if zone.get((name, "SRV")) != frozenset({f"0 100 80 {host(i)}."}) or not _owned(
                    txt
                ):
                    srv_missing += 1
        return missing == 0, self.srv and srv_missing == 0, missing + srv_missing


def _owned(values: frozenset[str] | None) -> bool:
    return bool(values) and any(f"external-dns/owner={OWNER}" in v for v in values or ())


def zone_counts(zone: ZoneData) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (_name, rtype), values in zone.items():
        counts[rtype] = counts.get(rtype, 0) + len(values)
    return counts


@dataclass
class Converged:
    seconds: float | None
    srv_seconds: float | None
    zone: ZoneData
    transfers: int


def wait_converged(
    probe: ZoneProbe,
    expect: Expectation,
    started: float,
    timeout: float,
    alive: Callable[[], bool],
) -> Converged:
    """Poll the SOA serial every 0.2 s; transfer the zone when it moved (spaced by twice
    the last transfer's time, so the probe never takes more than a third of a core).

    A state counts from the moment its serial was first seen.
    """
    first_seen: dict[int, float] = {}
    checked_serial = -1
    next_transfer = 0.0
    main_at: float | None = None
    srv_at: float | None = None
    zone: ZoneData = {}
    transfers = 0
    deadline = started + timeout
    while True:
        now = time.monotonic()
        serial = probe.serial()
        first_seen.setdefault(serial, now)
        if serial != checked_serial and now >= next_transfer:
            t0 = time.monotonic()
            xfr_serial, zone = probe.transfer()
            transfers += 1
            spent = time.monotonic() - t0
            next_transfer = time.monotonic() + 2 * spent
            checked_serial = xfr_serial
            seen = first_seen.setdefault(xfr_serial, t0)
            main_ok, srv_ok, _missing = expect.check(zone)
            if main_ok and main_at is None:
                main_at = seen
            if srv_ok and srv_at is None:
                srv_at = seen
            if main_at is not None and (srv_at is not None or not expect.srv):
                break
        if time.monotonic() > deadline:
            break
        if not alive():
            raise RuntimeError("the tool exited before the zone converged")
        time.sleep(0.2)
    return Converged(
        None if main_at is None else main_at - started,
        None if srv_at is None else srv_at - started,
        zone,
        transfers,
    )


def wait_quiet(proxy: DnsCountingProxy, quiet: float, timeout: float) -> None:
    """Until the tool has sent nothing to the DNS server for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    last = proxy.snapshot().get("messages", 0)
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = proxy.snapshot().get("messages", 0)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


# --------------------------------------------------------------------------- processes


class ProcStats:
    """CPU seconds and RSS of one process, from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        # fields[0] is the state (field 3); utime and stime are fields 14 and 15.
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def memory(self) -> dict[str, int]:
        out: dict[str, int] = {}
        with open(f"/proc/{self.pid}/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) * 1024
        return out


class Tool(Protocol):
    name: str

    def start(self) -> int: ...
    def stop(self) -> None: ...
    def alive(self) -> bool: ...
    def reconciles(self, messages: Mapping[str, int]) -> int: ...
    def log_tail(self) -> str: ...


class ExternalDnsTool:
    name = "externaldns"

    def __init__(
        self,
        kubeconfig: Path,
        proxy: DnsCountingProxy,
        tsig: TsigCredentials,
        interval: str,
        namespace: str,
    ) -> None:
        self.edns = ExternalDns(
            kubeconfig,
            proxy.host,
            proxy.port,
            (ZONE,),
            tsig,
            owner_id=OWNER,
            interval=interval,
            min_event_sync_interval="5s",
            events=True,
            extra_args=[f"--namespace={namespace}"],
        )

    def start(self) -> int:
        self.edns.start()
        assert self.edns.pid is not None
        return self.edns.pid

    def stop(self) -> None:
        self.edns.stop()

    def alive(self) -> bool:
        return self.edns.running

    def reconciles(self, messages: Mapping[str, int]) -> int:
        # One zone: every reconcile starts with exactly one AXFR of it.
        return messages.get("axfr", 0)

    def log_tail(self) -> str:
        return self.edns.log_tail()


class DnssyncTool:
    name = "dnssync"

    def __init__(
        self,
        kubeconfig: Path,
        proxy: DnsCountingProxy,
        tsig: TsigCredentials,
        interval: str,
        namespace: str,
        workdir: Path,
        python: str = sys.executable,
        profile: Path | None = None,
    ) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.argv = [
            python,
            "-m",
            "dnssync",
            "run",
            "--kubeconfig",
            str(kubeconfig),
            "--source",
            "service",
            "--namespace",
            namespace,
            "--provider",
            "rfc2136",
            "--rfc2136-host",
            proxy.host,
            "--rfc2136-port",
            str(proxy.port),
            "--rfc2136-zone",
            ZONE,
            "--rfc2136-tsig-keyname",
            tsig.key_name,
            "--rfc2136-tsig-secret-alg",
            tsig.algorithm,
            "--owner-id",
            OWNER,
            "--domain",
            ZONE,
            "--interval",
            interval,
            "--resync-jitter",
            "0s",
            "--metrics-address",
            f"127.0.0.1:{self.port}",
            "--no-leader-election",
        ]
        self.profiled = profile is not None
        if profile is not None:
            # py-spy samples the process and its threads; the flame data goes to ``profile``
            # (raw, one line per stack) when the process stops.
            spy = ["py-spy", "record", "--rate", "200", "--format", "raw", "--threads"]
            self.argv = [*spy, "--output", str(profile), "--", *self.argv]
        self.env = dict(os.environ, DNSSYNC_RFC2136_TSIG_SECRET=tsig.secret)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.workdir / "dnssync.log"
        self._base = 0

    def start(self) -> int:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=REPO,
                start_new_session=True,
            )
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            if self.profiled:
                # dnssync (py-spy's child, which py-spy does not stop) gets SIGTERM; py-spy
                # then writes its profile and exits (SIGTERM would kill py-spy before it
                # writes, and leave dnssync running).
                for child in _children(self.proc.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child, signal.SIGTERM)
            else:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _total(self) -> int:
        url = f"http://127.0.0.1:{self.port}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                samples = parse_prometheus_text(resp.read().decode())
        except OSError:
            return 0
        return int(sum(v for k, v in samples.items() if k.startswith("dnssync_reconciles_total{")))

    def mark(self) -> None:
        self._base = self._total()

    def reconciles(self, messages: Mapping[str, int]) -> int:
        del messages
        total = self._total()
        done, self._base = total - self._base, total
        return done

    def log_tail(self) -> str:
        return log_tail(self.log_path)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- one run


@dataclass
class Phase:
    seconds: float | None
    messages: dict[str, int]
    reconciles: int
    cpu_seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "messages": summarize(self.messages),
            "reconciles": self.reconciles,
            "messages_per_reconcile": per(self.messages, self.reconciles),
            "cpu_seconds": round(self.cpu_seconds, 3),
        }
        out.update(self.extra)
        return out


def summarize(messages: Mapping[str, int]) -> dict[str, int]:
    queries = sum(v for k, v in messages.items() if k.startswith("query:"))
    return {
        "axfr": messages.get("axfr", 0),
        "ixfr": messages.get("ixfr", 0),
        "update": messages.get("update", 0),
        "update_rrs": messages.get("update_rrs", 0),
        "query": queries,
        **{k: v for k, v in sorted(messages.items()) if k.startswith("query:")},
        "total": messages.get("messages", 0),
        "bytes_to_server": messages.get("bytes_in", 0),
        "bytes_from_server": messages.get("bytes_out", 0),
    }


def per(messages: Mapping[str, int], reconciles: int) -> dict[str, float] | None:
    if reconciles <= 0:
        return None
    s = summarize(messages)
    return {k: round(s[k] / reconciles, 2) for k in ("axfr", "update", "update_rrs", "query")}


def run_tool(
    tool_name: str,
    cluster: KubeCluster,
    count: int,
    tsig: TsigCredentials,
    args: argparse.Namespace,
    workdir: Path,
) -> dict[str, Any]:
    changed = changed_indexes(count, args.change_percent)
    namespace = NAMESPACES[tool_name]
    srv = tool_name == "dnssync-srv"
    with BindServer((ZONE,), tsig=tsig) as bind, DnsCountingProxy(bind.host, bind.port) as proxy:
        probe = ZoneProbe(bind)
        tool: ExternalDnsTool | DnssyncTool
        if tool_name == "externaldns":
            tool = ExternalDnsTool(cluster.kubeconfig_path, proxy, tsig, args.interval, namespace)
        else:
            tool = DnssyncTool(
                cluster.kubeconfig_path,
                proxy,
                tsig,
                args.interval,
                namespace,
                workdir / f"{tool_name}-{count}",
                python=args.dnssync_python,
                profile=args.profile / f"{tool_name}-{count}.txt" if args.profile else None,
            )
        result: dict[str, Any] = {
            "tool": tool_name,
            "services": count,
            "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
        }
        started = time.monotonic()
        pid = tool.start()
        stats = ProcStats(pid)
        try:
            # 1. converge
            expect = Expectation({i: address(i, 1) for i in range(count)}, srv)
            conv = wait_converged(probe, expect, started, args.timeout, tool.alive)
            if conv.seconds is None:
                raise RuntimeError(f"{tool_name}: no convergence in {args.timeout:g}s")
            wait_quiet(proxy, args.quiet, args.timeout)
            cpu0 = stats.cpu_seconds()
            msgs = proxy.reset()
            extra: dict[str, Any] = {"zone_records": zone_counts(conv.zone)}
            if srv:
                extra["srv_seconds"] = (
                    None if conv.srv_seconds is None else round(conv.srv_seconds, 3)
                )
            phase = Phase(conv.seconds, msgs, tool.reconciles(msgs), cpu0, extra)
            result["converge"] = phase.as_dict()
            result["rss_after_converge_mb"] = round(stats.memory()["VmRSS"] / 2**20, 1)
            print(
                f"  {LABELS[tool_name]:<11} N={count}: converged in {conv.seconds:.2f}s",
                flush=True,
            )

            # 2. change 1% of the Services
            t0 = time.monotonic()
            parallel([partial(set_address, cluster, namespace, i, 2) for i in changed])
            patched = time.monotonic() - t0
            expect = Expectation({i: address(i, 2) for i in changed}, False)
            conv = wait_converged(probe, expect, t0, args.timeout, tool.alive)
            if conv.seconds is None:
                raise RuntimeError(f"{tool_name}: change not applied in {args.timeout:g}s")
            wait_quiet(proxy, args.quiet, args.timeout)
            cpu1 = stats.cpu_seconds()
            msgs = proxy.reset()
            phase = Phase(
                conv.seconds,
                msgs,
                tool.reconciles(msgs),
                cpu1 - cpu0,
                {"services_changed": len(changed), "patch_seconds": round(patched, 3)},
            )
            result["change"] = phase.as_dict()
            print(
                f"  {LABELS[tool_name]:<11} N={count}: {len(changed)} changed, "
                f"in the zone after {conv.seconds:.2f}s",
                flush=True,
            )

            # 3. idle: periodic full reconciles only
            if args.idle > 0:
                time.sleep(args.idle)
                cpu2 = stats.cpu_seconds()
                msgs = proxy.reset()
                phase = Phase(
                    args.idle,
                    msgs,
                    tool.reconciles(msgs),
                    cpu2 - cpu1,
                    {"window_seconds": args.idle},
                )
                result["idle"] = phase.as_dict()

            mem = stats.memory()
            result["peak_rss_mb"] = round(mem["VmHWM"] / 2**20, 1)
            result["cpu_seconds"] = round(stats.cpu_seconds(), 2)
            result["wall_seconds"] = round(time.monotonic() - started, 1)
            result["probe_transfers"] = probe.transfers
        except BaseException:
            print(f"---- {tool_name} log tail ----\n{tool.log_tail()}", file=sys.stderr)
            raise
        finally:
            tool.stop()
            # The next tool sees the cluster as this one did.
            parallel([partial(set_address, cluster, namespace, i, 1) for i in changed])
    return result


# --------------------------------------------------------------------------- output


def fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def msg_cell(messages: Mapping[str, Any] | None) -> str:
    if not messages:
        return "-"
    return f"{messages['axfr']:g}/{messages['update']:g}/{messages['query']:g}"


def kib_per(phase: Mapping[str, Any] | None) -> float | None:
    """KiB the tool read from BIND (AXFR and answers) per reconcile of a phase."""
    if not phase or not phase["reconciles"]:
        return None
    read = float(phase["messages"]["bytes_from_server"])
    return read / 1024 / int(phase["reconciles"])


def records_written(r: Mapping[str, Any]) -> int:
    zone = r["converge"]["zone_records"]
    # Less the harness's SOA, NS, the NS host's A and the readiness marker TXT.
    return int(sum(zone.values()) - zone.get("SOA", 0) - zone.get("NS", 0) - 2)


def table(results: Sequence[Mapping[str, Any]]) -> str:
    head = (
        "| Services | tool | records | converge s | SRV s | 1% change s "
        "| converge: AXFR/UPD/QRY (reconciles) | change: per reconcile AXFR/UPD/QRY, KiB read "
        "| idle: per reconcile AXFR/UPD/QRY, KiB read | peak RSS MB | CPU s |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in results:
        conv, change, idle = r["converge"], r["change"], r.get("idle")
        idle_cell = (
            f"{msg_cell(idle['messages_per_reconcile'])}, {fmt(kib_per(idle), 1)} "
            f"({idle['reconciles']} in {idle['window_seconds']:.0f} s)"
            if idle
            else "-"
        )
        lines.append(
            f"| {r['services']:,} | {LABELS[r['tool']]} | {records_written(r):,} "
            f"| {fmt(conv['seconds'])} | {fmt(conv.get('srv_seconds'))} "
            f"| {fmt(change['seconds'])} "
            f"| {msg_cell(conv['messages'])} ({conv['reconciles']}) "
            f"| {msg_cell(change['messages_per_reconcile'])}, {fmt(kib_per(change), 1)} "
            f"| {idle_cell} | {r['peak_rss_mb']:.0f} | {r['cpu_seconds']:.1f} |"
        )
    return "\n".join(lines)


def _per_change(r: Mapping[str, Any]) -> float | None:
    per_reconcile = r["change"]["messages_per_reconcile"]
    if not per_reconcile:
        return None
    return float(per_reconcile["axfr"] + per_reconcile["update"] + per_reconcile["query"])


def chart(results: Sequence[Mapping[str, Any]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed (dependency group 'bench'): no chart", file=sys.stderr)
        return False
    panels: list[tuple[str, Callable[[Mapping[str, Any]], float | None]]] = [
        ("start to converged zone (s)", lambda r: r["converge"]["seconds"]),
        ("1% of Services changed to zone (s)", lambda r: r["change"]["seconds"]),
        ("UPDATE messages to converge", lambda r: r["converge"]["messages"]["update"]),
        ("DNS messages per change reconcile", _per_change),
        ("KiB read from BIND per change reconcile", lambda r: kib_per(r["change"])),
        ("KiB read from BIND per idle full resync", lambda r: kib_per(r.get("idle"))),
        ("peak RSS (MB)", lambda r: r["peak_rss_mb"]),
        ("CPU seconds (whole run)", lambda r: r["cpu_seconds"]),
    ]
    fig, axes = plt.subplots(2, 4, figsize=(17, 7.5))
    styles = {
        "externaldns": {"color": "#d95f02", "linestyle": "-"},
        "dnssync": {"color": "#1b9e77", "linestyle": "-"},
        "dnssync-srv": {"color": "#66c2a5", "linestyle": "--"},
    }
    for ax, (title, getter) in zip(axes.flat, panels, strict=True):
        for tool in TOOLS:
            rows = sorted((r for r in results if r["tool"] == tool), key=lambda r: r["services"])
            points = [(r["services"], getter(r)) for r in rows]
            points = [(n, v) for n, v in points if v is not None]
            if points:
                ax.plot(
                    [n for n, _ in points],
                    [v for _, v in points],
                    marker="o",
                    label=LABELS[tool],
                    **styles[tool],
                )
        ax.set_title(title, fontsize=10)
        ax.set_xscale("log")
        ax.set_xlabel("LoadBalancer Services")
        ax.grid(True, alpha=0.3)
        ax.set_ylim(bottom=0)
    axes.flat[0].legend()
    fig.suptitle(
        "ExternalDNS vs dnssync, rfc2136 into the same BIND: A + ownership TXT per Service "
        "(dnssync + SRV: also an SRV + TXT per Service)"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def environment(edns_binary: Path | None, dnssync_python: str) -> dict[str, Any]:
    def out(argv: list[str]) -> str:
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        except OSError as exc:
            return f"<{exc}>"
        return (
            (proc.stdout or proc.stderr).strip().splitlines()[0]
            if (proc.stdout or proc.stderr)
            else ""
        )

    build_info = edns_binary.parent.parent / "BUILD-INFO" if edns_binary else None
    return {
        "external_dns": out([str(edns_binary), "--version"]) if edns_binary else None,
        "external_dns_build": (
            build_info.read_text().strip() if build_info and build_info.exists() else None
        ),
        "dnssync": dnssync.__version__,
        "dnssync_commit": out(["git", "-C", str(REPO), "describe", "--always", "--dirty"]),
        "bind": out(["/usr/sbin/named", "-v"]),
        "python": platform.python_version(),
        "dnssync_python": os.path.relpath(dnssync_python, REPO)
        if dnssync_python.startswith(str(REPO))
        else dnssync_python,
        "cpus": os.cpu_count(),
        "loadavg_at_start": list(os.getloadavg()),
        "machine": platform.machine(),
    }


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compare",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes", default="100,1000,5000", help="Service counts (default: %(default)s)"
    )
    parser.add_argument("--tools", default=",".join(TOOLS), help="default: %(default)s")
    parser.add_argument("--change-percent", type=float, default=1.0, help="default: %(default)s")
    parser.add_argument(
        "--interval",
        default="60s",
        help="full-resync interval of both tools (default: %(default)s)",
    )
    parser.add_argument(
        "--idle",
        type=float,
        default=None,
        help="seconds of idle observation per tool (default: interval + 15; 0 skips)",
    )
    parser.add_argument(
        "--quiet", type=float, default=8.0, help="seconds without DNS traffic that end a phase"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="per phase, seconds")
    add_output_options(parser, "compare.json (and .md, .png)")
    parser.add_argument("--png", type=Path, help="the chart (default: beside the JSON, with .png)")
    parser.add_argument(
        "--workers", type=int, default=16, help="connections creating Services in parallel"
    )
    parser.add_argument(
        "--dnssync-python",
        default=str(DEMO_PYTHON if DEMO_PYTHON.exists() else sys.executable),
        help="the Python that runs dnssync (default: the runtime-only .venv-demo of "
        "tools/demo.sh when it exists, as it holds what ships; else this one)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="record a py-spy profile of each dnssync run into this directory (py-spy on "
        "PATH); the table's CPU and RSS columns then measure py-spy, not dnssync",
    )
    args = parser.parse_args(argv)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    if args.quiet < 7:
        # ExternalDNS reconciles again 5 s (+ its 1 s ticker) after the informers' start-up
        # events: a shorter pause lets that run pick up the 1% change and hide its latency.
        parser.error("--quiet must be at least 7 seconds")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    for tool in tools:
        if tool not in TOOLS:
            parser.error(f"unknown tool {tool!r} (known: {', '.join(TOOLS)})")
    if args.idle is None:
        from dnssync.durations import parse_duration

        args.idle = parse_duration(args.interval) + 15

    edns_binary = ensure_binary() if "externaldns" in tools else None
    if any(t != "externaldns" for t in tools):
        # Byte-compiled once, as in the image: otherwise the first run after an edit pays
        # for compiling the modules it imports.
        packages = [str(REPO / "dnssync"), *map(str, (REPO / "providers").glob("*/dnssync_*"))]
        subprocess.run([args.dnssync_python, "-m", "compileall", "-q", *packages], check=True)
    env = environment(edns_binary, args.dnssync_python)
    print(f"ExternalDNS {env['external_dns']}, dnssync {env['dnssync']}, {env['bind']}", flush=True)
    tsig = TsigCredentials.generate("bench-key")
    clock = Clock()
    results: list[dict[str, Any]] = []
    with private_workdir("compare") as workdir:
        for count in sizes:
            with KubeCluster(crds=()) as cluster:
                namespaces = sorted({NAMESPACES[t] for t in tools})
                seconds = populate(cluster, count, namespaces, args.workers)
                print(
                    f"N={count}: {count} Services in {', '.join(namespaces)} "
                    f"created in {seconds:.1f}s",
                    flush=True,
                )
                for tool in tools:
                    results.append(run_tool(tool, cluster, count, tsig, args, workdir))
    document = {
        "benchmark": "bench.compare",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "environment": env,
        "settings": {
            "sizes": sizes,
            "tools": tools,
            "change_percent": args.change_percent,
            "interval": args.interval,
            "idle_seconds": args.idle,
            "externaldns_flags": f"--events --interval={args.interval} "
            "--min-event-sync-interval=5s --rfc2136-axfr --registry=txt --policy=sync "
            "--service-type-filter=LoadBalancer --annotation-prefix=" + PREFIX,
            "dnssync_flags": f"run --source service --interval {args.interval} "
            "--resync-jitter 0s (debounce 100ms)",
        },
        "results": results,
        "wall_seconds": clock.seconds(),
    }
    print()
    print(table(results))
    print(NOTE)
    json_path = write_json(result_path(args, "compare"), document)
    summary = json_path.with_suffix(".md")
    summary.write_text(
        f"# bench.compare, {document['date']}\n\n{table(results)}\n{NOTE}\n\n"
        f"Environment: `{json.dumps(env)}`\n"
    )
    print(f"Table: {summary}")
    png = args.png or json_path.with_suffix(".png")
    if chart(results, png):
        print(f"PNG:  {png}")
    return 0


NOTE = (
    "\nAXFR/UPD/QRY: DNS messages the tool sent to BIND (zone transfers, UPDATEs, queries"
    " such as SOA and RRset reads); KiB read: what BIND sent back. 'dnssync' and"
    " ExternalDNS publish the same A + ownership TXT records; ExternalDNS cannot publish"
    " SRV for LoadBalancer Services, so 'dnssync + SRV' (same Services with"
    " dnssync.io/srv-domain, in another namespace) adds an SRV + TXT per Service, and its"
    " SRV column is when those were all in the zone."
)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    raise SystemExit(main())
