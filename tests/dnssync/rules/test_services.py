"""docs/rules.md for LoadBalancer Services: one table of manifests and exact records.

Each case is a small YAML manifest, the exact desired RRsets (``name. ttl TYPE values``)
and the exact (object, field, reason) of every warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.testing.scenarios import desired_lines, problems, snapshot_of

HOSTNAME = "metadata.annotations[dnssync.io/hostname]"
SRV_DOMAIN = "metadata.annotations[dnssync.io/srv-domain]"
INGRESS = "status.loadBalancer.ingress"


@dataclass(frozen=True)
class Case:
    id: str
    manifest: str
    records: list[str]
    warnings: list[tuple[str, str, str]]


def svc(
    name: str,
    annotations: str,
    ports: str,
    ingress: str,
    namespace: str = "krb",
    kind_type: str = "LoadBalancer",
    external_ips: str = "null",
) -> str:
    """One Service document; arguments are YAML flow text."""
    return f"""
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
  annotations: {annotations}
spec:
  type: {kind_type}
  ports: {ports}
  externalIPs: {external_ips}
status:
  loadBalancer:
    ingress: {ingress}
"""


KRB_TCP = "[{name: kerberos, port: 88, protocol: TCP}]"
KRB_UDP = "[{name: kerberos, port: 88, protocol: UDP}]"
HTTP = "[{name: https, port: 443}]"

CASES = [
    Case(
        "kerberos-worked-example",
        svc(
            "kdc-tcp",
            "{dnssync.io/hostname: kdc-tcp.example.com, dnssync.io/srv-domain: example.com}",
            KRB_TCP,
            "[{ip: 203.0.113.10}]",
        )
        + svc(
            "kdc-udp",
            "{dnssync.io/hostname: kdc-udp.example.com, dnssync.io/srv-domain: example.com}",
            KRB_UDP,
            "[{ip: 203.0.113.11}]",
        ),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc-tcp.example.com.",
            "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc-udp.example.com.",
            "kdc-tcp.example.com. 300 A 203.0.113.10",
            "kdc-udp.example.com. 300 A 203.0.113.11",
        ],
        [],
    ),
    Case(
        "aws-hostnames-cname-and-srv-to-the-lb-name",
        svc(
            "kdc-tcp",
            "{dnssync.io/hostname: kdc-tcp.example.com, dnssync.io/srv-domain: example.com}",
            KRB_TCP,
            "[{hostname: kdc-tcp-1.elb.us-east-1.amazonaws.com}]",
        )
        + svc(
            "kdc-udp",
            "{dnssync.io/hostname: kdc-udp.example.com, dnssync.io/srv-domain: example.com}",
            KRB_UDP,
            "[{hostname: kdc-udp-2.elb.us-east-1.amazonaws.com}]",
        ),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc-tcp-1.elb.us-east-1.amazonaws.com.",
            "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc-udp-2.elb.us-east-1.amazonaws.com.",
            "kdc-tcp.example.com. 300 CNAME kdc-tcp-1.elb.us-east-1.amazonaws.com.",
            "kdc-udp.example.com. 300 CNAME kdc-udp-2.elb.us-east-1.amazonaws.com.",
        ],
        [],
    ),
    Case(
        "dual-stack-gives-a-and-aaaa",
        svc(
            "web",
            "{dnssync.io/hostname: web.example.com}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.20}, {ip: '2001:db8:0:0::20'}, {ip: 203.0.113.21}]",
        ),
        [
            "web.example.com. 300 A 203.0.113.20, 203.0.113.21",
            "web.example.com. 300 AAAA 2001:db8::20",
        ],
        [],
    ),
    Case(
        "ipv6-only",
        svc(
            "web",
            "{dnssync.io/hostname: web.example.com}",
            "[{name: https, port: 443}]",
            "[{ip: '2001:db8::20'}]",
        ),
        ["web.example.com. 300 AAAA 2001:db8::20"],
        [],
    ),
    Case(
        "mixed-protocol-service-one-srv-per-protocol-same-target",
        svc(
            "kdc",
            # Kubernetes wants unique port names; srv-service maps both to one label.
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/srv-service: 'kerberos-udp=kerberos'}",
            "[{name: kerberos, port: 88, protocol: TCP}, {name: kerberos-udp, port: 88,"
            " protocol: UDP}, {name: kpasswd, port: 464, protocol: UDP}]",
            "[{ip: 203.0.113.30}]",
        ),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "_kpasswd._udp.example.com. 300 SRV 0 100 464 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.30",
        ],
        [],
    ),
    Case(
        "sctp-port",
        svc(
            "sig",
            "{dnssync.io/hostname: sig.example.com, dnssync.io/srv-domain: example.com}",
            "[{name: diameter, port: 3868, protocol: SCTP}]",
            "[{ip: 203.0.113.31}]",
        ),
        [
            "_diameter._sctp.example.com. 300 SRV 0 100 3868 sig.example.com.",
            "sig.example.com. 300 A 203.0.113.31",
        ],
        [],
    ),
    Case(
        "replicas-same-ports-merge-round-robin",
        svc(
            "web-a",
            "{dnssync.io/hostname: web.example.com}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.41}]",
        )
        + svc(
            "web-b",
            "{dnssync.io/hostname: web.example.com}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.42}, {ip: '2001:db8::42'}]",
        ),
        [
            "web.example.com. 300 A 203.0.113.41, 203.0.113.42",
            "web.example.com. 300 AAAA 2001:db8::42",
        ],
        [],
    ),
    Case(
        "replicas-with-own-names-srv-union",
        svc(
            "kdc1",
            "{dnssync.io/hostname: kdc1.example.com, dnssync.io/srv-domain: example.com}",
            KRB_UDP,
            "[{ip: 203.0.113.51}]",
        )
        + svc(
            "kdc2",
            "{dnssync.io/hostname: kdc2.example.com, dnssync.io/srv-domain: example.com}",
            KRB_UDP,
            "[{ip: 203.0.113.52}]",
        ),
        [
            "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc1.example.com., "
            "0 100 88 kdc2.example.com.",
            "kdc1.example.com. 300 A 203.0.113.51",
            "kdc2.example.com. 300 A 203.0.113.52",
        ],
        [],
    ),
    Case(
        "replicas-ttl-is-the-smallest",
        svc(
            "web-a",
            "{dnssync.io/hostname: web.example.com, dnssync.io/ttl: '600'}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.41}]",
        )
        + svc(
            "web-b",
            "{dnssync.io/hostname: web.example.com, dnssync.io/ttl: 1m}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.42}]",
        ),
        ["web.example.com. 60 A 203.0.113.41, 203.0.113.42"],
        [],
    ),
    Case(
        "protocol-split-with-one-shared-ip-is-fine",
        svc(
            "kdc-tcp",
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com}",
            KRB_TCP,
            "[{ip: 203.0.113.60}]",
        )
        + svc(
            "kdc-udp",
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com}",
            KRB_UDP,
            "[{ip: 203.0.113.60}]",
        ),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.60",
        ],
        [],
    ),
    Case(
        "protocol-split-done-wrong-not-written",
        svc(
            "kdc-tcp",
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com}",
            KRB_TCP,
            "[{ip: 203.0.113.10}]",
        )
        + svc(
            "kdc-udp",
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com}",
            KRB_UDP,
            "[{ip: 203.0.113.11}]",
        )
        + svc(
            "other",
            "{dnssync.io/hostname: other.example.com}",
            "[{name: http, port: 80}]",
            "[{ip: 203.0.113.99}]",
        ),
        ["other.example.com. 300 A 203.0.113.99"],
        [
            ("service/krb/kdc-tcp", HOSTNAME, "ProtocolSplitConflict"),
            ("service/krb/kdc-tcp", SRV_DOMAIN, "SrvTargetConflict"),
            ("service/krb/kdc-udp", HOSTNAME, "ProtocolSplitConflict"),
            ("service/krb/kdc-udp", SRV_DOMAIN, "SrvTargetConflict"),
        ],
    ),
    Case(
        "several-lb-hostnames-first-wins",
        svc(
            "web",
            "{dnssync.io/hostname: web.example.com, dnssync.io/srv-domain: example.com}",
            "[{name: https, port: 443}]",
            "[{hostname: first.elb.amazonaws.com}, {hostname: second.elb.amazonaws.com}]",
        ),
        [
            "_https._tcp.example.com. 300 SRV 0 100 443 first.elb.amazonaws.com.",
            "web.example.com. 300 CNAME first.elb.amazonaws.com.",
        ],
        [("service/krb/web", INGRESS, "SeveralHostnames")],
    ),
    Case(
        "ips-and-hostname-ips-win",
        svc(
            "web",
            "{dnssync.io/hostname: web.example.com, dnssync.io/srv-domain: example.com}",
            "[{name: https, port: 443}]",
            "[{hostname: lb.elb.amazonaws.com}, {ip: 203.0.113.70}]",
        ),
        [
            "_https._tcp.example.com. 300 SRV 0 100 443 web.example.com.",
            "web.example.com. 300 A 203.0.113.70",
        ],
        [("service/krb/web", INGRESS, "MixedAddresses")],
    ),
    Case(
        "ingress-entry-with-ip-and-hostname",
        svc(
            "web",
            "{dnssync.io/hostname: web.example.com}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.71, hostname: lb.elb.amazonaws.com}]",
        ),
        ["web.example.com. 300 A 203.0.113.71"],
        [("service/krb/web", INGRESS, "MixedAddresses")],
    ),
    Case(
        "srv-service-single-label-for-unnamed-port",
        svc(
            "kdc",
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/srv-service: kerberos}",
            "[{port: 88, protocol: UDP}]",
            "[{ip: 203.0.113.80}]",
        ),
        [
            "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.80",
        ],
        [],
    ),
    Case(
        "srv-service-single-label-leaves-named-ports-alone",
        svc(
            "kdc",
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/srv-service: _kerberos}",
            "[{port: 88, protocol: UDP}, {name: kpasswd, port: 464, protocol: UDP}]",
            "[{ip: 203.0.113.80}]",
        ),
        [
            "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "_kpasswd._udp.example.com. 300 SRV 0 100 464 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.80",
        ],
        [],
    ),
    Case(
        "srv-service-portname-mapping",
        svc(
            "kdc",
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/srv-service: 'krb-tcp=kerberos, krb-udp=kerberos'}",
            "[{name: krb-tcp, port: 88, protocol: TCP}, {name: krb-udp, port: 88, protocol: UDP},"
            " {name: kpasswd, port: 464, protocol: TCP}]",
            "[{ip: 203.0.113.81}]",
        ),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "_kpasswd._tcp.example.com. 300 SRV 0 100 464 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.81",
        ],
        [],
    ),
    Case(
        "unnamed-port-skipped-with-warning",
        svc(
            "kdc",
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com}",
            "[{port: 88, protocol: UDP}, {name: kpasswd, port: 464, protocol: UDP}]",
            "[{ip: 203.0.113.82}]",
        ),
        [
            "_kpasswd._udp.example.com. 300 SRV 0 100 464 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.82",
        ],
        [("service/krb/kdc", SRV_DOMAIN, "UnnamedPort")],
    ),
    Case(
        "ips-without-hostname-no-srv",
        svc(
            "kdc",
            "{dnssync.io/srv-domain: example.com}",
            KRB_UDP,
            "[{ip: 203.0.113.83}]",
        ),
        [],
        [("service/krb/kdc", SRV_DOMAIN, "NoSrvTarget")],
    ),
    Case(
        "lb-hostname-without-hostname-annotation-still-gets-srv",
        svc(
            "kdc",
            "{dnssync.io/srv-domain: example.com}",
            KRB_UDP,
            "[{hostname: kdc.elb.amazonaws.com}]",
        ),
        ["_kerberos._udp.example.com. 300 SRV 0 100 88 kdc.elb.amazonaws.com."],
        [],
    ),
    Case(
        "srv-priority-and-weight",
        svc(
            "kdc",
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/srv-priority: '10', dnssync.io/srv-weight: '5'}",
            KRB_UDP,
            "[{ip: 203.0.113.84}]",
        ),
        [
            "_kerberos._udp.example.com. 300 SRV 10 5 88 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.84",
        ],
        [],
    ),
    Case(
        "srv-priority-and-weight-limits",
        svc(
            "kdc",
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/srv-priority: '65535', dnssync.io/srv-weight: '0'}",
            KRB_UDP,
            "[{ip: 203.0.113.84}]",
        ),
        [
            "_kerberos._udp.example.com. 300 SRV 65535 0 88 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.84",
        ],
        [],
    ),
    Case(
        "several-srv-domains-and-hostnames",
        svc(
            "kdc",
            "{dnssync.io/hostname: 'kdc.example.com, kerberos.example.org',"
            " dnssync.io/srv-domain: 'example.com,example.org'}",
            KRB_UDP,
            "[{ip: 203.0.113.85}]",
        ),
        [
            "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "_kerberos._udp.example.org. 300 SRV 0 100 88 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.85",
            "kerberos.example.org. 300 A 203.0.113.85",
        ],
        [],
    ),
    Case(
        "ttl-seconds-applies-to-all-records",
        svc(
            "kdc",
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/ttl: '60'}",
            KRB_UDP,
            "[{ip: 203.0.113.86}]",
        ),
        [
            "_kerberos._udp.example.com. 60 SRV 0 100 88 kdc.example.com.",
            "kdc.example.com. 60 A 203.0.113.86",
        ],
        [],
    ),
    Case(
        "ttl-duration",
        svc(
            "web",
            "{dnssync.io/hostname: web.example.com, dnssync.io/ttl: 1h30m}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.87}]",
        ),
        ["web.example.com. 5400 A 203.0.113.87"],
        [],
    ),
    Case(
        "external-dns-keys-are-read",
        svc(
            "web",
            "{external-dns.alpha.kubernetes.io/hostname: web.example.com,"
            " external-dns.kubernetes.io/ttl: 2m}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.88}]",
        ),
        ["web.example.com. 120 A 203.0.113.88"],
        [],
    ),
    Case(
        "ours-wins-over-external-dns-keys",
        svc(
            "web",
            "{external-dns.alpha.kubernetes.io/hostname: old.example.com,"
            " external-dns.kubernetes.io/hostname: older.example.com,"
            " dnssync.io/hostname: web.example.com,"
            " external-dns.kubernetes.io/ttl: '30', dnssync.io/ttl: '90',"
            " external-dns.kubernetes.io/target: 198.51.100.1,"
            " dnssync.io/target: 198.51.100.2}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.88}]",
        ),
        ["web.example.com. 90 A 198.51.100.2"],
        [],
    ),
    Case(
        "external-dns-current-prefix-wins-over-alpha",
        svc(
            "web",
            "{external-dns.alpha.kubernetes.io/hostname: old.example.com,"
            " external-dns.kubernetes.io/hostname: web.example.com}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.88}]",
        ),
        ["web.example.com. 300 A 203.0.113.88"],
        [],
    ),
    Case(
        "srv-keys-are-ours-only",
        svc(
            "kdc",
            "{dnssync.io/hostname: kdc.example.com,"
            " external-dns.kubernetes.io/srv-domain: example.com}",
            KRB_UDP,
            "[{ip: 203.0.113.89}]",
        ),
        ["kdc.example.com. 300 A 203.0.113.89"],
        [],
    ),
    Case(
        "controller-other-is-ignored",
        svc(
            "web",
            "{dnssync.io/hostname: web.example.com, dnssync.io/controller: someone-else,"
            " dnssync.io/ttl: bogus}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.90}]",
        )
        + svc(
            "old",
            "{external-dns.alpha.kubernetes.io/hostname: old.example.com,"
            " external-dns.alpha.kubernetes.io/controller: dns-controller}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.91}]",
        ),
        [],
        [],
    ),
    Case(
        "controller-ours-is-published",
        svc(
            "web",
            "{dnssync.io/hostname: web.example.com, dnssync.io/controller: dnssync}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.90}]",
        ),
        ["web.example.com. 300 A 203.0.113.90"],
        [],
    ),
    Case(
        "target-ips-override-status",
        svc(
            "kdc",
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/target: '198.51.100.7, 2001:db8::7'}",
            KRB_UDP,
            "[{hostname: lb.elb.amazonaws.com}]",
        ),
        [
            "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "kdc.example.com. 300 A 198.51.100.7",
            "kdc.example.com. 300 AAAA 2001:db8::7",
        ],
        [],
    ),
    Case(
        "target-hostname-override-status",
        svc(
            "kdc",
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/target: Edge.Example.NET.}",
            KRB_UDP,
            "[{ip: 203.0.113.92}]",
        ),
        [
            "_kerberos._udp.example.com. 300 SRV 0 100 88 edge.example.net.",
            "kdc.example.com. 300 CNAME edge.example.net.",
        ],
        [],
    ),
    Case(
        "target-without-status",
        svc(
            "web",
            "{dnssync.io/hostname: web.example.com, dnssync.io/target: 198.51.100.8}",
            "[{name: https, port: 443}]",
            "[]",
        ),
        ["web.example.com. 300 A 198.51.100.8"],
        [],
    ),
    Case(
        "cname-exclusive-across-objects",
        svc(
            "lb",
            "{dnssync.io/hostname: app.example.com}",
            "[{name: https, port: 443}]",
            "[{hostname: lb.elb.amazonaws.com}]",
        )
        + svc(
            "ip",
            "{dnssync.io/hostname: app.example.com}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.93}]",
        ),
        [],
        [
            ("service/krb/ip", HOSTNAME, "CnameConflict"),
            ("service/krb/lb", HOSTNAME, "CnameConflict"),
        ],
    ),
    Case(
        "two-different-cnames-at-one-name",
        svc(
            "lb1",
            "{dnssync.io/hostname: app.example.com}",
            "[{name: https, port: 443}]",
            "[{hostname: lb1.elb.amazonaws.com}]",
        )
        + svc(
            "lb2",
            "{dnssync.io/hostname: app.example.com}",
            "[{name: https, port: 443}]",
            "[{hostname: lb2.elb.amazonaws.com}]",
        ),
        [],
        [
            ("service/krb/lb1", HOSTNAME, "CnameConflict"),
            ("service/krb/lb2", HOSTNAME, "CnameConflict"),
        ],
    ),
    Case(
        "same-cname-from-two-objects-is-one-record",
        svc(
            "lb1",
            "{dnssync.io/hostname: app.example.com}",
            "[{name: https, port: 443}]",
            "[{hostname: lb.elb.amazonaws.com}]",
        )
        + svc(
            "lb2",
            "{dnssync.io/hostname: app.example.com}",
            "[{name: http, port: 80}]",
            "[{hostname: LB.elb.amazonaws.com}]",
        ),
        ["app.example.com. 300 CNAME lb.elb.amazonaws.com."],
        [],
    ),
    Case(
        "cname-conflict-takes-srv-targeting-it-down",
        svc(
            "lb",
            "{dnssync.io/hostname: kdc.example.com}",
            KRB_TCP,
            "[{hostname: lb.elb.amazonaws.com}]",
        )
        + svc(
            "ip",
            "{dnssync.io/hostname: kdc.example.com, dnssync.io/srv-domain: example.com}",
            KRB_UDP,
            "[{ip: 203.0.113.94}]",
        ),
        [],
        [
            ("service/krb/ip", HOSTNAME, "CnameConflict"),
            ("service/krb/ip", SRV_DOMAIN, "SrvTargetConflict"),
            ("service/krb/lb", HOSTNAME, "CnameConflict"),
        ],
    ),
    Case(
        "not-a-load-balancer",
        svc(
            "internal",
            "{dnssync.io/hostname: internal.example.com}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.95}]",
            kind_type="ClusterIP",
        ),
        [],
        [],
    ),
    Case(
        "pending-load-balancer-gives-nothing",
        svc(
            "web",
            "{dnssync.io/hostname: web.example.com, dnssync.io/srv-domain: example.com}",
            "[{name: https, port: 443}]",
            "[]",
        ),
        [],
        [("service/krb/web", "status.loadBalancer.ingress", "NoAddress")],
    ),
    Case(
        "no-annotations-gives-nothing",
        svc("web", "{}", "[{name: https, port: 443}]", "[{ip: 203.0.113.96}]"),
        [],
        [],
    ),
    Case(
        "names-are-case-insensitive-and-dot-free",
        svc(
            "web-a",
            "{dnssync.io/hostname: WEB.Example.com.}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.97}]",
        )
        + svc(
            "web-b",
            "{dnssync.io/hostname: web.example.com}",
            "[{name: https, port: 443}]",
            "[{ip: 203.0.113.98}]",
        ),
        ["web.example.com. 300 A 203.0.113.97, 203.0.113.98"],
        [],
    ),
    # Wildcard names (docs/annotations.md "Wildcard names").
    Case(
        "wildcard-hostname-is-published",
        svc("apps", "{dnssync.io/hostname: '*.apps.example.com'}", HTTP, "[{ip: 203.0.113.5}]"),
        ["*.apps.example.com. 300 A 203.0.113.5"],
        [],
    ),
    Case(
        "wildcard-cname-to-an-lb-hostname",
        svc(
            "apps",
            "{external-dns.alpha.kubernetes.io/hostname: '*.apps.example.com'}",
            HTTP,
            "[{hostname: lb-1.elb.example.net}]",
        ),
        ["*.apps.example.com. 300 CNAME lb-1.elb.example.net."],
        [],
    ),
    Case(
        "wildcard-beside-a-plain-name-srv-targets-the-plain-one",
        svc(
            "kdc",
            "{dnssync.io/hostname: '*.kdc.example.com, kdc.example.com', "
            "dnssync.io/srv-domain: example.com}",
            KRB_TCP,
            "[{ip: 203.0.113.10}]",
        ),
        [
            "*.kdc.example.com. 300 A 203.0.113.10",
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc.example.com.",
            "kdc.example.com. 300 A 203.0.113.10",
        ],
        [],
    ),
    Case(
        "only-a-wildcard-gives-no-srv-target",
        svc(
            "kdc",
            "{dnssync.io/hostname: '*.kdc.example.com', dnssync.io/srv-domain: example.com}",
            KRB_TCP,
            "[{ip: 203.0.113.10}]",
        ),
        ["*.kdc.example.com. 300 A 203.0.113.10"],
        [("service/krb/kdc", SRV_DOMAIN, "NoSrvTarget")],
    ),
    Case(
        "star-that-is-no-wildcard-is-refused",
        svc(
            "apps",
            "{dnssync.io/hostname: 'a*.example.com, x.*.example.com, ok.example.com'}",
            HTTP,
            "[{ip: 203.0.113.5}]",
        ),
        ["ok.example.com. 300 A 203.0.113.5"],
        [("service/krb/apps", HOSTNAME, "InvalidAnnotation")] * 2,
    ),
    # spec.externalIPs replace the status addresses of a LoadBalancer (as in ExternalDNS).
    Case(
        "external-ips-replace-the-lb-status",
        svc(
            "bare",
            "{dnssync.io/hostname: bare.example.com}",
            HTTP,
            "[{ip: 203.0.113.9}]",
            external_ips="[192.0.2.10, 2001:db8::10, 192.0.2.10]",
        ),
        ["bare.example.com. 300 A 192.0.2.10", "bare.example.com. 300 AAAA 2001:db8::10"],
        [],
    ),
    Case(
        "external-ips-without-lb-status",
        svc(
            "bare",
            "{dnssync.io/hostname: bare.example.com, dnssync.io/srv-domain: example.com}",
            KRB_UDP,
            "[]",
            external_ips="[192.0.2.10]",
        ),
        [
            "_kerberos._udp.example.com. 300 SRV 0 100 88 bare.example.com.",
            "bare.example.com. 300 A 192.0.2.10",
        ],
        [],
    ),
    Case(
        "external-ips-replace-an-lb-hostname",
        svc(
            "bare",
            "{dnssync.io/hostname: bare.example.com}",
            HTTP,
            "[{hostname: lb-1.elb.example.net}]",
            external_ips="[192.0.2.10]",
        ),
        ["bare.example.com. 300 A 192.0.2.10"],
        [],
    ),
    Case(
        "empty-external-ips-keep-the-lb-status",
        svc(
            "bare",
            "{dnssync.io/hostname: bare.example.com}",
            HTTP,
            "[{ip: 203.0.113.9}]",
            external_ips="[]",
        ),
        ["bare.example.com. 300 A 203.0.113.9"],
        [],
    ),
    Case(
        "target-annotation-wins-over-external-ips",
        svc(
            "bare",
            "{dnssync.io/hostname: bare.example.com, dnssync.io/target: 198.51.100.1}",
            HTTP,
            "[{ip: 203.0.113.9}]",
            external_ips="[192.0.2.10]",
        ),
        ["bare.example.com. 300 A 198.51.100.1"],
        [],
    ),
    Case(
        "external-ips-of-a-clusterip-service-are-not-read",
        svc(
            "internal",
            "{dnssync.io/hostname: internal.example.com}",
            HTTP,
            "[]",
            kind_type="ClusterIP",
            external_ips="[192.0.2.10]",
        ),
        [],
        [],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_service_rules(case: Case) -> None:
    snapshot = snapshot_of(case.manifest)
    assert not snapshot.diagnostics, [str(d) for d in snapshot.diagnostics]
    result = desired_records(snapshot.objects, RuleSettings())
    assert desired_lines(result) == sorted(case.records)
    assert problems(result.diagnostics) == sorted(case.warnings)


def test_default_ttl_setting() -> None:
    snapshot = snapshot_of(
        svc("web", "{dnssync.io/hostname: web.example.com}", "[{port: 443}]", "[{ip: 192.0.2.1}]")
    )
    result = desired_records(snapshot.objects, RuleSettings(default_ttl=42))
    assert desired_lines(result) == ["web.example.com. 42 A 192.0.2.1"]


def test_controller_setting() -> None:
    snapshot = snapshot_of(
        svc(
            "mine",
            "{dnssync.io/hostname: mine.example.com, dnssync.io/controller: dnssync-blue}",
            "[{port: 443}]",
            "[{ip: 192.0.2.1}]",
        )
        + svc(
            "theirs",
            "{dnssync.io/hostname: theirs.example.com, dnssync.io/controller: dnssync}",
            "[{port: 443}]",
            "[{ip: 192.0.2.2}]",
        )
        + svc("any", "{dnssync.io/hostname: any.example.com}", "[{port: 443}]", "[{ip: 192.0.2.3}]")
    )
    result = desired_records(snapshot.objects, RuleSettings(controller="dnssync-blue"))
    assert desired_lines(result) == [
        "any.example.com. 300 A 192.0.2.3",
        "mine.example.com. 300 A 192.0.2.1",
    ]


def test_owner_resource_is_the_smallest_contributor() -> None:
    snapshot = snapshot_of(
        svc("web-b", "{dnssync.io/hostname: web.example.com}", "[{port: 443}]", "[{ip: 192.0.2.2}]")
        + svc(
            "web-a", "{dnssync.io/hostname: web.example.com}", "[{port: 443}]", "[{ip: 192.0.2.1}]"
        )
    )
    result = desired_records(snapshot.objects, RuleSettings())
    (record,) = result.records.values()
    assert str(record.owner) == "service/krb/web-a"
    assert [str(c.ref) for c in record.contributors] == ["service/krb/web-a", "service/krb/web-b"]
