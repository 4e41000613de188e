"""The webhook provider's flags through the CLI: listed, validated, never leaking the URL's
user information."""

from __future__ import annotations

from pathlib import Path

import pytest
from dnssync_webhook.settings import WebhookSettings, redact_url

from dnssync.cli.main import main
from dnssync.errors import ConfigError
from testinfra.lifecycle import free_tcp_port
from testinfra.webhook_fake import FakeWebhook

KERBEROS = str(Path(__file__).resolve().parents[3] / "examples" / "kerberos")


def test_providers_lists_the_webhook_and_its_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["providers"]) == 0
    out = capsys.readouterr().out
    assert "webhook (dnssync-webhook" in out
    for flag, default in (
        ("--webhook-provider-url", "http://localhost:8888"),
        ("--webhook-provider-read-timeout", "5s"),
        ("--webhook-provider-write-timeout", "10s"),
        ("--webhook-provider-max-body-size", "33554432"),
    ):
        assert f"{flag}:" in out and f"(default: {default})" in out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"webhook_provider_url": "ftp://x"}, "is not an http:// or https:// URL"),
        ({"webhook_provider_url": "http://h:1/?token=x"}, "must not have a query"),
        ({"webhook_provider_read_timeout": "soon"}, "--webhook-provider-read-timeout"),
        ({"webhook_provider_write_timeout": "0s"}, "must be positive"),
        ({"webhook_provider_max_body_size": 100}, "below 1024 bytes"),
        ({"webhook_provider_max_body_size": -1}, ">= 0"),
        ({"zone": ("bad..zone",)}, "--zone"),
    ],
)
def test_bad_settings_name_the_flag(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        WebhookSettings.from_options(options)  # type: ignore[arg-type]


def test_durations_and_defaults() -> None:
    settings = WebhookSettings.from_options(
        {"webhook_provider_read_timeout": "1m", "webhook_provider_write_timeout": "500ms"}
    )
    assert (settings.read_timeout, settings.write_timeout, settings.timeout) == (60, 0.5, 60.5)
    assert settings.url == "http://localhost:8888"
    assert settings.max_body_bytes == 32 << 20


def test_user_information_never_shows(capsys: pytest.CaptureFixture[str]) -> None:
    assert redact_url("https://bob:s3cret@hook.example:8443/base?x=1") == (
        "https://hook.example:8443/base"
    )
    url = f"http://bob:s3cret@127.0.0.1:{free_tcp_port()}"
    argv = ["plan", "--manifests", KERBEROS, "--provider", "webhook"]
    argv += ["--webhook-provider-url", url, "--webhook-provider-read-timeout", "100ms"]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1
    assert "127.0.0.1" in err and "s3cret" not in err and "bob" not in err


def test_plan_through_a_webhook_from_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    with FakeWebhook(domain_filter={"include": ["example.com"]}) as fake:
        argv = ["--manifests", KERBEROS, "--provider", "webhook"]
        argv += ["--webhook-provider-url", fake.url, "--owner-id", "cli"]
        assert main(["plan", *argv]) == 2
        assert main(["apply", *argv, "--yes"]) == 0
        assert main(["plan", *argv]) == 0
        # plan never writes: only the one apply sent POST /records
        assert fake.count("POST", "/records") == 1
    capsys.readouterr()
