"""Webhook benchmark: what a reconcile costs through the ExternalDNS webhook protocol.

The synthetic Services of ``bench.plan`` (IPv4, AWS hostnames with SRV, dual-stack,
mixed protocols, TCP/UDP splits) are planned and applied with ``--provider webhook``
through the engine, as ``dnssync apply`` does, three times: into an empty zone, again with
nothing changed, and again after one Service got a new address. For each: the requests by
kind, the bytes both ways, the largest ``POST /records`` body, the wall time.

Servers: ``fake`` (testinfra/webhook_fake.py, which logs every body size) and
``externaldns`` (``external-dns --webhook-server --provider=inmemory``, the real peer).

    python -m bench.webhook                                  # 100, 1,000, 5,000 Services
    python -m bench.webhook --sizes 1000 --server fake
    python -m bench.webhook --save                           # bench/results/webhook.json
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from bench.output import Clock, add_output_options, private_workdir, result_path, write_json
from bench.plan import ZONE, service, write_manifests
from dnssync.engine import EngineSettings, apply_plan, compute_plan
from dnssync.ownership.txt import TxtRegistry
from dnssync.planning.planner import PlanSettings
from dnssync.providers.base import Provider
from dnssync.sources.manifests import read_manifests
from dnssync.sources.snapshot import SourceSnapshot
from testinfra.external_dns_webhook import ExternalDnsWebhook
from testinfra.webhook_fake import FakeWebhook

SETTINGS = EngineSettings(plan=PlanSettings(registry=TxtRegistry("bench"), force=True))


@contextmanager
def server(kind: str) -> Iterator[tuple[str, FakeWebhook | None]]:
    if kind == "fake":
        with FakeWebhook(domain_filter={"include": [ZONE]}) as fake:
            yield fake.url, fake
    else:
        with ExternalDnsWebhook.inmemory((ZONE,)) as hook:
            yield hook.url, None


def provider(url: str, max_body: int) -> Provider:
    """Imported by module name, as bench.rfc2136 does (mypy checks providers/ on its own)."""
    settings: Any = importlib.import_module("dnssync_webhook.settings")
    module: Any = importlib.import_module("dnssync_webhook.provider")
    from dnssync.model.names import DomainName

    config = settings.WebhookSettings(
        url=url, zones=(DomainName.parse(ZONE),), max_body_bytes=max_body
    )
    built: Provider = module.WebhookProvider(config)
    return built


def reconcile(p: Provider, snapshot: SourceSnapshot, fake: FakeWebhook | None) -> dict[str, Any]:
    p.requests.reset()
    if fake is not None:
        fake.reset_requests()
    t0 = time.perf_counter()
    outcome = compute_plan(snapshot, p, SETTINGS)
    report = apply_plan(p, outcome.plan)
    seconds = time.perf_counter() - t0
    if report.failures:
        raise SystemExit(f"apply failed: {report.failures[0][1].message}")
    by_kind = Counter[str]()
    for (operation, _result), n in p.requests.counts.items():
        by_kind[operation] += n
    row: dict[str, Any] = {
        "changes": len(outcome.plan.changes),
        "requests": dict(sorted(by_kind.items())),
        "requests_total": sum(by_kind.values()),
        "bytes_sent": p.requests.bytes_sent,
        "bytes_received": p.requests.bytes_received,
        "seconds": round(seconds, 3),
    }
    if fake is not None:
        posts = [r.size for r in fake.requests if (r.method, r.path) == ("POST", "/records")]
        row["post_records_bodies"] = len(posts)
        row["largest_post_records_body"] = max(posts, default=0)
    return row


def run(size: int, kind: str, max_body: int) -> dict[str, Any]:
    with private_workdir("webhook") as directory:
        write_manifests(directory, size)
        snapshot = read_manifests(directory)
        with server(kind) as (url, fake):
            p = provider(url, max_body)
            first = reconcile(p, snapshot, fake)
            idle = reconcile(p, snapshot, fake)
            # One Service gets a new address (shape 0: svc-0 is IPv4).
            moved = service(0)[0]
            moved["status"]["loadBalancer"]["ingress"] = [{"ip": "192.0.2.200"}]
            (directory / "services-000000.yaml").write_text(
                yaml.safe_dump_all([moved, *_rest(directory / "services-000000.yaml")])
            )
            one = reconcile(p, read_manifests(directory), fake)
            p.close()
    return {
        "services": size,
        "desired_rrsets": first["changes"] // 2,
        "server": kind,
        "first": first,
        "idle": idle,
        "one_change": one,
    }


def _rest(path: Path) -> list[Any]:
    docs = list(yaml.safe_load_all(path.read_text()))
    return [d for d in docs if d["metadata"]["name"] != "svc-0"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--server", default="fake,externaldns")
    parser.add_argument("--max-body-size", type=int, default=32 << 20)
    add_output_options(parser, "webhook.json")
    args = parser.parse_args(argv)
    clock = Clock()
    rows = []
    for kind in args.server.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            row = run(size, kind, args.max_body_size)
            rows.append(row)
            print(json.dumps(row))
    document = {
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "max_body_size": args.max_body_size,
        "rows": rows,
        "wall_seconds": clock.seconds(),
    }
    write_json(result_path(args, "webhook"), document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
