"""Helpers for the cluster-source tests: create objects and set their status on a real
apiserver (through the harness's plain HTTPS client, as an admin)."""

from __future__ import annotations

import contextlib
import io
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dnssync.cli.main import main
from testinfra.gates import require_k8s
from testinfra.k8s import KubeApiError, KubeCluster, binaries_available

GW = "gateway.networking.k8s.io"
MERGE = "application/merge-patch+json"
ROUTE_PLURALS = {
    "HTTPRoute": "httproutes",
    "TLSRoute": "tlsroutes",
    "TCPRoute": "tcproutes",
    "UDPRoute": "udproutes",
}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Objects:
    """Admin-side object helpers for one cluster."""

    def __init__(self, cluster: KubeCluster) -> None:
        self.cluster = cluster

    def namespace(self, name: str | None = None, labels: Mapping[str, str] | None = None) -> str:
        name = name or unique("ns")
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        if labels:
            body["metadata"]["labels"] = dict(labels)  # type: ignore[index]
        try:
            self.cluster.request("POST", "/api/v1/namespaces", body)
        except KubeApiError as exc:
            if exc.status != 409:
                raise
        return name

    # ------------------------------------------------------------------ Services

    def service(
        self,
        namespace: str,
        name: str,
        *,
        annotations: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        ports: Sequence[Mapping[str, Any]] = ({"name": "http", "port": 80, "protocol": "TCP"},),
        type_: str = "LoadBalancer",
        ingress: Sequence[Mapping[str, str]] | None = None,
    ) -> dict[str, Any]:
        body = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": name,
                "annotations": dict(annotations or {}),
                "labels": dict(labels or {}),
            },
            "spec": {"type": type_, "selector": {"app": name}, "ports": [dict(p) for p in ports]},
        }
        created: dict[str, Any] = self.cluster.request(
            "POST", f"/api/v1/namespaces/{namespace}/services", body
        )
        if ingress is not None:
            return self.service_ingress(namespace, name, ingress)
        return created

    def service_ingress(
        self, namespace: str, name: str, ingress: Sequence[Mapping[str, str]]
    ) -> dict[str, Any]:
        """Set status.loadBalancer.ingress through the status subresource."""
        result: dict[str, Any] = self.cluster.request(
            "PATCH",
            f"/api/v1/namespaces/{namespace}/services/{name}/status",
            {"status": {"loadBalancer": {"ingress": [dict(i) for i in ingress]}}},
            content_type=MERGE,
        )
        return result

    # ------------------------------------------------------------------ Ingresses

    def ingress(
        self,
        namespace: str,
        name: str,
        *,
        rules: Sequence[str] = (),
        tls: Sequence[Sequence[str]] = (),
        annotations: Mapping[str, str] | None = None,
        class_name: str | None = None,
        status: Sequence[Mapping[str, str]] | None = None,
    ) -> dict[str, Any]:
        """A networking.k8s.io/v1 Ingress with one backend per rule host."""
        backend = {"service": {"name": "web", "port": {"number": 80}}}
        spec: dict[str, Any] = {
            "rules": [
                {
                    "host": h,
                    "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
                }
                for h in rules
            ],
        }
        if tls:
            spec["tls"] = [{"hosts": list(hosts), "secretName": "tls"} for hosts in tls]
        if class_name is not None:
            spec["ingressClassName"] = class_name
        body = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": name, "annotations": dict(annotations or {})},
            "spec": spec,
        }
        created: dict[str, Any] = self.cluster.request("POST", ingress_path(namespace), body)
        if status is not None:
            return self.ingress_status(namespace, name, status)
        return created

    def ingress_status(
        self, namespace: str, name: str, status: Sequence[Mapping[str, str]]
    ) -> dict[str, Any]:
        return self.patch_status(
            ingress_path(namespace, name), {"loadBalancer": {"ingress": [dict(i) for i in status]}}
        )

    def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        return self.cluster.request("PATCH", path, dict(body), content_type=MERGE)

    def delete(self, path: str) -> None:
        self.cluster.request("DELETE", path)

    # ------------------------------------------------------------------ Gateway API

    def gateway(
        self,
        namespace: str,
        name: str,
        listeners: Sequence[Mapping[str, Any]],
        addresses: Sequence[Mapping[str, str]] | None = None,
        *,
        annotations: Mapping[str, str] | None = None,
        version: str = "v1",
        allowed_listeners: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "gatewayClassName": "example",
            "listeners": [dict(x) for x in listeners],
        }
        if allowed_listeners is not None:
            spec["allowedListeners"] = dict(allowed_listeners)
        body = {
            "apiVersion": f"{GW}/{version}",
            "kind": "Gateway",
            "metadata": {"name": name, "annotations": dict(annotations or {})},
            "spec": spec,
        }
        path = f"/apis/{GW}/{version}/namespaces/{namespace}/gateways"
        created: dict[str, Any] = self.cluster.request("POST", path, body)
        if addresses is not None:
            return self.patch_status(f"{path}/{name}", {"addresses": [dict(a) for a in addresses]})
        return created

    def listener_set(
        self,
        namespace: str,
        name: str,
        parent: Mapping[str, Any],
        listeners: Sequence[Mapping[str, Any]],
        *,
        accepted: bool = True,
        conflicted: Sequence[str] = (),
        annotations: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create a ListenerSet and give it the status a Gateway controller would: Accepted
        (or not), each listener Accepted unless named in ``conflicted``."""
        body = {
            "apiVersion": f"{GW}/v1",
            "kind": "ListenerSet",
            "metadata": {"name": name, "annotations": dict(annotations or {})},
            "spec": {"parentRef": dict(parent), "listeners": [dict(x) for x in listeners]},
        }
        path = f"/apis/{GW}/v1/namespaces/{namespace}/listenersets"
        self.cluster.request("POST", path, body)
        return self.patch_status(
            f"{path}/{name}", listener_set_status(listeners, accepted, conflicted)
        )

    def route(
        self,
        namespace: str,
        kind: str,
        name: str,
        parents: Sequence[Mapping[str, Any]],
        *,
        hostnames: Sequence[str] = (),
        annotations: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        accepted: bool | None = True,
        version: str = "v1",
    ) -> dict[str, Any]:
        """Create a route; with ``accepted`` not None, give each parent an Accepted condition."""
        spec: dict[str, Any] = {"parentRefs": [dict(p) for p in parents]}
        if hostnames:
            spec["hostnames"] = list(hostnames)
        if kind == "HTTPRoute":
            spec["rules"] = [{"backendRefs": [{"name": "backend", "port": 80}]}]
        else:
            spec["rules"] = [{"backendRefs": [{"name": "backend", "port": 88}]}]
        body = {
            "apiVersion": f"{GW}/{version}",
            "kind": kind,
            "metadata": {
                "name": name,
                "annotations": dict(annotations or {}),
                "labels": dict(labels or {}),
            },
            "spec": spec,
        }
        path = f"/apis/{GW}/{version}/namespaces/{namespace}/{ROUTE_PLURALS[kind]}"
        created: dict[str, Any] = self.cluster.request("POST", path, body)
        if accepted is None:
            return created
        return self.route_accepted(path + f"/{name}", parents, accepted, created)

    def route_accepted(
        self,
        path: str,
        parents: Sequence[Mapping[str, Any]],
        accepted: bool,
        current: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        generation = (current or self.cluster.request("GET", path))["metadata"].get("generation", 1)
        condition = {
            "type": "Accepted",
            "status": "True" if accepted else "False",
            "reason": "Accepted" if accepted else "NotAllowedByListeners",
            "message": "",
            "observedGeneration": generation,
            "lastTransitionTime": "2026-01-01T00:00:00Z",
        }
        status = {
            "parents": [
                {
                    "parentRef": dict(p),
                    "controllerName": "example.test/gateway-controller",
                    "conditions": [condition],
                }
                for p in parents
            ]
        }
        return self.patch_status(path, status)

    def patch_status(self, path: str, status: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.cluster.request(
            "PATCH", f"{path}/status", {"status": dict(status)}, content_type=MERGE
        )
        return result

    def create(self, manifest: Mapping[str, Any]) -> None:
        """Create a manifest's object, then set its ``status`` via the status subresource."""
        body = {k: v for k, v in manifest.items() if k != "status"}
        api_version = str(manifest["apiVersion"])
        namespace = manifest["metadata"]["namespace"]
        kind = str(manifest["kind"])
        plural = "services" if kind == "Service" else ROUTE_PLURALS.get(kind, "gateways")
        prefix = "/api" if "/" not in api_version else "/apis"
        path = f"{prefix}/{api_version}/namespaces/{namespace}/{plural}"
        self.cluster.request("POST", path, body)
        if manifest.get("status"):
            self.patch_status(f"{path}/{manifest['metadata']['name']}", manifest["status"])

    # ------------------------------------------------------------------ RBAC

    def reader_kubeconfig(self, tmp: Path, name: str, rules: Sequence[Mapping[str, Any]]) -> Path:
        """A kubeconfig of a ServiceAccount (TokenRequest) bound to a ClusterRole of ``rules``."""
        namespace = self.namespace(unique("sa"))
        self.cluster.request(
            "POST",
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": name},
                "rules": [dict(r) for r in rules],
            },
        )
        self.cluster.request(
            "POST",
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": name},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": name,
                },
                "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
            },
        )
        token = self.cluster.create_service_account_token(namespace, name)
        return self.cluster.write_kubeconfig(tmp / f"{name}.kubeconfig", token=token, user=name)


def condition(kind: str, status: bool, reason: str) -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True" if status else "False",
        "reason": reason,
        "message": "",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }


def listener_set_status(
    listeners: Sequence[Mapping[str, Any]], accepted: bool, conflicted: Sequence[str] = ()
) -> dict[str, Any]:
    return {
        "conditions": [
            condition("Accepted", accepted, "Accepted" if accepted else "NotAllowed"),
            condition("Programmed", accepted, "Programmed" if accepted else "Invalid"),
        ],
        "listeners": [
            {
                "name": ln["name"],
                "attachedRoutes": 0,
                "supportedKinds": [],
                "conditions": [
                    condition("Accepted", ln["name"] not in conflicted, "Accepted"),
                    condition(
                        "Conflicted",
                        ln["name"] in conflicted,
                        "HostnameConflict" if ln["name"] in conflicted else "NoConflicts",
                    ),
                ],
            }
            for ln in listeners
        ],
    }


def ingress_path(namespace: str, name: str | None = None) -> str:
    path = f"/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses"
    return f"{path}/{name}" if name is not None else path


def run_cli(args: Sequence[str]) -> tuple[int, str, str]:
    """``dnssync ARGS``: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def plan_json(
    args: Sequence[str], expected: Sequence[int] = (0, 2)
) -> tuple[int, dict[str, Any], str]:
    """``plan --output json``; exit 1 (an error, or input that could not be read) only
    when the test expects it."""
    code, out, err = run_cli(["plan", *args, "--output", "json"])
    assert code in expected, (code, out, err)
    return code, json.loads(out), err


def records(
    plan: Mapping[str, Any], action: str = "create"
) -> set[tuple[str, str, tuple[str, ...]]]:
    """(name, type, values) of the changes with ``action``, ownership TXT left out."""
    return {
        (c["name"], c["type"], tuple(sorted(c["values"] or ())))
        for c in plan["changes"]
        if c["action"] == action and c["type"] != "TXT"
    }


def eventually(check: Callable[[], bool], timeout: float = 30.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: {check}")
        time.sleep(interval)


def require_binaries() -> None:
    """Skip (fail in CI) when the kube-apiserver and etcd binaries are missing."""
    require_k8s(binaries_available())
