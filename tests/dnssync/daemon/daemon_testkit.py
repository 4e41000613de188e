"""Helpers for the daemon tests: source objects, a fake cluster snapshot, real processes.

``Daemon`` runs ``dnssync run`` as a subprocess (the real command line, a real apiserver
and a real BIND) and reads its ``/metrics`` and ``/readyz``; ``Cluster`` creates and
changes LoadBalancer Services through the admin client of ``testinfra.k8s``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.update

from dnssync.model.diagnostics import Diagnostic
from dnssync.model.refs import ObjectRef
from dnssync.rules.evaluate import ObjectKey, key_of
from dnssync.sources.kube.changes import ObjectChange
from dnssync.sources.objects import SourceObject
from dnssync.sources.projection import project
from dnssync.sources.snapshot import SourceSnapshot, SourceStatus
from testinfra.bind import BindServer, free_port
from testinfra.k8s import KubeApiError, KubeCluster
from testinfra.lifecycle import log_tail

REPO = Path(__file__).resolve().parents[3]
DNSSYNC = REPO / ".venv" / "bin" / "dnssync"
MERGE = "application/merge-patch+json"
HOSTNAME = "dnssync.io/hostname"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def wait_for(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:g}s waiting for {what} (last: {last!r})"
            )
        time.sleep(interval)


# --------------------------------------------------------------------------- unit helpers


def service_manifest(
    name: str,
    hostname: str | None,
    ips: Sequence[str] = (),
    namespace: str = "apps",
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    notes = dict(annotations or {})
    if hostname is not None:
        notes[HOSTNAME] = hostname
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "annotations": notes},
        "spec": {"type": "LoadBalancer", "ports": [{"name": "http", "port": 80}]},
        "status": {"loadBalancer": {"ingress": [{"ip": ip} for ip in ips]}},
    }


def service(name: str, hostname: str | None, *ips: str, namespace: str = "apps") -> SourceObject:
    obj = project(service_manifest(name, hostname, ips, namespace))
    assert obj is not None
    return obj


class FakeSource:
    """The cluster source, faked over a dict of objects: ``snapshot()`` and ``status()``
    for the Reconciler, and the ObjectChanges it would have sent (``take()``)."""

    def __init__(self, objects: Iterable[SourceObject] = ()) -> None:
        self.objects: dict[ObjectKey, SourceObject] = {}
        self.complete = True
        self.unreadable: dict[ObjectKey, Diagnostic] = {}
        self.calls = 0
        self.status_calls = 0
        self._changes: list[ObjectChange] = []
        for obj in objects:
            self.put(obj)
        self._changes.clear()

    def put(self, obj: SourceObject) -> None:
        key = key_of(obj)
        self.unreadable.pop(key, None)
        before = self.objects.get(key)
        self.objects[key] = obj
        if before != obj:
            self._changes.append(ObjectChange(key[0], key, before, obj))

    def remove(self, name: str, namespace: str = "apps", kind: str = "service") -> None:
        key = (kind, namespace, name)
        before = self.objects.pop(key)
        self._changes.append(ObjectChange(kind, key, before, None))

    def break_object(self, key: ObjectKey, problem: str = "cannot be read") -> None:
        """The object still exists but can no longer be projected."""
        before = self.objects.pop(key, None)
        ref = ObjectRef(*key)
        self.unreadable[key] = Diagnostic(str(ref), "spec", problem, ref=ref)
        self._changes.append(ObjectChange(key[0], key, before, None, unreadable=True))

    def take(self) -> list[ObjectChange]:
        """The changes since the last take (what the loop hands to a targeted reconcile)."""
        changes, self._changes = self._changes, []
        return changes

    def snapshot(self) -> SourceSnapshot:
        self.calls += 1
        status = self.status()
        self.status_calls -= 1
        return SourceSnapshot(
            tuple(self.objects.values()), status.diagnostics, status.complete, status.unreadable
        )

    def status(self) -> SourceStatus:
        self.status_calls += 1
        return SourceStatus(
            self.complete,
            frozenset(str(ObjectRef(*k)) for k in self.unreadable),
            tuple(self.unreadable[k] for k in sorted(self.unreadable)),
        )


# --------------------------------------------------------------------------- DNS


def query(server: BindServer, name: str, rdtype: str = "A") -> list[str]:
    """Authoritative answer of the server (TCP, no cache): sorted record texts."""
    return server.query(name, rdtype)


def zone_dump(server: BindServer, zone: str) -> dict[str, list[str]]:
    """Every RRset of the zone by AXFR (TSIG): ``'name TYPE' -> sorted values``."""
    import dns.zone

    xfr = dns.query.xfr(
        server.host,
        zone,
        port=server.port,
        keyring=server.tsig.dns_key(),
        lifetime=30,
        relativize=False,
    )
    dns_zone = dns.zone.from_xfr(xfr, relativize=False)
    out: dict[str, list[str]] = {}
    for name, rdataset in dns_zone.iterate_rdatasets():
        key = f"{name.to_text(omit_final_dot=True)} {dns.rdatatype.to_text(rdataset.rdtype)}"
        out[key] = sorted(r.to_text() for r in rdataset)
    return out


def write_foreign(server: BindServer, zone: str, *records: tuple[str, str, str]) -> None:
    """Records written by someone else (same TSIG key): ``(name, type, value)``."""
    message = dns.update.UpdateMessage(zone)
    message.use_tsig(server.tsig.dns_key())
    for name, rtype, value in records:
        message.add(dns.name.from_text(name), 300, rtype, value)
    answer = dns.query.tcp(message, server.host, port=server.port, timeout=10)
    assert answer.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(answer.rcode())


def answers(server: BindServer, name: str, rdtype: str = "A") -> list[str] | None:
    """Like ``query`` but None when the server does not answer (stopped)."""
    try:
        msg = dns.message.make_query(name, rdtype)
        reply = dns.query.tcp(msg, server.host, port=server.port, timeout=2)
    except (OSError, dns.exception.DNSException):
        return None
    wanted = dns.rdatatype.from_text(rdtype)
    return sorted(r.to_text() for s in reply.answer if s.rdtype == wanted for r in s)


# --------------------------------------------------------------------------- cluster


class Cluster:
    """Admin-side helpers for LoadBalancer Services on a real apiserver."""

    def __init__(self, kube: KubeCluster) -> None:
        self.kube = kube

    def namespace(self, name: str | None = None) -> str:
        name = name or unique("ns")
        self.kube.ensure_namespace(name)
        return name

    def service(
        self,
        namespace: str,
        name: str,
        hostname: str | None,
        *ips: str,
        annotations: Mapping[str, str] | None = None,
    ) -> None:
        body = service_manifest(name, hostname, (), namespace, annotations)
        del body["status"]
        self.kube.request("POST", f"/api/v1/namespaces/{namespace}/services", body)
        if ips:
            self.set_ips(namespace, name, *ips)

    def set_ips(self, namespace: str, name: str, *ips: str) -> None:
        """Patch status.loadBalancer.ingress (what a cloud controller does)."""
        self.kube.request(
            "PATCH",
            f"/api/v1/namespaces/{namespace}/services/{name}/status",
            {"status": {"loadBalancer": {"ingress": [{"ip": ip} for ip in ips]}}},
            content_type=MERGE,
        )

    def delete(self, namespace: str, name: str) -> None:
        self.kube.request("DELETE", f"/api/v1/namespaces/{namespace}/services/{name}")

    def lease(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.kube.request(
                "GET", f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}"
            )
        except KubeApiError as exc:
            if exc.status == 404:
                return None
            raise
        return found


# --------------------------------------------------------------------------- the daemon


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text: str) -> list[tuple[str, dict[str, str], float]]:
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match is None:
            continue
        labels = dict(_LABEL.findall(match.group(3) or ""))
        samples.append((match.group(1), labels, float(match.group(4))))
    return samples


class Daemon:
    """One ``dnssync run`` process; stopped by ``stop()`` (SIGTERM, then SIGKILL)."""

    def __init__(
        self,
        kube: KubeCluster,
        bind: BindServer,
        zone: str,
        workdir: Path,
        *,
        owner_id: str = "e2e",
        extra: Sequence[str] = (),
        name: str = "dnssync",
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = workdir / f"{name}.log"
        secret = workdir / f"{name}.tsig"
        secret.write_text(bind.tsig.secret)
        secret.chmod(0o600)
        self.argv = [
            str(DNSSYNC),
            "run",
            "--kubeconfig",
            str(kube.kubeconfig_path),
            "--provider",
            "rfc2136",
            "--rfc2136-host",
            bind.host,
            "--rfc2136-port",
            str(bind.port),
            "--rfc2136-zone",
            zone,
            "--rfc2136-tsig-keyname",
            bind.tsig.key_name,
            "--rfc2136-tsig-secret-file",
            str(secret),
            "--owner-id",
            owner_id,
            "--metrics-address",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "info",
            *extra,
        ]
        self._env = {k: v for k, v in os.environ.items() if not k.startswith("DNSSYNC_")}
        self._env.update(env or {})
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Daemon:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env,
                start_new_session=True,
            )
        wait_for(f"{self.name} /healthz", self._healthy, 30)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _healthy(self) -> bool:
        if not self.running():
            raise AssertionError(f"{self.name} exited early:\n{log_tail(self.log_path)}")
        try:
            return self.get("/healthz")[0] == 200
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40.0) -> int | None:
        """Send ``sig``; wait; SIGKILL if it hangs. Returns the exit code (None if killed)."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return None if proc is None else proc.returncode
        proc.send_signal(sig)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            return None

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return int(r.status), r.read().decode()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read().decode()

    def ready(self) -> bool:
        try:
            return self.get("/readyz")[0] == 200
        except OSError:
            return False

    def metrics(self) -> list[tuple[str, dict[str, str], float]]:
        status, text = self.get("/metrics")
        assert status == 200
        return parse_metrics(text)

    def value(self, metric: str, **labels: str) -> float:
        """Sum of the samples of ``metric`` whose labels include ``labels``."""
        return sum(
            v
            for name, have, v in self.metrics()
            if name == metric and all(have.get(k) == want for k, want in labels.items())
        )

    def requests(self, operation: str | None = None) -> float:
        """Provider requests so far (``dnssync_provider_requests_total``), any result."""
        extra = {} if operation is None else {"operation": operation}
        return self.value("dnssync_provider_requests_total", **extra)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"<no log: {exc}>"


class Sampler:
    """Samples a predicate in a thread (e.g. 'two leaders at once') until stopped."""

    def __init__(self, sample: Callable[[], Any], interval: float = 0.05) -> None:
        self.samples: list[Any] = []
        self._sample = sample
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self._sample())
            self._stop.wait(self._interval)
