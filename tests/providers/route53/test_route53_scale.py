"""Route53 at scale: a cold converge of 20,000 Services through the CLI against moto.

Requests are counted where they arrive (the moto server) and compared with what the
process's request bucket let through, on simulated time (docs/providers/route53.md,
"Rate limits and batching"); nothing here is timed.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from dnssync.cli.main import main
from testinfra.moto_server import MAX_CHANGES, MAX_CHARACTERS, MAX_VALUES, MotoRoute53
from tests.providers.route53.r53_helpers import Paced, most_in_one_second

SERVICES = 20_000
PAGE = 300  # ListResourceRecordSets' MaxItems


def write_services(directory: Path, count: int, per_file: int = 2000) -> None:
    directory.mkdir()
    for start in range(0, count, per_file):
        docs = [
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": f"svc-{i}",
                    "namespace": f"ns-{i % 20}",
                    "annotations": {"dnssync.io/hostname": f"svc-{i}.example.com"},
                },
                "spec": {"type": "LoadBalancer", "ports": [{"port": 443, "protocol": "TCP"}]},
                "status": {
                    "loadBalancer": {
                        "ingress": [{"ip": f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}"}]
                    }
                },
            }
            for i in range(start, min(count, start + per_file))
        ]
        with (directory / f"services-{start:05d}.yaml").open("w") as handle:
            yaml.dump_all(docs, handle, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper))


def run(command: str, manifests: Path) -> int:
    argv = [command, "--manifests", str(manifests), "--provider", "route53"]
    argv += ["--domain", "example.com", "--owner-id", "scale", "--aws-requests-per-second", "5"]
    return main([*argv, "--yes"] if command == "apply" else argv)


def fewest_batches(aws: MotoRoute53, zone_id: str) -> int:
    """What the limits allow for everything the batches carried, however it is cut."""
    sent = aws.change_requests(zone_id)
    return max(
        math.ceil(sum(b.changes for b in sent) / MAX_CHANGES),
        math.ceil(sum(b.values for b in sent) / MAX_VALUES),
        math.ceil(sum(b.characters for b in sent) / MAX_CHARACTERS),
    )


@pytest.mark.slow
def test_cold_converge_of_20000_services(
    aws: MotoRoute53,
    example_zone: str,
    process_bucket: Paced,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    manifests = tmp_path / "services"
    write_services(manifests, SERVICES)
    granted = process_bucket.granted
    before = aws.request_counts()

    assert run("apply", manifests) == 0, capsys.readouterr().err
    cold = aws.request_counts() - before
    cold_grants = len(granted)

    batches = aws.change_requests(example_zone)
    assert batches and all(b.accepted for b in batches)
    assert cold["ChangeResourceRecordSets"] == len(batches) == fewest_batches(aws, example_zone)
    # An empty zone (NS and SOA) is one page.
    assert cold["ListResourceRecordSets"] == 1
    assert cold["ListHostedZones"] == 1
    # Every request went through the bucket, and no second of them held more than 5.
    assert cold_grants == cold.total()
    assert most_in_one_second(granted) <= 5

    held = aws.record_sets(example_zone)
    assert len(held) == 2 * SERVICES + 2  # an A and its ownership TXT each; NS, SOA

    # A restart: the zone is read in full, 300 sets a page, and nothing is sent.
    before = aws.request_counts()
    assert run("plan", manifests) == 0, capsys.readouterr().err
    warm = aws.request_counts() - before
    assert warm["ListResourceRecordSets"] == math.ceil(len(held) / PAGE)
    assert warm["ChangeResourceRecordSets"] == 0
    assert len(granted) - cold_grants == warm.total()
    assert most_in_one_second(granted) <= 5
    print(
        f"{SERVICES} Services: cold {dict(cold)} in {granted[cold_grants - 1] - granted[0]:.1f}"
        f" simulated s; restart {dict(warm)}; batch sizes (changes, values, characters) "
        f"{sorted({(b.changes, b.values, b.characters) for b in batches})[:3]}..."
    )
