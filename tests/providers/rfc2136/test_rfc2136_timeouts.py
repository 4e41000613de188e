"""Every network step of the rfc2136 provider is bounded (issue 13, class "bounds").

A peer that accepts and never answers, answers half a message, trickles bytes, or never
completes the handshake fails a read or write after ``--rfc2136-timeout`` (the AXFR total
``--rfc2136-axfr-timeout`` caps a transfer that keeps talking), with a message saying
which bound fired. The provider talks TCP only (UPDATEs up to 64 KiB), so there is no UDP
path to bound.
"""

from __future__ import annotations

import time

import pytest
from dnssync_rfc2136.options import OPTIONS, parse_options
from dnssync_rfc2136.provider import Rfc2136Provider

from dnssync.errors import ConfigError, ProviderError
from dnssync.model.names import DomainName
from dnssync.testing.builders import create, rrset
from testinfra.bind import TsigCredentials
from tests.providers.rfc2136.silent_peers import peer

ZONE = DomainName.parse("example.com")
CREDS = TsigCredentials.generate()


def provider(port: int, **options: object) -> Rfc2136Provider:
    return Rfc2136Provider(
        parse_options(
            {
                "rfc2136_host": "127.0.0.1",
                "rfc2136_port": port,
                "rfc2136_zone": (ZONE.text,),
                "rfc2136_tsig_keyname": CREDS.key_name,
                "rfc2136_tsig_secret": CREDS.secret,
                **options,
            }
        )
    )


def test_timeout_flags_and_defaults() -> None:
    flags = {o.flag: o for o in OPTIONS}
    assert flags["rfc2136-timeout"].default == "10s"
    assert flags["rfc2136-axfr-timeout"].default == "2m"
    config = provider(53).config
    assert (config.timeout, config.axfr_timeout) == (10.0, 120.0)
    config = provider(53, rfc2136_timeout="500ms", rfc2136_axfr_timeout="90").config
    assert (config.timeout, config.axfr_timeout) == (0.5, 90.0)


@pytest.mark.parametrize("value", ["0", "-1s", "inf", "nan", "soon", "2h"])
def test_bad_timeouts_are_refused_naming_the_flag(value: str) -> None:
    with pytest.raises(ConfigError, match="--rfc2136-timeout"):
        provider(53, rfc2136_timeout=value)
    with pytest.raises(ConfigError, match="--rfc2136-axfr-timeout"):
        provider(53, rfc2136_axfr_timeout=value)


@pytest.mark.parametrize("kind", ["backlog", "silent"])
def test_a_peer_that_never_answers_fails_the_read_after_the_timeout(kind: str) -> None:
    # The transfer budget is two minutes; the silence bound fires long before.
    with peer(kind) as silent:
        p = provider(silent.port, rfc2136_timeout="0.3s")
        start = time.monotonic()
        with pytest.raises(
            ProviderError,
            match=r"axfr to 127.0.0.1:\d+ failed: the server went "
            r"silent for 0.3s",
        ):
            p.records(ZONE)
        assert time.monotonic() - start < p.config.axfr_timeout / 4
        assert p.requests.counts[("axfr", "timeout")] == 1


def test_half_an_answer_then_silence_fails_the_read() -> None:
    with peer("half") as half:
        p = provider(half.port, rfc2136_timeout="0.3s")
        with pytest.raises(ProviderError, match=r"went silent for 0\.3s"):
            p.records(ZONE)


def test_a_trickling_peer_meets_the_total_transfer_deadline() -> None:
    # Every byte comes within the silence bound; the whole transfer still has its limit.
    with peer("trickle", pause=0.1) as slow:
        p = provider(slow.port, rfc2136_timeout="1s", rfc2136_axfr_timeout="0.8s")
        with pytest.raises(ProviderError, match=r"no answer within 0.8s"):
            p.records(ZONE)


def test_updates_and_queries_to_a_silent_peer_are_bounded() -> None:
    with peer("silent") as silent:
        p = provider(silent.port, rfc2136_timeout="0.3s")
        record = rrset("x.example.com", "A", "192.0.2.1")
        with pytest.raises(ProviderError, match=r"no answer within 0.3s"):
            p.apply(ZONE, [create(ZONE, record)])
        assert p.requests.total("update") + p.requests.total("soa") >= 1


def test_a_connect_that_is_never_answered_is_bounded() -> None:
    with peer("full") as full:
        p = provider(full.port, rfc2136_timeout="0.3s")
        start = time.monotonic()
        with pytest.raises(ProviderError, match=r"axfr to .* failed: the server went silent"):
            p.records(ZONE)
        # Bounded by the silence bound, not by the two-minute transfer budget.
        assert time.monotonic() - start < p.config.axfr_timeout / 4
        with pytest.raises(ProviderError, match=r"failed: no answer within 0\.3s"):
            p.apply(ZONE, [create(ZONE, rrset("x.example.com", "A", "192.0.2.1"))])
