"""Leader election on a ``coordination.k8s.io/v1`` Lease, as client-go does it.

Expiry is judged on this process's monotonic clock from when the Lease record was last
seen to change, never by comparing another machine's timestamps with ours. A leader that
cannot renew within ``renew_deadline`` steps down at once (stops writing) before its Lease
can expire and another replica take over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dnssync.sources.kube.api import KubeApi
from dnssync.sources.kube.errors import KubeApiError, KubeError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LeaseSettings:
    namespace: str
    name: str
    identity: str
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    def __init__(
        self,
        api: KubeApi,
        settings: LeaseSettings,
        on_started: Callable[[], None],
        on_stopped: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api = api
        self.settings = settings
        self._on_started = on_started
        self._on_stopped = on_stopped
        self._clock = clock
        self._leader = threading.Event()
        self._stop = threading.Event()
        self._observed: tuple[str, str] | None = None  # (holder, renewTime)
        self._observed_at = 0.0
        self._last_renew = 0.0
        self._thread = threading.Thread(target=self._run, name="dnssync-leader", daemon=True)

    @property
    def path(self) -> str:
        s = self.settings
        return f"/apis/coordination.k8s.io/v1/namespaces/{s.namespace}/leases/{s.name}"

    def is_leader(self) -> bool:
        if not self._leader.is_set():
            return False
        # Never write on a Lease that may have run out, even if the loop is late.
        return self._clock() - self._last_renew < self.settings.renew_deadline

    def start(self) -> None:
        self._thread.start()

    def stop(self, release: bool = True) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.settings.retry_period + 10)
        if self._leader.is_set():
            self._step_down()
            if release:
                self._release()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                held = self._try_acquire_or_renew()
            except KubeError as exc:
                log.warning("leader election: %s", exc)
                held = False
            except Exception:  # a bug must not end the election thread silently
                log.exception("leader election failed unexpectedly")
                held = False
            if held:
                self._last_renew = self._clock()
                if not self._leader.is_set():
                    self._leader.set()
                    log.info("became the leader (%s)", self.settings.identity)
                    self._on_started()
            elif self._leader.is_set() and (
                self._clock() - self._last_renew >= self.settings.renew_deadline
                or not self._holds_lease_still()
            ):
                self._step_down()
            self._stop.wait(self.settings.retry_period)

    def _holds_lease_still(self) -> bool:
        return self._observed is not None and self._observed[0] == self.settings.identity

    def _step_down(self) -> None:
        if self._leader.is_set():
            self._leader.clear()
            log.warning("stopped leading (%s): writes stop now", self.settings.identity)
            self._on_stopped()

    def _try_acquire_or_renew(self) -> bool:
        s = self.settings
        try:
            lease = self.api.request("GET", self.path, timeout=s.retry_period + 2)
        except KubeApiError as exc:
            if exc.status != 404:
                raise
            return self._create()
        spec: dict[str, Any] = lease.get("spec") or {}
        holder = str(spec.get("holderIdentity") or "")
        record = (holder, str(spec.get("renewTime") or ""))
        now = self._clock()
        if record != self._observed:
            self._observed, self._observed_at = record, now
        duration = float(spec.get("leaseDurationSeconds") or s.lease_duration)
        expired = now - self._observed_at >= duration
        if holder and holder != s.identity and not expired:
            return False
        transitions = int(spec.get("leaseTransitions") or 0)
        stamp = _now()
        new_spec = dict(spec)
        new_spec.update(
            holderIdentity=s.identity,
            leaseDurationSeconds=int(s.lease_duration),
            renewTime=stamp,
        )
        if holder != s.identity:
            new_spec.update(acquireTime=stamp, leaseTransitions=transitions + 1)
        lease["spec"] = new_spec
        try:
            self.api.request("PUT", self.path, body=lease, timeout=s.retry_period + 2)
        except KubeApiError as exc:
            if exc.status == 409:  # someone else wrote first
                return False
            raise
        self._observed, self._observed_at = (s.identity, stamp), self._clock()
        return True

    def _create(self) -> bool:
        s = self.settings
        stamp = _now()
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": s.name, "namespace": s.namespace},
            "spec": {
                "holderIdentity": s.identity,
                "leaseDurationSeconds": int(s.lease_duration),
                "acquireTime": stamp,
                "renewTime": stamp,
                "leaseTransitions": 0,
            },
        }
        path = self.path.rsplit("/", 1)[0]
        try:
            self.api.request("POST", path, body=body, timeout=s.retry_period + 2)
        except KubeApiError as exc:
            if exc.status == 409:
                return False
            raise
        self._observed, self._observed_at = (s.identity, stamp), self._clock()
        return True

    def _release(self) -> None:
        """Hand the Lease over at once on a clean shutdown (client-go's ReleaseOnCancel)."""
        try:
            lease = self.api.request("GET", self.path, timeout=5)
            spec = lease.get("spec") or {}
            if spec.get("holderIdentity") != self.settings.identity:
                return
            spec["holderIdentity"] = ""
            spec["leaseDurationSeconds"] = 1
            lease["spec"] = spec
            self.api.request("PUT", self.path, body=lease, timeout=5)
        except KubeError as exc:
            log.warning("could not release the Lease: %s", exc)
