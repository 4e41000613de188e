"""Design section 3b for Traefik IngressRouteTCP/UDP: one table of manifests and exact records.

The Traefik Services are written as the Traefik Helm chart renders them: one port per
exposed entry point, named after it, TCP entry points on ``<name>`` and UDP ones on
``<name>-udp`` (each its own LoadBalancer).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.rules.traefik import TraefikSettings, entry_point_port_name
from dnssync.testing.scenarios import desired_lines, problems, snapshot_of
from tests.dnssync.rules.traefik_manifests import (
    KDC_TCP,
    KDC_UDP,
    service,
    tcp_route,
    udp_route,
    udp_service,
)

HOSTNAME = "metadata.annotations[dnssync.io/hostname]"
SRV_DOMAIN = "metadata.annotations[dnssync.io/srv-domain]"
SERVICES = (("traefik", "traefik"), ("traefik", "traefik-udp"))
SETTINGS = RuleSettings(traefik=TraefikSettings(SERVICES))


@dataclass(frozen=True)
class Case:
    id: str
    manifest: str
    records: list[str]
    warnings: list[tuple[str, str, str]]
    settings: RuleSettings = SETTINGS


TCP_REF = "ingressroutetcp/apps/kdc-tcp"
UDP_REF = "ingressrouteudp/apps/kdc-udp"

CASES = [
    Case(
        "tcp-only",
        service() + tcp_route(annotations=KDC_TCP),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc-tcp.example.com.",
            "kdc-tcp.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "udp-only",
        udp_service() + udp_route(annotations=KDC_UDP),
        [
            "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc-udp.example.com.",
            "kdc-udp.example.com. 300 A 203.0.113.2",
        ],
        [],
    ),
    Case(
        "tcp-and-udp-split-over-two-traefik-services-give-both-srv-at-one-name",
        service() + udp_service() + tcp_route(annotations=KDC_TCP) + udp_route(annotations=KDC_UDP),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc-tcp.example.com.",
            "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc-udp.example.com.",
            "kdc-tcp.example.com. 300 A 203.0.113.1",
            "kdc-udp.example.com. 300 A 203.0.113.2",
        ],
        [],
    ),
    Case(
        "tcp-and-udp-split-on-aws-hostnames",
        service(ingress="[{hostname: tcp-1.elb.us-east-1.amazonaws.com}]")
        + udp_service(ingress="[{hostname: udp-1.elb.us-east-1.amazonaws.com}]")
        + tcp_route(annotations=KDC_TCP)
        + udp_route(annotations=KDC_UDP),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 tcp-1.elb.us-east-1.amazonaws.com.",
            "_kerberos._udp.example.com. 300 SRV 0 100 88 udp-1.elb.us-east-1.amazonaws.com.",
            "kdc-tcp.example.com. 300 CNAME tcp-1.elb.us-east-1.amazonaws.com.",
            "kdc-udp.example.com. 300 CNAME udp-1.elb.us-east-1.amazonaws.com.",
        ],
        [],
    ),
    Case(
        "service-with-hostname-gives-cname-and-srv-to-the-lb",
        service(ingress="[{hostname: lb-1.elb.us-east-1.amazonaws.com}]")
        + tcp_route(annotations=KDC_TCP),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 lb-1.elb.us-east-1.amazonaws.com.",
            "kdc-tcp.example.com. 300 CNAME lb-1.elb.us-east-1.amazonaws.com.",
        ],
        [],
    ),
    Case(
        "hostsni-several-hosts-v2-syntax-and-alternatives",
        service()
        + tcp_route(
            "[websecure]",
            "HostSNI(`a.example.com`, `b.example.com`) || (HostSNI(`c.example.com`)"
            " && !HostSNI(`x.example.com`))",
        ),
        [
            "a.example.com. 300 A 203.0.113.1",
            "b.example.com. 300 A 203.0.113.1",
            "c.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "hostsni-double-quoted-and-other-matchers",
        service()
        + tcp_route(
            "[websecure]",
            'HostSNI("db.example.com") && ClientIP(`10.0.0.0/8`) && ALPN(`postgresql`)',
        ),
        ["db.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "hostsni-host-without-tls-is-refused-by-traefik",
        service()
        + tcp_route(
            "[websecure]",
            "HostSNI(`a.example.com`)",
            "{dnssync.io/hostname: tls.example.com}",
            tls="null",
        ),
        ["tls.example.com. 300 A 203.0.113.1"],
        [(TCP_REF, "spec.routes[0].match", "HostSNIWithoutTLS")],
    ),
    Case(
        "hostsni-star-without-tls-is-plain-tcp",
        service() + tcp_route(annotations=KDC_TCP, tls="null"),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc-tcp.example.com.",
            "kdc-tcp.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "hostsni-with-tls-termination",
        service() + tcp_route("[websecure]", "HostSNI(`a.example.com`)", tls="{secretName: a}"),
        ["a.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "hostsni-star-is-no-name",
        service() + tcp_route("[websecure]", "HostSNI(`*`)"),
        [],
        [],
    ),
    Case(
        "hostsni-star-with-hostname-annotation",
        service()
        + tcp_route("[websecure]", "HostSNI(`*`)", "{dnssync.io/hostname: tls.example.com}"),
        ["tls.example.com. 300 A 203.0.113.1"],
        [],
    ),
    Case(
        "hostsni-and-hostname-annotation-with-srv",
        service()
        + tcp_route(
            "[ldaps]",
            "HostSNI(`ldap.example.com`)",
            "{dnssync.io/hostname: dir.example.com, dnssync.io/srv-domain: example.com}",
        ),
        [
            "_ldaps._tcp.example.com. 300 SRV 0 100 636 dir.example.com.",
            "dir.example.com. 300 A 203.0.113.1",
            "ldap.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "two-entry-points-two-srv",
        service()
        + tcp_route(
            "[websecure, ldaps]",
            "HostSNI(`dir.example.com`)",
            "{dnssync.io/srv-domain: example.com, dnssync.io/srv-service: websecure=ldap}",
        ),
        [
            "_ldap._tcp.example.com. 300 SRV 0 100 443 dir.example.com.",
            "_ldaps._tcp.example.com. 300 SRV 0 100 636 dir.example.com.",
            "dir.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "entry-point-unknown",
        service() + tcp_route("[nope]", annotations=KDC_TCP),
        [],
        [(TCP_REF, "spec.entryPoints[0]", "UnknownEntryPoint")],
    ),
    Case(
        "one-entry-point-unknown-the-other-published",
        service() + tcp_route("[kerberos, nope]", annotations=KDC_TCP),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc-tcp.example.com.",
            "kdc-tcp.example.com. 300 A 203.0.113.1",
        ],
        [(TCP_REF, "spec.entryPoints[1]", "UnknownEntryPoint")],
    ),
    Case(
        "udp-route-on-a-tcp-entry-point",
        service() + udp_service() + udp_route("[kerberos]", KDC_UDP),
        [],
        [(UDP_REF, "spec.entryPoints[0]", "UnknownEntryPoint")],
    ),
    Case(
        "entry-point-name-as-the-chart-writes-the-port-lower-case-15-characters",
        service(ports="[{name: kerberos-passth, port: 750, protocol: TCP}]")
        + tcp_route(
            "[Kerberos-Passthrough]",
            annotations="{dnssync.io/hostname: kdc-tcp.example.com,"
            " dnssync.io/srv-domain: example.com,"
            " dnssync.io/srv-service: Kerberos-Passthrough=kerberos}",
        ),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 750 kdc-tcp.example.com.",
            "kdc-tcp.example.com. 300 A 203.0.113.1",
        ],
        [],
    ),
    Case(
        "no-entry-points",
        service() + tcp_route("[]", annotations=KDC_TCP),
        [],
        [(TCP_REF, "spec.entryPoints", "UnknownEntryPoint")],
    ),
    Case(
        "traefik-service-without-address-yet",
        service(ingress="[]") + tcp_route(annotations=KDC_TCP),
        [],
        [(TCP_REF, "spec.entryPoints", "NoAddress")],
    ),
    Case(
        "traefik-service-not-a-load-balancer",
        service(type_="ClusterIP", ingress="[]") + tcp_route(annotations=KDC_TCP),
        [],
        [(TCP_REF, "spec.entryPoints[0]", "UnknownEntryPoint")],
    ),
    Case(
        "target-overrides-the-service-addresses",
        service()
        + tcp_route(
            annotations="{dnssync.io/hostname: kdc-tcp.example.com,"
            " dnssync.io/srv-domain: example.com, dnssync.io/target: 198.51.100.7}"
        ),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc-tcp.example.com.",
            "kdc-tcp.example.com. 300 A 198.51.100.7",
        ],
        [],
    ),
    Case(
        "target-without-traefik-services",
        tcp_route(
            "[websecure]",
            "HostSNI(`tls.example.com`)",
            "{external-dns.alpha.kubernetes.io/target: lb.example.net}",
        ),
        ["tls.example.com. 300 CNAME lb.example.net."],
        [(TCP_REF, "spec.entryPoints[0]", "UnknownEntryPoint")],
        RuleSettings(),
    ),
    Case(
        "neither-traefik-services-nor-target",
        tcp_route("[websecure]", "HostSNI(`tls.example.com`)"),
        [],
        [(TCP_REF, "spec.entryPoints[0]", "UnknownEntryPoint")],
        RuleSettings(),
    ),
    Case(
        "unreadable-rule-is-a-warning-naming-the-field-other-names-still-published",
        service()
        + tcp_route(
            "[websecure]",
            "HostSNI(`a.example.com`",
            "{dnssync.io/hostname: tls.example.com}",
        ),
        ["tls.example.com. 300 A 203.0.113.1"],
        [(TCP_REF, "spec.routes[0].match", "InvalidRule")],
    ),
    Case(
        "hostsni-host-that-is-no-dns-name",
        service() + tcp_route("[websecure]", "HostSNI(`a..example.com`)"),
        [],
        [(TCP_REF, "spec.routes[0].match", "InvalidHostname")],
    ),
    Case(
        "no-names-and-no-srv-domain-is-silent",
        service() + tcp_route("[nope]", "HostSNI(`*`)"),
        [],
        [],
    ),
    Case(
        "legacy-group-needs-the-flag",
        service() + tcp_route(annotations=KDC_TCP, group="traefik.containo.us"),
        [],
        [(TCP_REF, "apiVersion", "LegacyTraefikGroup")],
    ),
    Case(
        "legacy-group-with-the-flag",
        service() + tcp_route(annotations=KDC_TCP, group="traefik.containo.us"),
        [
            "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc-tcp.example.com.",
            "kdc-tcp.example.com. 300 A 203.0.113.1",
        ],
        [],
        RuleSettings(traefik=TraefikSettings(SERVICES, legacy=True)),
    ),
    Case(
        "two-routes-same-name-same-entry-point-are-replicas",
        service()
        + tcp_route("[websecure]", "HostSNI(`tls.example.com`)", name="a")
        + tcp_route("[websecure]", "HostSNI(`tls.example.com`)", name="b"),
        ["tls.example.com. 300 A 203.0.113.1"],
        [],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_traefik_rules(case: Case) -> None:
    snapshot = snapshot_of(case.manifest)
    assert not snapshot.diagnostics, [str(d) for d in snapshot.diagnostics]
    result = desired_records(snapshot.objects, case.settings)
    assert desired_lines(result) == sorted(case.records)
    assert problems(result.diagnostics) == sorted(case.warnings)


def test_records_name_the_route_as_owner_and_the_field_they_came_from() -> None:
    snapshot = snapshot_of(
        service()
        + tcp_route(
            "[kerberos]",
            "HostSNI(`sni.example.com`)",
            "{dnssync.io/hostname: kdc-tcp.example.com, dnssync.io/srv-domain: example.com}",
        )
    )
    result = desired_records(snapshot.objects, SETTINGS)
    fields = {
        r.rrset.name.fqdn: ([str(r.owner)], [c.field for c in r.contributors])
        for r in result.records.values()
    }
    assert fields == {
        "kdc-tcp.example.com.": ([TCP_REF], [HOSTNAME]),
        "sni.example.com.": ([TCP_REF], ["spec.routes[0].match"]),
        "_kerberos._tcp.example.com.": ([TCP_REF], [SRV_DOMAIN]),
    }


def test_an_unreadable_rule_keeps_the_routes_records() -> None:
    snapshot = snapshot_of(service() + tcp_route("[websecure]", "HostSNI(`a.example.com`) &&"))
    result = desired_records(snapshot.objects, SETTINGS)
    assert result.keep == {TCP_REF}


def test_warnings_say_what_is_wrong() -> None:
    snapshot = snapshot_of(
        service() + udp_service(ingress="[]") + udp_route("[kerberos, nope]", KDC_UDP)
    )
    result = desired_records(snapshot.objects, SETTINGS)
    messages = {d.field: d.message for d in result.diagnostics}
    assert messages["spec.entryPoints[0]"] == (
        "entry point 'kerberos' is TCP on Service traefik/traefik, not UDP: "
        "an ingressrouteudp cannot use it"
    )
    assert messages["spec.entryPoints[1]"] == (
        "entry point 'nope' is not a UDP port named 'nope' of the Traefik Service(s) "
        "traefik/traefik, traefik/traefik-udp"
    )


@pytest.mark.parametrize(
    ("entry_point", "port_name"),
    [("web", "web"), ("WebSecure", "websecure"), ("a-very-long-entrypoint", "a-very-long-ent")],
)
def test_entry_point_port_name(entry_point: str, port_name: str) -> None:
    assert entry_point_port_name(entry_point) == port_name
