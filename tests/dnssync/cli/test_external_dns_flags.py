"""ExternalDNS's flag names (design section 8, docs/migration-from-external-dns.md).

The aliases work as flags, ``DNSSYNC_<ALIAS>`` variables and config file keys; ExternalDNS's
``--source`` names map to ours; an ExternalDNS flag dnssync does not support is refused
by name, with exit 1 and no traceback, wherever it is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dnssync.cli.external_dns import BOOLEAN_FLAGS, VALUED_FLAGS
from dnssync.cli.main import main
from dnssync.cli.options import EXTERNAL_DNS_SOURCES, source_kinds

REPO = Path(__file__).resolve().parents[3]
INMEMORY = ("--provider", "inmemory", "--zone", "example.com", "--zone", "example.org")

INGRESS_AND_SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: web
  annotations: {external-dns.alpha.kubernetes.io/hostname: api.example.com}
spec: {type: LoadBalancer, ports: [{port: 443}]}
status: {loadBalancer: {ingress: [{ip: 192.0.2.10}]}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: web
  labels: {team: shop}
spec:
  ingressClassName: public
  rules: [{host: shop.example.com}]
status: {loadBalancer: {ingress: [{ip: 192.0.2.20}]}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: internal
  namespace: web
  labels: {team: ops}
spec:
  ingressClassName: internal
  rules: [{host: ops.example.org}]
status: {loadBalancer: {ingress: [{ip: 192.0.2.30}]}}
"""


@pytest.fixture
def manifests(tmp_path: Path) -> str:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "objects.yaml").write_text(INGRESS_AND_SERVICE)
    return str(folder)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


def plan(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, "plan", "--output", "json", *INMEMORY, *argv)
    assert code in (0, 2), err
    document: dict[str, Any] = json.loads(out)
    return document


def names(document: dict[str, Any], rtype: str = "A") -> set[str]:
    return {c["name"] for c in document["changes"] if c["type"] == rtype}


def owners(document: dict[str, Any]) -> set[str]:
    return {
        value.split("external-dns/owner=")[1].split(",")[0]
        for change in document["changes"]
        if change["type"] == "TXT"
        for value in change["values"]
    }


# --------------------------------------------------------------------------- aliases


def test_flag_aliases(capsys: pytest.CaptureFixture[str], manifests: str) -> None:
    document = plan(
        capsys,
        "--manifests",
        manifests,
        "--txt-owner-id=edns",
        "--domain-filter=example.com",
        "--label-filter=team=shop",
        "--source=service",
        "--source=ingress",
        "--registry=txt",
    )
    assert owners(document) == {"edns"}
    assert names(document) == {"shop.example.com."}  # the Service has no team label


def test_exclude_domains_alias(capsys: pytest.CaptureFixture[str], manifests: str) -> None:
    document = plan(capsys, "--manifests", manifests, "--exclude-domains", "example.org")
    assert names(document) == {"api.example.com.", "shop.example.com."}


def test_env_aliases(
    capsys: pytest.CaptureFixture[str], manifests: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DNSSYNC_TXT_OWNER_ID", "from-env")
    monkeypatch.setenv("DNSSYNC_DOMAIN_FILTER", "example.org")
    document = plan(capsys, "--manifests", manifests)
    assert owners(document) == {"from-env"}
    assert names(document) == {"ops.example.org."}


def test_config_file_aliases(
    capsys: pytest.CaptureFixture[str], manifests: str, tmp_path: Path
) -> None:
    config = tmp_path / "dnssync.yaml"
    config.write_text("txt-owner-id: from-file\nlabel-filter: team=ops\n")
    document = plan(capsys, "--manifests", manifests, "--config", str(config))
    assert owners(document) == {"from-file"}
    assert names(document) == {"ops.example.org."}


def test_a_flag_wins_over_an_alias_in_the_environment(
    capsys: pytest.CaptureFixture[str], manifests: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DNSSYNC_TXT_OWNER_ID", "from-env")
    document = plan(capsys, "--manifests", manifests, "--owner-id", "from-flag")
    assert owners(document) == {"from-flag"}


def test_a_setting_and_its_alias_disagreeing_is_an_error(
    capsys: pytest.CaptureFixture[str], manifests: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DNSSYNC_OWNER_ID", "one")
    monkeypatch.setenv("DNSSYNC_TXT_OWNER_ID", "two")
    code, out, err = run(capsys, "plan", *INMEMORY, "--manifests", manifests)
    assert code == 1 and out == ""
    assert "DNSSYNC_OWNER_ID and DNSSYNC_TXT_OWNER_ID are the same setting" in err
    assert "Traceback" not in err


def test_same_value_under_both_names_is_fine(
    capsys: pytest.CaptureFixture[str], manifests: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DNSSYNC_OWNER_ID", "same")
    monkeypatch.setenv("DNSSYNC_TXT_OWNER_ID", "same")
    assert owners(plan(capsys, "--manifests", manifests)) == {"same"}


def test_ingress_class(capsys: pytest.CaptureFixture[str], manifests: str) -> None:
    document = plan(capsys, "--manifests", manifests, "--ingress-class", "internal")
    assert names(document) == {"api.example.com.", "ops.example.org."}


def test_ingress_class_with_a_class_annotation_filter_is_an_error(
    capsys: pytest.CaptureFixture[str], manifests: str
) -> None:
    code, _out, err = run(
        capsys,
        "plan",
        *INMEMORY,
        "--manifests",
        manifests,
        "--ingress-class=public",
        "--annotation-filter=kubernetes.io/ingress.class=public",
    )
    assert code == 1
    assert "--ingress-class and an --annotation-filter on kubernetes.io/ingress.class" in err


# --------------------------------------------------------------------------- sources


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (("service",), ("service",)),
        (("ingress", "service"), ("ingress", "service")),
        (("gateway-httproute", "gateway-tcproute"), ("gateway",)),
        (("service", "gateway-udproute", "gateway-tlsroute", "gateway"), ("service", "gateway")),
    ],
)
def test_external_dns_sources_map_to_ours(
    given: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert source_kinds(given) == expected


def test_every_mapped_source_is_one_of_ours() -> None:
    for edns, ours in EXTERNAL_DNS_SOURCES.items():
        assert source_kinds((edns,)) == (ours,)


def test_a_source_we_do_not_read_is_named(
    capsys: pytest.CaptureFixture[str], manifests: str
) -> None:
    code, _out, err = run(
        capsys, "plan", *INMEMORY, "--manifests", manifests, "--source=service,istio-gateway"
    )
    assert code == 1
    assert "--source: istio-gateway: not a source dnssync reads" in err


def test_manifests_follow_the_ingress_source(
    capsys: pytest.CaptureFixture[str], manifests: str
) -> None:
    assert names(plan(capsys, "--manifests", manifests, "--source", "service")) == {
        "api.example.com."
    }
    assert names(plan(capsys, "--manifests", manifests)) == {
        "api.example.com.",
        "shop.example.com.",
        "ops.example.org.",
    }


# --------------------------------------------------------------------------- unsupported


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--once"], ["--once (run `dnssync apply --yes` for one pass)"]),
        (["--no-rfc2136-use-tls"], ["--rfc2136-use-tls"]),
        (["--rfc2136-min-ttl=30s"], ["--rfc2136-min-ttl"]),
        (["--min-event-sync-interval", "5s"], ["--min-event-sync-interval"]),
        (
            ["--fqdn-template", "{{.Name}}.example.com", "--dry-run"],
            ["--fqdn-template", "--dry-run (run `dnssync plan`)"],
        ),
    ],
)
def test_unsupported_external_dns_flags_are_named(
    capsys: pytest.CaptureFixture[str], manifests: str, args: list[str], named: list[str]
) -> None:
    for command in ("plan", "run"):
        code, out, err = run(capsys, command, *INMEMORY, "--manifests", manifests, *args)
        assert (code, out) == (1, "")
        assert "ExternalDNS flag(s) that dnssync does not support: " + ", ".join(named) in err
        assert "docs/migration-from-external-dns.md" in err
        # The values of those flags are neither shown nor counted as stray arguments.
        assert "unexpected argument" not in err and "5s" not in err
        assert "Traceback" not in err and "unrecognized" not in err


def test_an_unsupported_flag_beside_a_typo(
    capsys: pytest.CaptureFixture[str], manifests: str
) -> None:
    code, _out, err = run(
        capsys, "plan", *INMEMORY, "--manifests", manifests, "--once", "--txt-ownr-id=x"
    )
    assert code == 1
    assert "ExternalDNS flag(s) that dnssync does not support: --once" in err
    assert "unrecognized option(s) --txt-ownr-id (did you mean --txt-owner-id?)" in err


def test_unsupported_settings_in_the_environment_are_named(
    capsys: pytest.CaptureFixture[str], manifests: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DNSSYNC_TXT_CACHE_INTERVAL", "1h")
    code, _out, err = run(capsys, "plan", *INMEMORY, "--manifests", manifests)
    assert code == 1
    assert "DNSSYNC_TXT_CACHE_INTERVAL: ExternalDNS setting(s) that dnssync does not" in err


def test_unsupported_settings_in_the_config_file_are_named(
    capsys: pytest.CaptureFixture[str], manifests: str, tmp_path: Path
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("txt-owner-id: x\nmanaged-record-types: [A, CNAME]\n")
    code, _out, err = run(
        capsys, "plan", *INMEMORY, "--manifests", manifests, "--config", str(config)
    )
    assert code == 1
    assert "ExternalDNS setting(s) that dnssync does not support: managed-record-types" in err


def test_another_registry_is_refused(capsys: pytest.CaptureFixture[str], manifests: str) -> None:
    code, _out, err = run(capsys, "plan", *INMEMORY, "--manifests", manifests, "--registry=noop")
    assert code == 1
    assert "--registry" in err and "txt" in err and "Traceback" not in err


def test_supported_flags_are_not_in_the_unsupported_lists() -> None:
    """The lists are ExternalDNS's flags as published; every name of ours that is also
    ExternalDNS's is accepted, so none of them may ever be reported as unsupported."""
    from dnssync.cli.main import all_provider_options, provider_classes, run_options
    from dnssync.cli.options import CORE_OPTIONS, SOURCE_OPTIONS
    from dnssync.cli.parser import build_parser, unknown_arguments

    options = [*SOURCE_OPTIONS, *CORE_OPTIONS, *all_provider_options(provider_classes())]
    ours = {name for o in (*options, *run_options()) for name in o.names}
    shared = ours & (VALUED_FLAGS | BOOLEAN_FLAGS)
    assert {"txt-owner-id", "domain-filter", "exclude-domains", "label-filter"} <= shared
    assert {"rfc2136-host", "rfc2136-tsig-secret", "rfc2136-axfr", "interval", "source"} <= shared
    parser = build_parser(all_provider_options(provider_classes()), run_options())
    for name in shared:
        assert "ExternalDNS" not in unknown_arguments([f"--{name}=x"], parser)


@pytest.mark.parametrize(
    ("given", "level"),
    [("trace", "debug"), ("fatal", "error"), ("panic", "error"), ("info", "info")],
)
def test_external_dns_log_levels(given: str, level: str) -> None:
    from dnssync.cli.options import CORE_OPTIONS, SOURCE_OPTIONS, core_settings

    values: dict[str, Any] = {o.dest: o.default for o in (*SOURCE_OPTIONS, *CORE_OPTIONS)}
    values["log_level"] = given
    assert core_settings(values).log_level == level


def test_the_aws_provider_is_route53() -> None:
    from dnssync.cli.options import CORE_OPTIONS, SOURCE_OPTIONS, core_settings

    values: dict[str, Any] = {o.dest: o.default for o in (*SOURCE_OPTIONS, *CORE_OPTIONS)}
    values["provider"] = "aws"
    assert core_settings(values).provider == "route53"


def test_external_dns_environment_variables_are_named_never_shown(
    capsys: pytest.CaptureFixture[str], manifests: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXTERNAL_DNS_TXT_OWNER_ID", "cluster-1")
    monkeypatch.setenv("EXTERNAL_DNS_RFC2136_TSIG_SECRET", "c2VjcmV0LXRzaWcta2V5")
    monkeypatch.setenv("EXTERNAL_DNS_NOT_A_FLAG", "ignored")  # not ExternalDNS's either
    code, out, err = run(capsys, "plan", *INMEMORY, "--manifests", manifests)
    assert (code, out) == (1, "")
    assert (
        "ExternalDNS environment variable(s) are set but dnssync does not read them: "
        "EXTERNAL_DNS_RFC2136_TSIG_SECRET (DNSSYNC_RFC2136_TSIG_SECRET), "
        "EXTERNAL_DNS_TXT_OWNER_ID (DNSSYNC_TXT_OWNER_ID)"
    ) in err
    assert "NOT_A_FLAG" not in err
    assert "c2VjcmV0LXRzaWcta2V5" not in err and "cluster-1" not in err


def test_the_leading_dot_domain_filter_is_refused_clearly(
    capsys: pytest.CaptureFixture[str], manifests: str
) -> None:
    code, _out, err = run(
        capsys, "plan", *INMEMORY, "--manifests", manifests, "--domain-filter=.example.com"
    )
    assert code == 1
    assert "ExternalDNS's leading-dot form (subdomains only) is not supported" in err


def test_a_run_flag_given_to_plan_says_which_command_takes_it(
    capsys: pytest.CaptureFixture[str], manifests: str
) -> None:
    """ExternalDNS's Deployment args on ``plan``: --interval belongs to ``run``."""
    code, _out, err = run(capsys, "plan", *INMEMORY, "--manifests", manifests, "--interval=1m")
    assert code == 1
    assert "--interval (only `dnssync run` takes it)" in err
