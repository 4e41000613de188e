"""Manifests of Traefik's Services and routes for the rule tests.

The Traefik Services are written as the Traefik Helm chart renders them: one port per
exposed entry point, named after it, TCP entry points on ``traefik`` and UDP ones on
``traefik-udp`` (each its own LoadBalancer).
"""

from __future__ import annotations

TCP_PORTS = (
    "[{name: web, port: 80, protocol: TCP}, {name: websecure, port: 443, protocol: TCP},"
    " {name: kerberos, port: 88, protocol: TCP}, {name: ldaps, port: 636, protocol: TCP}]"
)
UDP_PORTS = "[{name: kerberos-udp, port: 88, protocol: UDP}]"


def service(
    name: str = "traefik",
    ports: str = TCP_PORTS,
    ingress: str = "[{ip: 203.0.113.1}]",
    type_: str = "LoadBalancer",
) -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: traefik}}
spec:
  type: {type_}
  ports: {ports}
status:
  loadBalancer:
    ingress: {ingress}
"""


def udp_service(ingress: str = "[{ip: 203.0.113.2}]") -> str:
    return service("traefik-udp", UDP_PORTS, ingress)


def tcp_route(
    entry_points: str = "[kerberos]",
    match: str = "HostSNI(`*`)",
    annotations: str = "{}",
    name: str = "kdc-tcp",
    group: str = "traefik.io",
    tls: str = "{passthrough: true}",
) -> str:
    return f"""
---
apiVersion: {group}/v1alpha1
kind: IngressRouteTCP
metadata: {{name: {name}, namespace: apps, annotations: {annotations}}}
spec:
  entryPoints: {entry_points}
  routes:
    - match: '{match}'
      services: [{{name: kdc, port: 88}}]
  tls: {tls}
"""


def udp_route(
    entry_points: str = "[kerberos-udp]", annotations: str = "{}", name: str = "kdc-udp"
) -> str:
    return f"""
---
apiVersion: traefik.io/v1alpha1
kind: IngressRouteUDP
metadata: {{name: {name}, namespace: apps, annotations: {annotations}}}
spec:
  entryPoints: {entry_points}
  routes:
    - services: [{{name: kdc, port: 88}}]
"""


KDC_TCP = "{dnssync.io/hostname: kdc-tcp.example.com, dnssync.io/srv-domain: example.com}"
KDC_UDP = (
    "{dnssync.io/hostname: kdc-udp.example.com, dnssync.io/srv-domain: example.com,"
    " dnssync.io/srv-service: kerberos-udp=kerberos}"
)
