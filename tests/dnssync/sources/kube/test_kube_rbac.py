"""A ServiceAccount whose RBAC lacks one resource: a clear error, and no deletes."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnssync.model.diagnostics import Severity
from dnssync.sources.filters import ObjectFilter
from dnssync.sources.kube import ClusterSource, WatchSettings
from dnssync.sources.kube.client import ClientSettings, connect
from dnssync.sources.objects import GatewayObject, ServiceObject
from tests.dnssync.sources.kube.kube_testkit import Objects, plan_json, run_cli, unique

pytestmark = pytest.mark.k8s

READ = ["get", "list", "watch"]
NO_TCPROUTES = [
    {"apiGroups": [""], "resources": ["services"], "verbs": READ},
    {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses"], "verbs": READ},
    {
        "apiGroups": ["gateway.networking.k8s.io"],
        "resources": ["gateways", "listenersets", "httproutes", "tlsroutes", "udproutes"],
        "verbs": READ,
    },
]


def test_denied_resource_is_a_clear_error_and_deletes_nothing(
    objects: Objects, kubeconfig: Path, ns: str, tmp_path: Path
) -> None:
    objects.service(
        ns,
        "svc",
        annotations={"dnssync.io/hostname": f"svc-{ns}.example.com"},
        ingress=[{"ip": "192.0.2.40"}],
    )
    objects.gateway(
        ns,
        "gw",
        [{"name": "tcp", "port": 5432, "protocol": "TCP"}],
        [{"type": "IPAddress", "value": "192.0.2.41"}],
    )
    objects.route(
        ns,
        "TCPRoute",
        "db",
        [{"name": "gw", "sectionName": "tcp"}],
        annotations={"dnssync.io/hostname": f"db-{ns}.example.com"},
    )
    zones = tmp_path / "zones"
    zones.mkdir()
    common = [
        "--namespace",
        ns,
        "--provider",
        "zonefile",
        "--zonefile-dir",
        str(zones),
        "--zone",
        "example.com",
    ]
    assert run_cli(["apply", "--kubeconfig", str(kubeconfig), *common, "--yes"])[0] == 0
    assert f"db-{ns}" in (zones / "example.com.zone").read_text()

    restricted = objects.reader_kubeconfig(tmp_path, unique("no-tcproutes"), NO_TCPROUTES)

    # plan: the error names the resource and the missing permission; nothing is deleted,
    # and the run is incomplete: exit 1 after the (empty) plan.
    _, plan, err = plan_json(["--kubeconfig", str(restricted), *common], expected=(1,))
    assert not [c for c in plan["changes"] if c["action"] == "delete"], plan
    assert "the run is incomplete" in err
    assert "forbidden to list tcproutes.gateway.networking.k8s.io/v1" in err
    assert "grant get, list and watch on resource tcproutes" in err
    assert "no records are deleted" in err

    # the daemon's source: not synced, complete=False, the error in words
    api = connect(ClientSettings(str(restricted)))
    source = ClusterSource(
        api, object_filter=ObjectFilter(namespaces=(ns,)), settings=WatchSettings(watch_timeout=5)
    )
    source.start()
    try:
        assert not source.wait_synced(5)
        assert not source.synced
        assert "forbidden to list tcproutes" in (source.last_error or "")
        snapshot = source.snapshot()
        assert snapshot.complete is False
        (problem,) = [d for d in snapshot.diagnostics if d.severity is Severity.ERROR]
        assert problem.reason == "SourceForbidden"
        assert "tcproutes" in problem.subject
        # what could be read is there
        kinds = {type(o) for o in snapshot.objects}
        assert kinds == {ServiceObject, GatewayObject}
    finally:
        source.stop()
        api.close()


def test_nothing_readable_is_an_error(objects: Objects, tmp_path: Path) -> None:
    nothing = objects.reader_kubeconfig(
        tmp_path,
        unique("nothing"),
        [{"apiGroups": [""], "resources": ["configmaps"], "verbs": READ}],
    )
    code, _, err = run_cli(
        ["plan", "--kubeconfig", str(nothing), "--provider", "inmemory", "--zone", "example.com"]
    )
    assert code == 1
    assert "cannot read the cluster" in err and "forbidden to list services" in err
