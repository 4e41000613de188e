"""Helpers of the ExternalDNS interop tests: Services on the real apiserver, the zone as BIND
holds it, and records someone else writes by hand."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.update

from testinfra import bind as bind_mod
from testinfra.bind import DnsServer
from testinfra.k8s import KubeCluster

PREFIX = "external-dns.alpha.kubernetes.io/"

Zone = dict[tuple[str, str], tuple[int, frozenset[str]]]


def service(
    cluster: KubeCluster,
    ns: str,
    name: str,
    *,
    hostname: str,
    ingress: Sequence[Mapping[str, str]],
    ttl: str | None = "300",
    srv_domain: str | None = None,
    ports: Sequence[Mapping[str, Any]] = ({"name": "http", "port": 80, "protocol": "TCP"},),
) -> None:
    """A LoadBalancer Service with ExternalDNS annotations (and dnssync's srv-domain)."""
    annotations = {PREFIX + "hostname": hostname}
    if ttl is not None:
        annotations[PREFIX + "ttl"] = ttl
    if srv_domain is not None:
        annotations["dnssync.io/srv-domain"] = srv_domain
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {
            "type": "LoadBalancer",
            "allocateLoadBalancerNodePorts": False,
            "selector": {"app": name},
            "ports": [dict(p) for p in ports],
        },
    }
    cluster.request("POST", f"/api/v1/namespaces/{ns}/services", body)
    set_ingress(cluster, ns, name, ingress)


def set_ingress(
    cluster: KubeCluster, ns: str, name: str, ingress: Sequence[Mapping[str, str]]
) -> None:
    cluster.request(
        "PATCH",
        f"/api/v1/namespaces/{ns}/services/{name}/status",
        {"status": {"loadBalancer": {"ingress": [dict(i) for i in ingress]}}},
        content_type="application/merge-patch+json",
    )


def ingress(
    cluster: KubeCluster,
    ns: str,
    name: str,
    *,
    rules: Sequence[str] = (),
    tls: Sequence[Sequence[str]] = (),
    annotations: Mapping[str, str] | None = None,
    class_name: str | None = None,
    status: Sequence[Mapping[str, str]] = (),
) -> None:
    """A networking.k8s.io/v1 Ingress (one backend per rule host) and its LB status."""
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    path = {"path": "/", "pathType": "Prefix", "backend": backend}
    spec: dict[str, Any] = {"rules": [{"host": h, "http": {"paths": [path]}} for h in rules]}
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
    cluster.request("POST", f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses", body)
    set_ingress_status(cluster, ns, name, status)


def set_ingress_status(
    cluster: KubeCluster, ns: str, name: str, status: Sequence[Mapping[str, str]]
) -> None:
    cluster.request(
        "PATCH",
        f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses/{name}/status",
        {"status": {"loadBalancer": {"ingress": [dict(i) for i in status]}}},
        content_type="application/merge-patch+json",
    )


def transfer(server: DnsServer, zone: str) -> Zone:
    """The zone by AXFR: (name, type) -> (ttl, values); SOA and the harness marker left out."""
    key = server.tsig.dns_key()
    data: dict[tuple[str, str], tuple[int, set[str]]] = {}
    for message in dns.query.xfr(
        server.host,
        zone,
        port=server.port,
        keyring={key.name: key},
        keyname=key.name,
        relativize=False,
        lifetime=60,
    ):
        for rrset in message.answer:
            rtype = dns.rdatatype.to_text(rrset.rdtype)
            name = rrset.name.to_text().lower()
            if rtype == "SOA" or name.startswith(bind_mod.MARKER_LABEL + "."):
                continue
            _ttl, values = data.setdefault((name, rtype), (rrset.ttl, set()))
            values.update(r.to_text() for r in rrset)
    return {k: (ttl, frozenset(v)) for k, (ttl, v) in data.items()}


def serial(server: DnsServer, zone: str) -> int:
    query = dns.message.make_query(zone, dns.rdatatype.SOA)
    answer = dns.query.tcp(query, server.host, port=server.port, timeout=5)
    return int(answer.answer[0][0].serial)


def write(server: DnsServer, zone: str, records: Sequence[tuple[str, int, str, str]]) -> None:
    """Write records directly (someone else's, by hand)."""
    key = server.tsig.dns_key()
    update = dns.update.UpdateMessage(zone, keyring={key.name: key}, keyname=key.name)
    for name, ttl, rtype, value in records:
        update.add(dns.name.from_text(name), ttl, rtype, value)
    answer = dns.query.tcp(update, server.host, port=server.port, timeout=10)
    assert answer.rcode() == 0, answer


def owner_txt(owner: str, resource: str) -> str:
    return f'"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}"'


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)
