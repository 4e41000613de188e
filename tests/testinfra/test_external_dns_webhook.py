"""The ExternalDNS webhook server harness: ready means it speaks the protocol; a failure
carries its log; a stop leaves nothing running; two run side by side on one machine."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

from testinfra.external_dns import ExternalDnsError, binary_available, ensure_binary
from testinfra.external_dns_webhook import MEDIA_TYPE, ExternalDnsWebhook
from testinfra.gates import require_k8s


@pytest.fixture(scope="module", autouse=True)
def edns_binary() -> None:
    require_k8s(binary_available(), "external-dns not built and no Go toolchain")
    ensure_binary()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_two_servers_side_by_side_each_on_its_own_port() -> None:
    with (
        ExternalDnsWebhook.inmemory(("a.test",)) as first,
        ExternalDnsWebhook.inmemory(("b.test",)) as second,
    ):
        assert first.port != second.port
        for hook in (first, second):
            request = urllib.request.Request(hook.url + "/", headers={"Accept": MEDIA_TYPE})
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.headers["Content-Type"] == MEDIA_TYPE
                assert json.loads(answer.read()) == {}
        pids = [first.pid, second.pid]
    assert all(pid is not None and not _alive(pid) for pid in pids)


def test_a_server_that_cannot_start_reports_its_log() -> None:
    hook = ExternalDnsWebhook(["--provider=no-such-provider"], ready_timeout=30)
    with pytest.raises(ExternalDnsError, match="exited with 1") as caught:
        hook.start()
    assert "no-such-provider" in str(caught.value)
    assert hook.pid is None and not hook.running
