"""The chart's flags and env vars are the daemon's own: parsed by dnssync's option code.

Every ``args`` entry the chart renders is parsed with the same declarations the CLI uses
(SOURCE_OPTIONS, CORE_OPTIONS, the daemon's RUN_OPTIONS and the chosen provider's
``options``), then resolved and validated like ``dnssync run`` does. A flag the daemon
does not know, a value outside its choices or of the wrong kind fails here, not in a
crash-looping pod.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from dnssync.cli.config import add_to_parser, resolve
from dnssync.cli.options import CORE_OPTIONS, SOURCE_OPTIONS, core_settings
from dnssync.daemon.options import RUN_OPTIONS
from dnssync.providers import registry
from dnssync.providers.base import ProviderOption
from tests.charts.helmchart import Helm, Rendered, ci_values_files

CI_FILES = ci_values_files()
CI_IDS = [p.name.removesuffix("-values.yaml") for p in CI_FILES]


class _ParseError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _ParseError(message)


def _options(provider: str) -> list[ProviderOption]:
    return [*SOURCE_OPTIONS, *CORE_OPTIONS, *RUN_OPTIONS, *registry.load(provider).options]


def _parse(rendered: Rendered) -> tuple[argparse.Namespace, list[ProviderOption]]:
    args = rendered.args
    assert args[0] == "run"
    provider = next(a.split("=", 1)[1] for a in args if a.startswith("--provider="))
    options = _options(provider)
    parser = _Parser(prog="dnssync run")
    add_to_parser(parser, options)
    try:
        namespace = parser.parse_args(args[1:])
    except _ParseError as exc:
        pytest.fail(f"dnssync run would reject the chart's flags: {exc}\n{args}")
    return namespace, options


@pytest.mark.parametrize("values", [None, *CI_FILES], ids=["defaults", *CI_IDS])
def test_rendered_flags_parse_and_resolve(helm: Helm, values: Path | None) -> None:
    rendered = helm.render([values] if values else [])
    namespace, options = _parse(rendered)
    # env holds only references here (secrets, downward API); their names must be options
    env_names = {o.env_var for o in options}
    for name in rendered.env:
        if name.startswith("DNSSYNC_"):
            assert name in env_names, f"{name} is not a dnssync setting"
    resolved = resolve(options, namespace, {}, {})
    core = core_settings(resolved)  # raises ConfigError on a bad value (TTL, selector, ...)
    assert core.provider == rendered.args[1].split("=", 1)[1]
    assert core.manifests is None and core.kubeconfig is None  # in-cluster config
    # every flag was given on purpose: none was silently dropped by the parser
    given = {a.split("=", 1)[0].removeprefix("--").removeprefix("no-") for a in rendered.args[1:]}
    known = {o.flag for o in options}
    assert given <= known, given - known


@pytest.mark.parametrize(
    "settings",
    [
        {"leaderElection.enabled": "true", "events": "false", "force": "true"},
        {"namespaces": "{a,b}", "labelSelector": "team=dns", "annotationFilter": "x=y"},
        {"ingressClasses": "{public,dmz}", "sources": "{ingress}"},
        {"defaultTTL": "1h30m", "txtSuffix": "-%{record_type}", "controllerName": "other"},
        {"provider.name": "route53", "provider.route53.evaluateTargetHealth": "true"},
        {"provider.name": "google"},
        {"provider.name": "google", "txtWildcardReplacement": "wildcard"},
        {
            "provider.name": "rfc2136",
            "provider.rfc2136.host": "192.0.2.53",
            "provider.rfc2136.zones": "{example.com}",
            "provider.rfc2136.insecure": "true",
        },
    ],
)
def test_flag_variants_parse_and_resolve(helm: Helm, settings: dict[str, str]) -> None:
    rendered = helm.render(set_values=settings)
    namespace, options = _parse(rendered)
    core_settings(resolve(options, namespace, {}, {}))


def test_ingress_classes_reach_the_filter(helm: Helm) -> None:
    rendered = helm.render(set_values={"ingressClasses": "{public,dmz}"})
    namespace, options = _parse(rendered)
    core = core_settings(resolve(options, namespace, {}, {}))
    assert core.rules.object_filter.ingress_classes == ("public", "dmz")
    assert core.sources == ("service", "ingress", "gateway")


def test_the_tsig_secret_env_var_is_the_daemons() -> None:
    options = _options("rfc2136")
    secret = next(o for o in options if o.flag == "rfc2136-tsig-secret")
    assert secret.env_var == "DNSSYNC_RFC2136_TSIG_SECRET" and secret.secret
    identity = next(o for o in RUN_OPTIONS if o.flag == "leader-election-identity")
    assert identity.env_var == "DNSSYNC_LEADER_ELECTION_IDENTITY"
