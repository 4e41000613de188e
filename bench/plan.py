"""Plan benchmark: synthetic manifests with N LoadBalancer Services -> plan.

Mixed Services: IPv4, AWS-style hostnames, TCP/UDP protocol splits with SRV, dual-stack,
and mixed-protocol Services. For each size, in a fresh process (so peak RSS is its own):
reading the manifests, computing the desired state (the rules, once), planning it against
an empty zone and against a fully populated one (the plan applied to the in-memory
provider first). ``compute_plan`` is the rules plus ``check_plan``; the plans here are
``check_plan`` on the one desired state, as the daemon's full resync plans its own.

    python -m bench.plan                 # 1k, 10k, 50k
    python -m bench.plan --sizes 1000    # JSON to a temp file (path printed)
    python -m bench.plan --save          # bench/results/plan.json
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.output import Clock, add_output_options, result_path, write_json

ZONE = "example.com"


def service(index: int) -> list[dict[str, Any]]:
    """One to two Service manifests; the mix cycles through five shapes."""
    name = f"svc-{index}"
    shape = index % 5
    octets = f"{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"
    annotations = {"dnssync.io/hostname": f"{name}.{ZONE}"}
    meta: dict[str, Any] = {
        "name": name,
        "namespace": f"ns-{index % 50}",
        "annotations": annotations,
    }
    port = {"name": "app", "port": 443, "protocol": "TCP"}
    if shape == 0:  # IPv4
        ingress: list[dict[str, str]] = [{"ip": f"10.{octets}"}]
    elif shape == 1:  # AWS hostname + SRV straight to the LB
        ingress = [{"hostname": f"{name}-123.elb.us-east-1.amazonaws.com"}]
        annotations["dnssync.io/srv-domain"] = f"{name}.srv.{ZONE}"
    elif shape == 2:  # dual-stack
        ingress = [{"ip": f"10.{octets}"}, {"ip": f"2001:db8::{index:x}"}]
    elif shape == 3:  # mixed protocol with SRV
        ingress = [{"ip": f"10.{octets}"}]
        annotations["dnssync.io/srv-domain"] = f"{name}.srv.{ZONE}"
        port = {"name": "dns", "port": 53, "protocol": "TCP"}
    else:  # the split: a UDP twin under its own hostname, SRV under a shared domain
        ingress = [{"ip": f"10.{octets}"}]
        annotations["dnssync.io/srv-domain"] = f"{name}.srv.{ZONE}"
        twin_meta = {
            "name": f"{name}-udp",
            "namespace": meta["namespace"],
            "annotations": {
                "dnssync.io/hostname": f"{name}-udp.{ZONE}",
                "dnssync.io/srv-domain": f"{name}.srv.{ZONE}",
            },
        }
        twin = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": twin_meta,
            "spec": {
                "type": "LoadBalancer",
                "ports": [{"name": "kerberos", "port": 88, "protocol": "UDP"}],
            },
            "status": {"loadBalancer": {"ingress": [{"ip": f"11.{octets}"}]}},
        }
        port = {"name": "kerberos", "port": 88, "protocol": "TCP"}
        return [_svc(meta, [port], ingress), twin]
    ports = [port] + ([{"name": "dns-udp", "port": 53, "protocol": "UDP"}] if shape == 3 else [])
    return [_svc(meta, ports, ingress)]


def _svc(
    meta: dict[str, Any], ports: list[dict[str, Any]], ingress: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {"type": "LoadBalancer", "ports": ports},
        "status": {"loadBalancer": {"ingress": ingress}},
    }


def write_manifests(directory: Path, count: int, per_file: int = 1000) -> None:
    for start in range(0, count, per_file):
        docs = [d for i in range(start, min(count, start + per_file)) for d in service(i)]
        with (directory / f"services-{start:06d}.yaml").open("w") as handle:
            yaml.dump_all(docs, handle, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper))


def measure(directory: Path) -> dict[str, Any]:
    """Runs inside the child process."""
    from dnssync.engine import EngineSettings, ProviderReader, check_plan
    from dnssync.gcpause import gc_paused
    from dnssync.model.names import DomainName
    from dnssync.providers.inmemory import InMemoryProvider
    from dnssync.rules.state import DesiredState
    from dnssync.sources.manifests import read_manifests

    settings = EngineSettings()
    c0 = time.process_time()
    t0 = time.perf_counter()
    snapshot = read_manifests(directory)
    t1 = time.perf_counter()
    with gc_paused():  # as compute_plan builds it
        desired = DesiredState.build(snapshot.objects, settings.rules)
    t2 = time.perf_counter()
    provider = InMemoryProvider([DomainName.parse(ZONE)])
    empty = check_plan(desired, ProviderReader(provider), settings, snapshot.status)
    t3 = time.perf_counter()
    provider.apply(DomainName.parse(ZONE), empty.plan.zones[0].groups)
    t4 = time.perf_counter()
    changes_empty_zone = len(empty.plan.changes)
    del empty  # applied: not part of what the next plan holds
    full = check_plan(desired, ProviderReader(provider), settings, snapshot.status)
    t5 = time.perf_counter()
    c5 = time.process_time()
    assert not full.plan.has_changes, "the populated zone must plan empty"
    return {
        "objects": len(snapshot.objects),
        "desired_rrsets": desired.record_count,
        "changes_empty_zone": changes_empty_zone,
        "read_manifests_s": round(t1 - t0, 4),
        "rules_s": round(t2 - t1, 4),
        "plan_empty_zone_s": round(t3 - t2, 4),
        "apply_inmemory_s": round(t4 - t3, 4),
        "plan_full_zone_s": round(t5 - t4, 4),
        # What the daemon's full resync of an unchanged cluster costs: the rules, then the
        # plan against the full zone (compute_plan does both).
        "full_resync_s": round((t2 - t1) + (t5 - t4), 4),
        # CPU seconds of the whole measurement: steadier than wall time on a shared machine.
        "cpu_s": round(c5 - c0, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,50000")
    add_output_options(parser, "plan.json")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child)))
        return 0
    clock = Clock()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="dnssync-bench-") as tmp:
            write_manifests(Path(tmp), size)
            out = subprocess.run(
                [sys.executable, "-m", "bench.plan", "--child", tmp],
                check=True,
                capture_output=True,
                text=True,
                timeout=1800,
            )
        row = {"services": size, **json.loads(out.stdout.strip().splitlines()[-1])}
        rows.append(row)
        print_row(row, header=len(rows) == 1)
    document = {"benchmark": "plan", "rows": rows, "wall_seconds": clock.seconds()}
    write_json(result_path(args, "plan"), document)
    return 0


COLUMNS = (
    "services",
    "objects",
    "desired_rrsets",
    "read_manifests_s",
    "rules_s",
    "plan_empty_zone_s",
    "plan_full_zone_s",
    "full_resync_s",
    "cpu_s",
    "peak_rss_mb",
)


def print_row(row: dict[str, Any], header: bool) -> None:
    if header:
        print(" ".join(f"{c:>18}" for c in COLUMNS))
    print(" ".join(f"{row[c]!s:>18}" for c in COLUMNS), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
