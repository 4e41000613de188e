"""Fuzzing the manifest source and `dnssync plan`/`apply` with hostile folders.

Strategies build folders of Services, Gateways and routes with random annotations (ours,
ExternalDNS's and foreign ones, of every YAML type), random status, YAML-level garbage,
documents that are not objects, and entries that cannot be read (dangling and looping
links, FIFOs). Invariants:

- nothing escapes ``read_manifests`` or ``main(["plan", ...])``; the exit code is 0, 1 or 2
  and the projection's safety net (an "InternalError" diagnostic) is never reached;
- when any input could not be read, the snapshot is incomplete and the plan deletes
  nothing (a record we own that no manifest asks for is planted to be deleted otherwise);
- for readable input, plan -> apply (zone files in a temporary folder) -> plan is empty.

The 'ci' profile (tests/conftest.py) bounds the examples; hunt with
``pytest --hypothesis-profile long tests/dnssync/sources/test_manifests_fuzz.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dnssync.cli.main import main
from dnssync.model.diagnostics import Severity
from dnssync.sources.manifests import read_manifests

ZONE = "example.com"
OWNER = "fuzz"
GHOST_TXT = (
    f'"heritage=external-dns,external-dns/owner={OWNER},'
    'external-dns/resource=service/fuzz/ghost-of-a-deleted-service"'
)
ZONE_FILE = (
    f"$ORIGIN {ZONE}.\n@ 3600 SOA ns1 hostmaster 1 3600 600 1209600 300\n@ 3600 NS ns1\n"
    f"ghost 300 A 192.0.2.254\na-ghost 300 TXT {GHOST_TXT}\n"
)

# -- values -----------------------------------------------------------------------------------


def sometimes(bad: st.SearchStrategy[Any], good: st.SearchStrategy[Any], one_in: int = 10) -> Any:
    """``good``, and ``bad`` one time in ``one_in``: most objects stay readable, so the
    plans have something to do, while every field is sometimes hostile."""
    # Not 0 or one_in - 1: hypothesis favours the bounds (and shrinks towards 0 = good).
    return st.integers(0, one_in - 1).flatmap(lambda n: bad if n == one_in // 2 else good)


names = st.sampled_from(["a", "b", "kdc", "www", "x-1", "Mixed", "*", "_srv", ""])
hostnames = sometimes(
    st.one_of(
        st.sampled_from(["outside.example.org", "bad_host!.example.com", "a..example.com", "."]),
        st.text(max_size=20),
    ),
    st.builds(lambda n: f"{n}.{ZONE}" if n else ZONE, names),
    one_in=4,
)
yaml_surprises = st.sampled_from(
    ["0300", "yes", "no", "on", "off", "y", "n", "~", "null", "1:20", "2026-12-02", "=", "1e3",
     ".inf", "0x1F", "-0", "", " ", "true", "'quoted'", "a: b", "[x]", "{y: z}", "#c", "&a", "*a"]
)  # fmt: skip
scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    yaml_surprises,
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
OUR_KEYS = ["hostname", "ttl", "target", "controller", "srv-domain", "srv-service"]
OUR_KEYS += ["srv-priority", "srv-weight"]
annotation_keys = st.one_of(
    st.sampled_from([f"dnssync.io/{k}" for k in OUR_KEYS]),
    st.sampled_from(
        [f"external-dns.alpha.kubernetes.io/{k}" for k in ("hostname", "ttl", "target")]
        + ["external-dns.kubernetes.io/hostname", "external-dns.kubernetes.io/controller"]
    ),
    st.sampled_from(["prometheus.io/scrape", "example.io/x", "kubectl.kubernetes.io/x"]),
    st.text(max_size=12),
)
good_values = {
    "dnssync.io/hostname": hostnames,
    "dnssync.io/ttl": st.sampled_from(["300", "5m", "0", "-1", "1h30m", "soon", "0300"]),
    "dnssync.io/target": st.sampled_from(["192.0.2.9", "2001:db8::9", "lb.example.net", "x, y"]),
    "dnssync.io/srv-domain": st.sampled_from([ZONE, f"srv.{ZONE}", "example.org", ""]),
}
annotation_values = sometimes(values, st.text(max_size=25), one_in=6)


@st.composite
def annotations(draw: st.DrawFn) -> Any:
    found: dict[Any, Any] = {}
    if draw(sometimes(st.just(False), st.just(True), one_in=4)):
        found["dnssync.io/hostname"] = draw(hostnames)
    for key in draw(st.lists(annotation_keys, max_size=4)):
        good = good_values.get(key)
        found[key] = draw(annotation_values if good is None else sometimes(annotation_values, good))
    return draw(sometimes(values, st.just(found)))


ips = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
    st.sampled_from(["192.0.2.1", "203.0.113.7", "fe80::1%eth0", "300.1.1.1", "010.0.0.1"]),
)
ingress = sometimes(
    st.just([]),
    st.lists(
        sometimes(
            values,
            st.one_of(
                st.builds(lambda ip: {"ip": ip}, sometimes(ips, st.ip_addresses(v=4).map(str))),
                st.builds(lambda h: {"hostname": h}, hostnames),
            ),
        ),
        min_size=1,
        max_size=3,
    ),
)
ports = st.lists(
    sometimes(
        values,
        st.fixed_dictionaries(
            {"port": sometimes(st.one_of(st.integers(0, 70000), values), st.integers(1, 65535))},
            optional={
                "name": st.sampled_from(["kerberos", "https", "dns", "", "x" * 70]),
                "protocol": st.sampled_from(["TCP", "UDP", "SCTP", "ICMP", "tcp"]),
            },
        ),
    ),
    max_size=3,
)
object_names = st.sampled_from(["a", "b", "c", "kdc-tcp", "kdc-udp", "gw", "web", "x,owner=t"])
namespaces = st.sampled_from(["default", "fuzz", "infra"])


@st.composite
def metadata(draw: st.DrawFn, one_in: int) -> Any:
    meta = {"name": draw(object_names), "namespace": draw(namespaces)}
    meta["annotations"] = draw(annotations())
    if draw(st.booleans()):
        label_values = sometimes(annotation_values, st.text(max_size=5))
        meta["labels"] = draw(st.dictionaries(st.text(max_size=5), label_values, max_size=2))
    return draw(sometimes(values, st.just(meta), one_in=one_in))


@st.composite
def services(draw: st.DrawFn, one_in: int) -> Any:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": draw(metadata(one_in)),
        "spec": {
            "type": draw(sometimes(st.just("ClusterIP"), st.just("LoadBalancer"))),
            "ports": draw(ports),
        },
        "status": {"loadBalancer": {"ingress": draw(ingress)}},
    }


listeners = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(["tcp", "udp", "http", "tls"]),
            "port": st.one_of(st.integers(1, 65535), values),
            "protocol": st.sampled_from(["TCP", "UDP", "HTTP", "TLS", "HTTPS"]),
        },
        optional={
            "hostname": hostnames,
            "allowedRoutes": st.one_of(
                st.just({"namespaces": {"from": "All"}}),
                st.just({"namespaces": {"from": "Nowhere"}}),
                values,
            ),
        },
    ),
    max_size=3,
)


@st.composite
def gateways(draw: st.DrawFn, one_in: int) -> Any:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": draw(metadata(one_in)),
        "spec": {"listeners": draw(listeners)},
        "status": {
            "addresses": draw(
                st.lists(
                    st.one_of(
                        st.builds(lambda ip: {"type": "IPAddress", "value": ip}, ips),
                        st.builds(lambda h: {"type": "Hostname", "value": h}, hostnames),
                        values,
                    ),
                    max_size=2,
                )
            )
        },
    }


@st.composite
def routes(draw: st.DrawFn, one_in: int) -> Any:
    parent = st.fixed_dictionaries(
        {"name": st.sampled_from(["gw", "other"])},
        optional={
            "namespace": namespaces,
            "sectionName": st.sampled_from(["tcp", "udp", "http", "nope"]),
            "port": st.one_of(st.integers(0, 70000), values),
        },
    )
    condition = st.fixed_dictionaries(
        {"type": st.just("Accepted"), "status": st.sampled_from(["True", "False", True])}
    )
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": draw(st.sampled_from(["HTTPRoute", "TLSRoute", "TCPRoute", "UDPRoute"])),
        "metadata": draw(metadata(one_in)),
        "spec": {
            "parentRefs": draw(st.lists(st.one_of(parent, values), max_size=2)),
            "hostnames": draw(st.lists(hostnames, max_size=2)),
        },
        "status": {
            "parents": draw(
                st.lists(
                    st.fixed_dictionaries(
                        {"parentRef": parent, "conditions": st.lists(condition, max_size=2)}
                    ),
                    max_size=2,
                )
            )
        },
    }


@st.composite
def attached(draw: st.DrawFn) -> Any:
    """A Gateway and a route it accepted, as one `kind: List` document: the route gets the
    Gateway's address."""
    protocol = draw(st.sampled_from(["TCP", "UDP", "HTTP"]))
    listener = protocol.lower()
    route_kind = {"TCP": "TCPRoute", "UDP": "UDPRoute", "HTTP": "HTTPRoute"}[protocol]
    parent = {"name": "gw", "namespace": "infra", "sectionName": listener}
    route_annotations = {"dnssync.io/hostname": draw(hostnames)}
    if protocol != "HTTP" and draw(st.booleans()):
        route_annotations["dnssync.io/srv-domain"] = ZONE
    gateway = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": "infra"},
        "spec": {
            "listeners": [
                {
                    "name": listener,
                    "port": draw(st.integers(1, 65535)),
                    "protocol": protocol,
                    "allowedRoutes": {"namespaces": {"from": "All"}},
                }
            ]
        },
        "status": {"addresses": [{"type": "IPAddress", "value": draw(ips)}]},
    }
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": route_kind,
        "metadata": {"name": draw(object_names), "namespace": draw(namespaces)},
        "spec": {"parentRefs": [parent]},
        "status": {
            "parents": [
                {"parentRef": parent, "conditions": [{"type": "Accepted", "status": "True"}]}
            ]
        },
    }
    route["metadata"]["annotations"] = route_annotations
    return {"apiVersion": "v1", "kind": "List", "items": [gateway, route]}


@st.composite
def ingresses(draw: st.DrawFn, one_in: int) -> Any:
    """Ingresses: hosts in rules and tls (or garbage there), an optional class, LB status."""
    rule = st.fixed_dictionaries({}, optional={"host": sometimes(values, hostnames)})
    tls_hosts = sometimes(values, st.lists(sometimes(values, hostnames), max_size=2))
    tls = st.fixed_dictionaries({}, optional={"hosts": tls_hosts})
    spec: dict[str, Any] = {
        "rules": draw(sometimes(values, st.lists(sometimes(values, rule), max_size=2))),
        "tls": draw(sometimes(values, st.lists(sometimes(values, tls), max_size=2))),
    }
    if draw(st.booleans()):
        spec["ingressClassName"] = draw(sometimes(values, st.sampled_from(["public", ""])))
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": draw(metadata(one_in)),
        "spec": spec,
        "status": {"loadBalancer": {"ingress": draw(ingress)}},
    }


def objects(one_in: int) -> Any:
    """Services, Ingresses, Gateways and routes; one document in ``one_in`` (and one name in
    ``one_in``) is not a readable object."""
    return sometimes(
        st.one_of(
            st.builds(lambda items: {"apiVersion": "v1", "kind": "List", "items": items}, values),
            values,  # a document that is not an object
        ),
        st.one_of(
            services(one_in),
            services(one_in),
            ingresses(one_in),
            attached(),
            gateways(one_in),
            routes(one_in),
        ),
        one_in=one_in,
    )


def dump(document: Any) -> str:
    try:
        return yaml.safe_dump(document, default_flow_style=bool(hash(str(document)) % 2))
    except (yaml.YAMLError, ValueError, RecursionError):
        return "kind: Service\n"


garbage = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "kind: Service\nmetadata: {name: [oops\n",
            "a: 1\na: 2\n",
            "a: &a [*a]\n",
            "--- !!python/object:os.system x\n",
            "kind: List\nitems: 7\n",
            "\t- tab\n",
            "%YAML 9.9\n---\nx: 1\n",
            "- " * 300,
            "[" * 400 + "]" * 400,
        ]
    ),
)


@dataclass(frozen=True)
class File:
    name: str
    text: str | bytes


@st.composite
def files(draw: st.DrawFn, garbage_one_in: int) -> File:
    folder = draw(st.sampled_from(["", "sub/", "sub/deeper/", ".hidden/"]))
    name = (
        folder
        + draw(st.sampled_from(["a", "b", "c", "d"]))
        + draw(st.sampled_from([".yaml", ".yml", ".txt"]))
    )
    document = sometimes(garbage, objects(garbage_one_in).map(dump), garbage_one_in)
    text = "---\n".join(draw(st.lists(document, min_size=1, max_size=3)))
    if draw(st.integers(0, garbage_one_in)) == 0:  # truncated mid-way
        text = text[: draw(st.integers(0, len(text)))]
    if draw(st.integers(0, garbage_one_in * 2)) == 0:
        return File(name, text.encode() + b"\xff\xfe")
    return File(name, text)


UNREADABLE_KINDS = ("dangling", "loop", "fifo", "folder-loop")


def unreadable(one_in: int) -> Any:
    entries = st.tuples(st.sampled_from(UNREADABLE_KINDS), st.sampled_from(["x", "sub/y"]))
    return sometimes(st.lists(entries, min_size=1, max_size=2), st.just([]), one_in=one_in)


def build(folder: Path, found: list[File], broken: list[tuple[str, str]]) -> None:
    for file in found:
        path = folder / file.name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(file.text, bytes):
            path.write_bytes(file.text)
        else:
            path.write_text(file.text, encoding="utf-8", errors="surrogatepass")
    for index, (kind, where) in enumerate(broken):
        path = folder / f"{where}-{index}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "dangling":
            path.symlink_to("nowhere.yaml")
        elif kind == "loop":
            path.symlink_to(path.name)
        elif kind == "fifo":
            os.mkfifo(path)
        else:
            path.with_suffix("").symlink_to(".")


@contextlib.contextmanager
def workspace() -> Iterator[tuple[Path, Path]]:
    with tempfile.TemporaryDirectory(prefix="dnssync-fuzz-") as tmp:
        manifests, zones = Path(tmp) / "manifests", Path(tmp) / "zones"
        manifests.mkdir()
        zones.mkdir()
        (zones / f"{ZONE}.zone").write_text(ZONE_FILE)
        yield manifests, zones


def run(*argv: str) -> tuple[int, str, str]:
    """main() in-process, its output captured; logging restored afterwards."""
    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert code in (0, 1, 2), (code, err.getvalue())
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def cli_args(manifests: Path, zones: Path) -> list[str]:
    return [
        "--manifests",
        str(manifests),
        "--provider",
        "zonefile",
        "--zonefile-dir",
        str(zones),
        "--zone",
        ZONE,
        "--owner-id",
        OWNER,
        "--force",  # the safety threshold is tested elsewhere; here it would hide deletes
    ]


FUZZ = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Three CLI runs per example: a third of the profile's examples (at least 20).
ROUNDTRIP = settings(
    FUZZ,
    max_examples=max(20, settings.default.max_examples // 3),  # type: ignore[union-attr]
)


@FUZZ
@given(found=st.lists(files(garbage_one_in=4), max_size=5), broken=unreadable(3))
def test_read_manifests_never_raises_and_never_hides_what_it_cannot_read(
    found: list[File], broken: list[tuple[str, str]]
) -> None:
    with workspace() as (manifests, _):
        build(manifests, found, broken)
        snapshot = read_manifests(manifests)
    assert not [d for d in snapshot.diagnostics if d.reason == "InternalError"], [
        str(d) for d in snapshot.diagnostics
    ]
    errors = [d for d in snapshot.diagnostics if d.severity is Severity.ERROR]
    if broken:
        assert not snapshot.complete
        assert errors
    # An Error always means "incomplete": nothing it may have held is read as absent.
    assert snapshot.complete == (not errors)


@ROUNDTRIP
@given(
    found=st.lists(files(garbage_one_in=1000), min_size=1, max_size=2),
    hostile=st.lists(files(garbage_one_in=20), max_size=2),
    broken=unreadable(8),
)
def test_plan_apply_plan(
    found: list[File], hostile: list[File], broken: list[tuple[str, str]]
) -> None:
    with workspace() as (manifests, zones):
        build(manifests, [*found, *(File(f"hostile/{f.name}", f.text) for f in hostile)], broken)
        args = cli_args(manifests, zones)
        snapshot = read_manifests(manifests)
        code, out, err = run("plan", "--output", "json", *args)
        deletes = []
        if code != 1 or out.strip():
            plan = json.loads(out)
            deletes = [c for c in plan["changes"] if c["action"] == "delete"]
        event(f"plan exit {code}, snapshot complete: {snapshot.complete}")
        event(f"{len(snapshot.objects)} objects read")
        if not snapshot.complete:
            # Something could not be read: nothing is deleted, and plan says so.
            assert deletes == []
            assert "no deletes this run" in err
            return
        # Everything was read: the planted record no manifest asks for is deleted...
        assert any(c["name"] == f"ghost.{ZONE}." for c in deletes), err
        # An object the rules refuse (an Error diagnostic such as a CNAME at the apex)
        # makes plan and apply exit 1 while the rest is applied: the same on every run.
        refused = code == 1
        code, _, err = run("apply", "--yes", *args)
        assert code == (1 if refused else 0), err
        created = [c for c in plan["changes"] if c["action"] == "create"]
        event("created records" if created else "deleted the planted record only")
        # ...and once applied, the same input plans nothing.
        code, out, err = run("plan", "--output", "json", *args)
        assert json.loads(out)["changes"] == [], err
        assert code == (1 if refused else 0), err
