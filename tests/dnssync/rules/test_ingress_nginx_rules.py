"""ingress-nginx TCP/UDP services (docs/sources/ingress-nginx.md): a table of manifests and records.

Each case is the controller Service, the two ConfigMaps and backend Services as YAML, the
exact desired RRsets and the exact (object, field, reason) of every warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnssync.model.refs import ObjectRef
from dnssync.rules.desired import RuleSettings, desired_records
from dnssync.rules.ingress_nginx import configmap_diagnostics
from dnssync.sources.ingress_nginx import IngressNginxSettings, parse_stream_services
from dnssync.sources.manifests import read_manifests
from dnssync.testing.scenarios import desired_lines, problems, snapshot_of

NGINX = IngressNginxSettings.parse(
    "ingress-nginx/ingress-nginx-controller",
    "ingress-nginx/tcp-services",
    "ingress-nginx/udp-services",
)
SETTINGS = RuleSettings(ingress_nginx=NGINX)
CONFIGMAPS = (
    ObjectRef("configmap", "ingress-nginx", "tcp-services"),
    ObjectRef("configmap", "ingress-nginx", "udp-services"),
)
TCP_CM = "configmap/ingress-nginx/tcp-services"


def named(manifest: str) -> tuple[ObjectRef, ...]:
    """The named ConfigMaps a case holds: a case is run with the flags naming just those
    (a named ConfigMap that does not exist is an Error of its own, tested in tests/corpus)."""
    return tuple(r for r in CONFIGMAPS if re.search(rf"name: {r.name}\b", manifest))


UDP_CM = "configmap/ingress-nginx/udp-services"
CONTROLLER = "service/ingress-nginx/ingress-nginx-controller"
DNS_ANNOTATIONS = "{dnssync.io/hostname: ns1.example.com, dnssync.io/srv-domain: example.com}"


@dataclass(frozen=True)
class Case:
    id: str
    manifest: str
    records: list[str]
    warnings: list[tuple[str, str, str]]


def controller(ports: str, ingress: str = "[{ip: 203.0.113.50}]") -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata: {{name: ingress-nginx-controller, namespace: ingress-nginx}}
spec:
  type: LoadBalancer
  ports: {ports}
status:
  loadBalancer:
    ingress: {ingress}
"""


def configmap(name: str, data: str) -> str:
    return f"""
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: {name}, namespace: ingress-nginx}}
data: {data}
"""


def backend(name: str, annotations: str, ports: str, namespace: str = "dns") -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
  annotations: {annotations}
spec:
  type: ClusterIP
  ports: {ports}
"""


DNS_PORTS = "[{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]"
BOTH_53 = "[{name: 53-tcp, port: 53, protocol: TCP}, {name: 53-udp, port: 53, protocol: UDP}]"

CASES = [
    Case(
        "tcp-only",
        controller("[{name: 5432-tcp, port: 5432, protocol: TCP}]")
        + configmap("tcp-services", '{"5432": "db/postgres:5432"}')
        + backend(
            "postgres",
            "{dnssync.io/hostname: db.example.com, dnssync.io/srv-domain: example.com}",
            "[{name: postgresql, port: 5432}]",
            namespace="db",
        ),
        [
            "_postgresql._tcp.example.com. 300 SRV 0 100 5432 db.example.com.",
            "db.example.com. 300 A 203.0.113.50",
        ],
        [],
    ),
    Case(
        "udp-only",
        controller("[{name: 514-udp, port: 514, protocol: UDP}]")
        + configmap("udp-services", '{"514": "logs/syslog:514"}')
        + backend(
            "syslog",
            "{dnssync.io/hostname: logs.example.com, dnssync.io/srv-domain: example.com}",
            "[{name: syslog, port: 514, protocol: UDP}]",
            namespace="logs",
        ),
        [
            "_syslog._udp.example.com. 300 SRV 0 100 514 logs.example.com.",
            "logs.example.com. 300 A 203.0.113.50",
        ],
        [],
    ),
    Case(
        # The seeds' DNS case: "53" in both ConfigMaps, one backend, SRV per protocol.
        "both-protocols-on-one-port",
        controller(BOTH_53)
        + configmap("tcp-services", '{"53": "dns/coredns:53"}')
        + configmap("udp-services", '{"53": "dns/coredns:53"}')
        + backend(
            "coredns",
            "{dnssync.io/hostname: ns1.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/srv-service: 'dns=domain,dns-tcp=domain'}",
            DNS_PORTS,
        ),
        [
            "_domain._tcp.example.com. 300 SRV 0 100 53 ns1.example.com.",
            "_domain._udp.example.com. 300 SRV 0 100 53 ns1.example.com.",
            "ns1.example.com. 300 A 203.0.113.50",
        ],
        [],
    ),
    Case(
        # Without srv-service the labels are the backend port names, per protocol.
        "both-protocols-port-names-as-labels",
        controller(BOTH_53)
        + configmap("tcp-services", '{"53": "dns/coredns:53"}')
        + configmap("udp-services", '{"53": "dns/coredns:53"}')
        + backend("coredns", DNS_ANNOTATIONS, DNS_PORTS),
        [
            "_dns-tcp._tcp.example.com. 300 SRV 0 100 53 ns1.example.com.",
            "_dns._udp.example.com. 300 SRV 0 100 53 ns1.example.com.",
            "ns1.example.com. 300 A 203.0.113.50",
        ],
        [],
    ),
    Case(
        "proxy-suffixes",
        controller("[{port: 2222}, {port: 2223}, {port: 2224, protocol: TCP}]")
        + configmap(
            "tcp-services",
            '{"2222": "git/ssh:22:PROXY", "2223": "git/ssh:22:PROXY:PROXY",'
            ' "2224": "git/ssh:22::PROXY"}',
        )
        + backend(
            "ssh",
            "{dnssync.io/hostname: git.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/srv-service: ssh}",
            "[{port: 22}]",
            namespace="git",
        ),
        [
            "_ssh._tcp.example.com. 300 SRV 0 100 2222 git.example.com.,"
            " 0 100 2223 git.example.com., 0 100 2224 git.example.com.",
            "git.example.com. 300 A 203.0.113.50",
        ],
        # The empty third field of "2224" is not PROXY: the controller ignores it.
        [(TCP_CM, "data[2224]", "IgnoredStreamField")],
    ),
    Case(
        "port-by-name",
        controller("[{port: 8883, protocol: TCP}]")
        + configmap("tcp-services", '{"8883": "iot/mqtt:mqtts"}')
        + backend(
            "mqtt",
            "{dnssync.io/hostname: mqtt.example.com, dnssync.io/srv-domain: example.com}",
            "[{name: mqtt, port: 1883}, {name: mqtts, port: 8883}]",
            namespace="iot",
        ),
        [
            "_mqtts._tcp.example.com. 300 SRV 0 100 8883 mqtt.example.com.",
            "mqtt.example.com. 300 A 203.0.113.50",
        ],
        [],
    ),
    Case(
        # The backend's 53 is TCP and UDP: the UDP ConfigMap picks the UDP port's name.
        "port-by-number-picks-the-configmaps-protocol",
        controller("[{port: 53, protocol: UDP}]")
        + configmap("udp-services", '{"53": "dns/coredns:53"}')
        + backend("coredns", DNS_ANNOTATIONS, DNS_PORTS),
        [
            "_dns._udp.example.com. 300 SRV 0 100 53 ns1.example.com.",
            "ns1.example.com. 300 A 203.0.113.50",
        ],
        [],
    ),
    Case(
        "port-missing-on-the-controller-service",
        controller("[{name: 53-tcp, port: 53, protocol: TCP}]")
        + configmap("tcp-services", '{"53": "dns/coredns:53"}')
        + configmap("udp-services", '{"53": "dns/coredns:53"}')
        + backend("coredns", DNS_ANNOTATIONS, DNS_PORTS),
        [
            "_dns-tcp._tcp.example.com. 300 SRV 0 100 53 ns1.example.com.",
            "ns1.example.com. 300 A 203.0.113.50",
        ],
        [("service/dns/coredns", "spec.ports", "PortNotOnController")],
    ),
    Case(
        "only-port-missing-publishes-nothing",
        controller("[{port: 443, protocol: TCP}]")
        + configmap("tcp-services", '{"5432": "db/postgres:5432"}')
        + backend(
            "postgres",
            "{dnssync.io/hostname: db.example.com}",
            "[{name: postgresql, port: 5432}]",
            namespace="db",
        ),
        [],
        [("service/db/postgres", "spec.ports", "PortNotOnController")],
    ),
    Case(
        # AWS: the controller's LB has a hostname; CNAME, and SRV straight to the LB.
        "controller-with-a-hostname",
        controller(BOTH_53, "[{hostname: a1b2.elb.us-east-1.amazonaws.com}]")
        + configmap("tcp-services", '{"53": "dns/coredns:53"}')
        + configmap("udp-services", '{"53": "dns/coredns:53"}')
        + backend(
            "coredns",
            "{dnssync.io/hostname: ns1.example.com, dnssync.io/srv-domain: example.com,"
            " dnssync.io/srv-service: 'dns=domain,dns-tcp=domain'}",
            DNS_PORTS,
        ),
        [
            "_domain._tcp.example.com. 300 SRV 0 100 53 a1b2.elb.us-east-1.amazonaws.com.",
            "_domain._udp.example.com. 300 SRV 0 100 53 a1b2.elb.us-east-1.amazonaws.com.",
            "ns1.example.com. 300 CNAME a1b2.elb.us-east-1.amazonaws.com.",
        ],
        [],
    ),
    Case(
        "backend-port-not-found",
        controller("[{port: 5432, protocol: TCP}]")
        + configmap("tcp-services", '{"5432": "db/postgres:5433"}')
        + backend(
            "postgres", "{dnssync.io/hostname: db.example.com}", "[{port: 5432}]", namespace="db"
        ),
        [],
        [("service/db/postgres", "spec.ports", "StreamPortNotFound")],
    ),
    Case(
        "bad-entries-are-warnings-naming-the-key",
        controller("[{port: 5432, protocol: TCP}]")
        + configmap(
            "tcp-services",
            '{"5432": "db/postgres:5432", "x": "db/postgres:5432", "80": "db/postgres:5432",'
            ' "70000": "db/postgres:5432", "6000": "db-postgres:5432", "6001": "db/postgres",'
            ' "+5432": "db/postgres:5432"}',
        )
        + backend(
            "postgres", "{dnssync.io/hostname: db.example.com}", "[{port: 5432}]", namespace="db"
        ),
        ["db.example.com. 300 A 203.0.113.50"],
        [
            (TCP_CM, "data[+5432]", "InvalidStreamEntry"),  # port 5432 again
            (TCP_CM, "data[6000]", "InvalidStreamEntry"),
            (TCP_CM, "data[6001]", "InvalidStreamEntry"),
            (TCP_CM, "data[70000]", "InvalidStreamEntry"),
            (TCP_CM, "data[80]", "InvalidStreamEntry"),
            (TCP_CM, "data[x]", "InvalidStreamEntry"),
        ],
    ),
    Case(
        "controller-service-missing",
        configmap("tcp-services", '{"5432": "db/postgres:5432"}')
        + backend(
            "postgres", "{dnssync.io/hostname: db.example.com}", "[{port: 5432}]", namespace="db"
        ),
        [],
        [("service/db/postgres", "spec.ports", "ControllerNotFound")],
    ),
    Case(
        "unexposed-backends-and-other-configmaps-are-not-read",
        controller("[{port: 5432, protocol: TCP}]")
        + configmap("tcp-services", "{}")
        + configmap("other", '{"x": "not an entry"}')
        + backend(
            "postgres", "{dnssync.io/hostname: db.example.com}", "[{port: 5432}]", namespace="db"
        ),
        [],
        [],
    ),
    Case(
        # Two backends on one name with the same addresses are replicas: merged.
        "ttl-and-target-of-the-backend",
        controller("[{port: 5432, protocol: TCP}]")
        + configmap("tcp-services", '{"5432": "db/postgres:5432"}')
        + backend(
            "postgres",
            "{dnssync.io/hostname: db.example.com, dnssync.io/ttl: 1m,"
            " dnssync.io/target: 198.51.100.7}",
            "[{port: 5432}]",
            namespace="db",
        ),
        ["db.example.com. 60 A 198.51.100.7"],
        [],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_ingress_nginx_rules(case: Case) -> None:
    snapshot = snapshot_of(case.manifest, configmaps=named(case.manifest))
    assert not snapshot.diagnostics, [str(d) for d in snapshot.diagnostics]
    result = desired_records(snapshot.objects, SETTINGS)
    assert desired_lines(result) == sorted(case.records)
    assert problems(result.diagnostics) == sorted(case.warnings)


def test_the_warning_names_the_configmap_and_the_controller() -> None:
    case = next(c for c in CASES if c.id == "port-missing-on-the-controller-service")
    snapshot = snapshot_of(case.manifest, configmaps=named(case.manifest))
    (warning,) = desired_records(snapshot.objects, SETTINGS).diagnostics
    assert (
        "port 53/UDP is in ingress-nginx/udp-services but not on Service "
        "ingress-nginx/ingress-nginx-controller: unreachable" in warning.message
    )


def test_owner_is_the_backend_service() -> None:
    case = next(c for c in CASES if c.id == "both-protocols-on-one-port")
    snapshot = snapshot_of(case.manifest, configmaps=named(case.manifest))
    result = desired_records(snapshot.objects, SETTINGS)
    assert {str(r.owner) for r in result.records.values()} == {"service/dns/coredns"}


def test_without_the_settings_nothing_is_published() -> None:
    case = next(c for c in CASES if c.id == "tcp-only")
    snapshot = snapshot_of(case.manifest, configmaps=named(case.manifest))
    result = desired_records(snapshot.objects, RuleSettings())
    assert desired_lines(result) == []
    assert result.diagnostics == []


def test_bad_backend_annotation_keeps_its_records() -> None:
    case = next(c for c in CASES if c.id == "tcp-only")
    manifest = case.manifest.replace("db.example.com,", "db.example.com, dnssync.io/ttl: soon,")
    snapshot = snapshot_of(manifest, configmaps=named(manifest))
    result = desired_records(snapshot.objects, SETTINGS)
    assert desired_lines(result) == []
    assert result.keep == {"service/db/postgres"}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("", "ingress-nginx/tcp", ""), "need --ingress-nginx-controller"),
        (("ingress-nginx/c", "", ""), "needs --ingress-nginx-tcp-services"),
        (("ingress-nginx", "ingress-nginx/tcp", ""), "--ingress-nginx-controller: 'ingress-nginx'"),
        (("a/b", "a/b/c", ""), "--ingress-nginx-tcp-services: 'a/b/c' is not NAMESPACE/NAME"),
        (("a/b", "", "A/b"), "--ingress-nginx-udp-services: 'A/b'"),
    ],
)
def test_settings_name_the_flag(flags: tuple[str, str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        IngressNginxSettings.parse(*flags)


def test_the_worked_example() -> None:
    """examples/ingress-nginx gives what docs/sources/ingress-nginx.md shows."""
    folder = Path(__file__).resolve().parents[3] / "examples" / "ingress-nginx"
    snapshot = read_manifests(folder, configmaps=CONFIGMAPS)
    assert not snapshot.diagnostics, [str(d) for d in snapshot.diagnostics]
    result = desired_records(snapshot.objects, SETTINGS)
    assert result.diagnostics == []
    assert desired_lines(result) == [
        "_domain._tcp.example.com. 300 SRV 0 100 53 ns1.example.com.",
        "_domain._udp.example.com. 300 SRV 0 100 53 ns1.example.com.",
        "_kerberos._tcp.example.com. 300 SRV 0 100 88 kdc.example.com.",
        "_kerberos._udp.example.com. 300 SRV 0 100 88 kdc.example.com.",
        "kdc.example.com. 300 A 203.0.113.30",
        "ns1.example.com. 300 A 203.0.113.30",
    ]
    docs = (folder.parents[1] / "docs" / "sources" / "ingress-nginx.md").read_text()
    for line in desired_lines(result):
        name, ttl, rtype, data = line.split(" ", 3)
        assert f"{name} {rtype} {ttl} {data}" in docs


@given(
    st.dictionaries(
        st.text(max_size=300), st.one_of(st.text(max_size=40), st.integers(), st.none()), max_size=4
    )
)
def test_warnings_name_the_key_on_one_short_line(data: dict[str, object]) -> None:
    parsed = parse_stream_services(CONFIGMAPS[0], data)
    for diagnostic in configmap_diagnostics(parsed, NGINX):
        assert diagnostic.field.startswith("data[") and diagnostic.field.endswith("]")
        assert diagnostic.field.isprintable() and len(diagnostic.field) < 80
        assert diagnostic.ref == CONFIGMAPS[0]


def test_an_unreadable_configmap_makes_the_run_incomplete() -> None:
    snapshot = snapshot_of(configmap("tcp-services", "[not, a, map]"), configmaps=CONFIGMAPS[:1])
    assert not snapshot.complete
    (problem,) = snapshot.diagnostics
    assert problem.subject.startswith(TCP_CM) and problem.field == "data"
