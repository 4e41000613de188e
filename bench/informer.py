"""Informer benchmark: N LoadBalancer Services + Gateways/routes in a real test apiserver,
then the time to initial sync of a ClusterSource and the RSS of the process running it.

The cluster is the loopback kube-apiserver + etcd of ``testinfra.k8s`` (or an existing
loopback cluster with ``--kubeconfig``). Objects look like real ones: a
``last-applied-configuration`` annotation and server-side managedFields, which the
projection drops. The source runs in a separate process
(``python -m bench.sync_probe``), so its RSS is its own; a second run
watching an empty namespace gives the baseline (interpreter + libraries).

    python -m bench.informer                         # 10k Services + 1k Gateway API objects
    python -m bench.informer --services 2000 --gateways 50      # JSON to a temp file
    python -m bench.informer --save                # bench/results/informer.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.output import Clock, add_output_options, result_path, write_json
from dnssync.sources.kube.api import MERGE_PATCH, KubeApi
from dnssync.sources.kube.client import ClientSettings, connect
from dnssync.sources.kube.errors import KubeApiError
from testinfra.k8s import KubeCluster

GW = "gateway.networking.k8s.io"
NAMESPACES = 20
MAX_SERVICES = 50_000
MAX_GATEWAYS = 5_000
ROUTES_PER_GATEWAY = 3  # a TCPRoute, a UDPRoute and an HTTPRoute per Gateway


# --------------------------------------------------------------------------- objects


def service(index: int) -> dict[str, Any]:
    name = f"svc-{index}"
    spec = {
        "type": "LoadBalancer",
        # 10k Services would exhaust the node-port range (30000-32767)
        "allocateLoadBalancerNodePorts": False,
        "selector": {"app": name},
        "ports": [
            {"name": "https", "port": 443, "protocol": "TCP"},
            {"name": "dns", "port": 53, "protocol": "UDP"},
        ],
    }
    meta = {
        "name": name,
        "labels": {"app": name, "tier": "bench", "team": f"team-{index % 7}"},
        "annotations": {
            "dnssync.io/hostname": f"{name}.bench.example.com",
            "dnssync.io/srv-domain": "bench.example.com",
        },
    }
    applied = json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec})
    meta["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = applied  # type: ignore[index]
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}


def ingress(index: int) -> dict[str, Any]:
    ip = f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"
    return {"status": {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}}}


def gateway(index: int) -> dict[str, Any]:
    return {
        "apiVersion": f"{GW}/v1",
        "kind": "Gateway",
        "metadata": {"name": f"gw-{index}"},
        "spec": {
            "gatewayClassName": "bench",
            "listeners": [
                {"name": "tcp", "port": 5432, "protocol": "TCP"},
                {"name": "udp", "port": 53, "protocol": "UDP"},
                {"name": "http", "port": 80, "protocol": "HTTP"},
            ],
        },
    }


def gateway_status(index: int) -> dict[str, Any]:
    ip = f"172.16.{(index >> 8) & 255}.{index & 255}"
    return {"status": {"addresses": [{"type": "IPAddress", "value": ip}]}}


def route(kind: str, index: int) -> dict[str, Any]:
    section = {"TCPRoute": "tcp", "UDPRoute": "udp", "HTTPRoute": "http"}[kind]
    name = f"{section}-{index}"
    spec: dict[str, Any] = {
        "parentRefs": [{"name": f"gw-{index}", "sectionName": section}],
        "rules": [{"backendRefs": [{"name": name, "port": 80}]}],
    }
    if kind == "HTTPRoute":
        spec["hostnames"] = [f"{name}.bench.example.com"]
    return {
        "apiVersion": f"{GW}/v1",
        "kind": kind,
        "metadata": {
            "name": name,
            "annotations": {"dnssync.io/hostname": f"{name}.bench.example.com"},
        },
        "spec": spec,
    }


def route_status(index: int, kind: str) -> dict[str, Any]:
    section = {"TCPRoute": "tcp", "UDPRoute": "udp", "HTTPRoute": "http"}[kind]
    condition = {
        "type": "Accepted",
        "status": "True",
        "reason": "Accepted",
        "message": "",
        "observedGeneration": 1,
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }
    return {
        "status": {
            "parents": [
                {
                    "parentRef": {"name": f"gw-{index}", "sectionName": section},
                    "controllerName": "bench.example/gateway",
                    "conditions": [condition],
                }
            ]
        }
    }


# --------------------------------------------------------------------------- creation


def create(api: KubeApi, collection: str, body: dict[str, Any], status: dict[str, Any]) -> None:
    try:
        api.request("POST", collection, body=body)
    except KubeApiError as exc:
        if exc.status != 409:  # already there from an earlier run on --kubeconfig
            raise
    name = body["metadata"]["name"]
    api.request("PATCH", f"{collection}/{name}/status", body=status, content_type=MERGE_PATCH)


def run_parallel(workers: int, jobs: Iterable[Callable[[], None]]) -> None:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def populate(api: KubeApi, services: int, gateways: int, workers: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    for index in range(NAMESPACES):
        try:
            api.request(
                "POST",
                "/api/v1/namespaces",
                body={
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": f"bench-{index}"},
                },
            )
        except KubeApiError as exc:
            if exc.status != 409:
                raise
    started = time.monotonic()

    def service_job(i: int) -> Callable[[], None]:
        path = f"/api/v1/namespaces/bench-{i % NAMESPACES}/services"
        return lambda: create(api, path, service(i), ingress(i))

    run_parallel(workers, (service_job(i) for i in range(services)))
    timings["create_services_seconds"] = time.monotonic() - started

    started = time.monotonic()

    def gateway_job(i: int) -> Callable[[], None]:
        base = f"/apis/{GW}/v1/namespaces/bench-{i % NAMESPACES}"

        def job() -> None:
            create(api, f"{base}/gateways", gateway(i), gateway_status(i))
            for kind, plural in (
                ("TCPRoute", "tcproutes"),
                ("UDPRoute", "udproutes"),
                ("HTTPRoute", "httproutes"),
            ):
                create(api, f"{base}/{plural}", route(kind, i), route_status(i, kind))

        return job

    run_parallel(workers, (gateway_job(i) for i in range(gateways)))
    timings["create_gateway_api_seconds"] = time.monotonic() - started
    return timings


# --------------------------------------------------------------------------- measuring


def probe(kubeconfig: Path, namespaces: Iterable[str] = ()) -> dict[str, Any]:
    argv = [
        sys.executable,
        "-m",
        "bench.sync_probe",
        "--kubeconfig",
        str(kubeconfig),
    ]
    for namespace in namespaces:
        argv += ["--namespace", namespace]
    root = Path(__file__).resolve().parents[1]  # bench.sync_probe is found from the repo root
    done = subprocess.run(argv, capture_output=True, text=True, timeout=1800, check=False, cwd=root)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"sync probe failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def check_loopback(kubeconfig: Path) -> None:
    import yaml

    config = yaml.safe_load(kubeconfig.read_text())
    for cluster in config.get("clusters") or []:
        host = urllib.parse.urlsplit(cluster["cluster"]["server"]).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"refusing to fill a non-loopback cluster ({host})")


def run(args: argparse.Namespace) -> dict[str, Any]:
    services = min(args.services, MAX_SERVICES)
    gateways = min(args.gateways // (ROUTES_PER_GATEWAY + 1), MAX_GATEWAYS)
    cluster: KubeCluster | None = None
    if args.kubeconfig:
        kubeconfig = Path(args.kubeconfig)
        check_loopback(kubeconfig)
    else:
        started = time.monotonic()
        cluster = KubeCluster(extra_apiserver_args=["--max-requests-inflight=800"]).start()
        kubeconfig = cluster.kubeconfig_path
        print(f"cluster ready in {time.monotonic() - started:.1f}s", file=sys.stderr)
    try:
        api = connect(ClientSettings(str(kubeconfig), max_connections=args.workers + 4))
        try:
            print(
                f"creating {services} Services and {gateways} Gateways with "
                f"{gateways * ROUTES_PER_GATEWAY} routes ...",
                file=sys.stderr,
            )
            timings = populate(api, services, gateways, args.workers)
        finally:
            api.close()
        full = probe(kubeconfig)
        baseline = probe(kubeconfig, ["bench-empty-namespace"])
    finally:
        if cluster is not None:
            cluster.stop()
    return {
        "services": services,
        "gateways": gateways,
        "routes": gateways * ROUTES_PER_GATEWAY,
        **{k: round(v, 1) for k, v in timings.items()},
        "sync": full,
        "baseline": baseline,
        "cache_mb": round(full["rss_synced_mb"] - baseline["rss_synced_mb"], 1),
    }


def table(result: dict[str, Any]) -> str:
    full, base = result["sync"], result["baseline"]
    rows = [
        (
            "objects in the cluster",
            f"{result['services']} Services, {result['gateways']} "
            f"Gateways, {result['routes']} routes",
        ),
        ("objects in the cache", f"{full['objects']} (complete={full['complete']})"),
        ("time to initial sync", f"{full['sync_seconds']:.2f} s"),
        ("RSS after sync", f"{full['rss_synced_mb']:.1f} MiB"),
        ("peak RSS", f"{full['peak_rss_mb']:.1f} MiB"),
        ("baseline RSS (empty namespace)", f"{base['rss_synced_mb']:.1f} MiB"),
        ("cache (RSS - baseline)", f"{result['cache_mb']:.1f} MiB"),
        ("creating Services", f"{result['create_services_seconds']:.1f} s"),
        ("creating Gateway API objects", f"{result['create_gateway_api_seconds']:.1f} s"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.informer", description=__doc__)
    parser.add_argument("--services", type=int, default=10_000, help=f"at most {MAX_SERVICES}")
    parser.add_argument(
        "--gateways",
        type=int,
        default=1_000,
        help="Gateway API objects: Gateways plus their TCP/UDP/HTTP routes (1 in 4 a Gateway)",
    )
    parser.add_argument("--workers", type=int, default=8, help="parallel creation requests")
    parser.add_argument("--kubeconfig", help="use this loopback cluster instead of starting one")
    add_output_options(parser, "informer.json")
    args = parser.parse_args(argv)
    clock = Clock()
    result = run(args)
    print(table(result))
    write_json(result_path(args, "informer"), {**result, "wall_seconds": clock.seconds()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
