"""Options, TSIG key loading and secret hygiene (no server needed)."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import dns.tsig
import pytest
from dnssync_rfc2136.options import OPTIONS, parse_options
from dnssync_rfc2136.provider import Rfc2136Provider

from dnssync.cli.main import main as cli_main
from dnssync.errors import ConfigError
from dnssync.providers import registry
from dnssync.providers.base import OptionKind

SECRET = base64.b64encode(b"s" * 32).decode()


def options(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "rfc2136_host": "127.0.0.1",
        "rfc2136_zone": ("example.com",),
        "rfc2136_tsig_keyname": "ddns-key",
        "rfc2136_tsig_secret": SECRET,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_flags_follow_externaldns() -> None:
    flags = {o.flag: o for o in OPTIONS}
    assert list(flags) == [
        "rfc2136-host",
        "rfc2136-port",
        "rfc2136-zone",
        "rfc2136-tsig-keyname",
        "rfc2136-tsig-secret",
        "rfc2136-tsig-secret-file",
        "rfc2136-tsig-secret-alg",
        "rfc2136-tsig-axfr",
        "rfc2136-insecure",
        # ExternalDNS has no timeout flags; these follow its naming.
        "rfc2136-timeout",
        "rfc2136-axfr-timeout",
    ]
    assert flags["rfc2136-port"].default == 53
    assert flags["rfc2136-zone"].kind is OptionKind.LIST
    assert flags["rfc2136-tsig-secret"].secret
    assert flags["rfc2136-tsig-secret-alg"].default == "hmac-sha256"
    assert flags["rfc2136-tsig-axfr"].default is True
    assert flags["rfc2136-insecure"].default is False
    assert flags["rfc2136-host"].dest == "rfc2136_host"


def test_registered_under_the_entry_point() -> None:
    assert registry.load("rfc2136") is Rfc2136Provider


def test_defaults() -> None:
    config = parse_options(options())
    assert config.port == 53
    assert config.key is not None
    assert config.key.algorithm == "hmac-sha256"
    assert config.key.secret == b"s" * 32
    assert config.tsig_axfr
    assert config.axfr_key is config.key
    assert [z.text for z in config.zones] == ["example.com"]


def test_zones_repeatable_and_comma_separated() -> None:
    config = parse_options(options(rfc2136_zone=("b.example.com", "a.example.com,c.example.com.")))
    assert [z.text for z in config.zones] == ["a.example.com", "b.example.com", "c.example.com"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rfc2136_host": None}, "--rfc2136-host is required"),
        ({"rfc2136_zone": ()}, "--rfc2136-zone is required"),
        ({"rfc2136_port": 70000}, "outside 1..65535"),
        ({"rfc2136_port": "fifty"}, "must be an integer"),
        ({"rfc2136_tsig_secret_alg": "hmac-sha3000"}, "unknown TSIG algorithm"),
        ({"rfc2136_tsig_secret_alg": "md5"}, "unknown TSIG algorithm"),
        ({"rfc2136_tsig_keyname": None}, "--rfc2136-tsig-keyname is missing"),
        ({"rfc2136_tsig_secret": None}, "no secret"),
        ({"rfc2136_tsig_secret": "not base64!!"}, "not valid base64"),
        ({"rfc2136_insecure": True}, "choose one"),
        ({"rfc2136_tsig_axfr": "maybe"}, "true or false"),
    ],
)
def test_bad_options_are_config_errors(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_options(options(**overrides))
    assert SECRET not in str(caught.value)


def test_no_key_without_insecure_is_refused() -> None:
    with pytest.raises(ConfigError, match="a TSIG key is required"):
        parse_options(options(rfc2136_tsig_keyname=None, rfc2136_tsig_secret=None))


def test_insecure_without_key() -> None:
    config = parse_options(
        options(rfc2136_tsig_keyname=None, rfc2136_tsig_secret=None, rfc2136_insecure="true")
    )
    assert config.key is None
    assert config.axfr_key is None


def test_algorithm_explicit_and_never_a_silent_md5() -> None:
    assert parse_options(options(rfc2136_tsig_secret_alg=None)).key.algorithm == "hmac-sha256"  # type: ignore[union-attr]
    config = parse_options(options(rfc2136_tsig_secret_alg="HMAC-SHA512."))
    assert config.key is not None and config.key.algorithm == "hmac-sha512"
    assert config.key.dns_key().algorithm == dns.tsig.HMAC_SHA512


def test_md5_only_when_named_and_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        config = parse_options(options(rfc2136_tsig_secret_alg="hmac-md5.sig-alg.reg.int"))
    assert config.key is not None and config.key.algorithm == "hmac-md5"
    assert "weak" in caplog.text


def test_tsig_axfr_off() -> None:
    config = parse_options(options(rfc2136_tsig_axfr=False))
    assert config.key is not None
    assert config.axfr_key is None


def test_secret_from_plain_file(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text(SECRET + "\n")
    config = parse_options(options(rfc2136_tsig_secret=None, rfc2136_tsig_secret_file=str(path)))
    assert config.key is not None and config.key.secret == b"s" * 32


def test_secret_from_tsig_keygen_file(tmp_path: Path) -> None:
    path = tmp_path / "ddns.key"
    path.write_text(f'key "ddns-key" {{\n\talgorithm hmac-sha512;\n\tsecret "{SECRET}";\n}};\n')
    config = parse_options(
        options(
            rfc2136_tsig_secret=None,
            rfc2136_tsig_keyname=None,
            rfc2136_tsig_secret_file=str(path),
            rfc2136_tsig_secret_alg="hmac-sha512",
        )
    )
    assert config.key is not None
    assert config.key.name.to_text() == "ddns-key."
    assert config.key.secret == b"s" * 32
    # The file says sha512; the default sha256 must not be used silently.
    with pytest.raises(ConfigError, match="set the algorithm explicitly"):
        parse_options(options(rfc2136_tsig_secret=None, rfc2136_tsig_secret_file=str(path)))
    with pytest.raises(ConfigError, match="holds key"):
        parse_options(
            options(
                rfc2136_tsig_secret=None,
                rfc2136_tsig_keyname="other",
                rfc2136_tsig_secret_file=str(path),
                rfc2136_tsig_secret_alg="hmac-sha512",
            )
        )


def test_secret_file_errors_never_quote_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(ConfigError, match="cannot read"):
        parse_options(options(rfc2136_tsig_secret=None, rfc2136_tsig_secret_file=str(missing)))
    bad = tmp_path / "bad"
    bad.write_text("sup3r-secret-value!\n")
    with pytest.raises(ConfigError, match="not valid base64") as caught:
        parse_options(options(rfc2136_tsig_secret=None, rfc2136_tsig_secret_file=str(bad)))
    assert "sup3r" not in str(caught.value)
    with pytest.raises(ConfigError, match="not both"):
        parse_options(options(rfc2136_tsig_secret_file=str(bad)))


def test_secret_never_in_reprs() -> None:
    config = parse_options(options())
    provider = Rfc2136Provider(config)
    assert config.key is not None
    for text in (
        repr(config),
        str(config.key),
        repr(config.key),
        repr(provider),
        repr(config.key.dns_key()),
        str(config.key.dns_key()),
    ):
        assert SECRET not in text
        assert base64.b64encode(config.key.secret).decode() not in text
    assert "ddns-key" in repr(provider)


def test_providers_lists_rfc2136_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["providers"]) == 0
    out = capsys.readouterr().out
    assert "rfc2136" in out
    for flag in ("--rfc2136-host", "--rfc2136-tsig-secret-alg", "--rfc2136-insecure"):
        assert flag in out
