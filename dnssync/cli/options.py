"""The core settings: declared once, shared by ``plan``, ``apply`` and ``run``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dnssync.errors import ConfigError, InvalidNameError
from dnssync.model.names import DomainName
from dnssync.ownership.txt import DEFAULT_OWNER_ID, TxtRegistry
from dnssync.planning.planner import DomainFilter, PlanSettings, Policy
from dnssync.providers.base import OptionKind
from dnssync.providers.base import ProviderOption as Option
from dnssync.rules.desired import DEFAULT_CONTROLLER, DEFAULT_TTL, RuleSettings
from dnssync.sources.annotations import parse_ttl
from dnssync.sources.filters import ObjectFilter, parse_selector
from dnssync.sources.ingress_nginx import IngressNginxSettings

from .config import Value
from .traefik_options import TRAEFIK_OPTIONS, TRAEFIK_SOURCE, traefik_settings, with_traefik

SOURCE_KINDS = ("service", "gateway")
# Kinds that are on as soon as their own flags are given (naming them alone is not enough).
FLAG_SOURCE_KINDS = ("ingress-nginx",)

# What `dnssync providers` lists under "sources": kind, what it reads, the flags it needs.
SOURCE_DESCRIPTIONS: tuple[tuple[str, str], ...] = (
    ("service", "LoadBalancer Services (status addresses, ports for SRV)"),
    ("gateway", "Gateways and their HTTP/TLS/TCP/UDP routes"),
    (
        "ingress-nginx",
        "backends of ingress-nginx's TCP/UDP services ConfigMaps, on the controller "
        "Service's addresses; on with --ingress-nginx-controller and "
        "--ingress-nginx-tcp-services/--ingress-nginx-udp-services "
        "(docs/sources/ingress-nginx.md)",
    ),
    (
        TRAEFIK_SOURCE,
        "Traefik IngressRouteTCP/UDP, on the addresses and entry-point ports of Traefik's "
        "Services; on with --traefik-service (docs/sources/traefik.md)",
    ),
)
# Kinds --source accepts beyond the default ones.
EXTRA_SOURCE_KINDS = (TRAEFIK_SOURCE,)

SOURCE_OPTIONS: tuple[Option, ...] = (
    Option("manifests", "read objects from the YAML manifests under this directory"),
    Option("kubeconfig", "read objects from the cluster of this kubeconfig"),
    Option("context", "kubeconfig context to use"),
    Option(
        "source",
        "source kinds: service, gateway (gateway includes its routes), traefik; "
        "ingress-nginx is on when its flags are given, traefik too",
        OptionKind.LIST,
        default=SOURCE_KINDS,
    ),
    Option(
        "namespace", "only objects in these namespaces (repeatable)", OptionKind.LIST, default=()
    ),
    Option("label-selector", "only objects whose labels match this selector"),
    Option("annotation-filter", "only objects whose annotations match this selector"),
    Option(
        "ingress-nginx-controller",
        "NAMESPACE/NAME of ingress-nginx's LoadBalancer Service: its addresses and ports "
        "publish the backends of the TCP/UDP services ConfigMaps",
    ),
    Option(
        "ingress-nginx-tcp-services",
        "NAMESPACE/NAME of ingress-nginx's --tcp-services-configmap",
    ),
    Option(
        "ingress-nginx-udp-services",
        "NAMESPACE/NAME of ingress-nginx's --udp-services-configmap",
    ),
    *TRAEFIK_OPTIONS,
)

CORE_OPTIONS: tuple[Option, ...] = (
    Option("provider", "the DNS provider (see `dnssync providers`)"),
    Option("owner-id", "owner id written in ownership TXT records", default=DEFAULT_OWNER_ID),
    Option("txt-prefix", "prefix for ownership TXT names; may contain %{record_type}", default=""),
    Option("txt-suffix", "suffix for ownership TXT names; may contain %{record_type}", default=""),
    Option(
        "txt-wildcard-replacement",
        "in the ownership TXT name of a wildcard record, this label instead of '*' "
        "(for providers that refuse '*' there; as ExternalDNS's flag)",
        default="",
    ),
    Option(
        "policy",
        "sync, upsert-only or create-only",
        default="sync",
        choices=tuple(p.value for p in Policy),
    ),
    Option(
        "domain", "manage only names under this domain (repeatable)", OptionKind.LIST, default=()
    ),
    Option(
        "exclude-domain",
        "never manage names under this domain (repeatable)",
        OptionKind.LIST,
        default=(),
    ),
    Option("default-ttl", "TTL of records without a ttl annotation", default="300"),
    Option(
        "controller",
        "objects whose controller annotation names another are ignored",
        default=DEFAULT_CONTROLLER,
    ),
    Option(
        "max-change-percent",
        "refuse plans updating or deleting more than this % of owned records",
        OptionKind.INT,
        default=30,
    ),
    Option("force", "apply even an unsafe plan", OptionKind.BOOL, default=False),
    Option("log-format", "text or json", default="text", choices=("text", "json")),
    Option(
        "log-level",
        "debug, info, warning or error (default: info for run, warning for plan and apply)",
        default=None,
        choices=("debug", "info", "warning", "error"),
    ),
)


@dataclass(frozen=True, slots=True)
class CoreSettings:
    provider: str | None
    rules: RuleSettings
    plan: PlanSettings
    manifests: Path | None
    kubeconfig: str | None
    context: str | None
    sources: tuple[str, ...]
    log_format: str
    log_level: str | None  # None: the command's own default


def _names(values: Value, flag: str) -> tuple[DomainName, ...]:
    assert isinstance(values, tuple)
    try:
        return tuple(DomainName.parse_hostname(v) for v in values)
    except InvalidNameError as exc:
        raise ConfigError(f"--{flag}: {exc}") from None


def _str(values: Mapping[str, Value], key: str) -> str:
    value = values.get(key)
    return value if isinstance(value, str) else ""


def core_settings(values: Mapping[str, Value]) -> CoreSettings:
    try:
        ttl = parse_ttl(_str(values, "default_ttl"))
    except ValueError as exc:
        raise ConfigError(f"--default-ttl: {exc}") from None
    selectors = {}
    for key in ("label_selector", "annotation_filter"):
        text = _str(values, key)
        try:
            selectors[key] = parse_selector(text) if text else None
        except ValueError as exc:
            raise ConfigError(f"--{key.replace('_', '-')}: {exc}") from None
    namespaces = values.get("namespace") or ()
    assert isinstance(namespaces, tuple)
    sources = values.get("source") or SOURCE_KINDS
    assert isinstance(sources, tuple)
    bad = sorted(
        set(sources) - set(SOURCE_KINDS) - set(FLAG_SOURCE_KINDS) - set(EXTRA_SOURCE_KINDS)
    )
    if bad:
        raise ConfigError(f"--source: unknown source(s) {', '.join(bad)}")
    try:
        ingress_nginx = IngressNginxSettings.parse(
            _str(values, "ingress_nginx_controller"),
            _str(values, "ingress_nginx_tcp_services"),
            _str(values, "ingress_nginx_udp_services"),
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if "ingress-nginx" in sources and not ingress_nginx.enabled:
        raise ConfigError(
            "--source ingress-nginx needs --ingress-nginx-controller and "
            "--ingress-nginx-tcp-services and/or --ingress-nginx-udp-services"
        )
    if ingress_nginx.enabled and "ingress-nginx" not in sources:
        sources = (*sources, "ingress-nginx")
    percent = values.get("max_change_percent")
    assert isinstance(percent, int)
    if not 0 <= percent <= 100:
        raise ConfigError("--max-change-percent must be within 0..100")
    traefik = traefik_settings(values)
    sources = with_traefik(sources, traefik)
    rules = RuleSettings(
        controller=_str(values, "controller") or DEFAULT_CONTROLLER,
        default_ttl=ttl or DEFAULT_TTL,
        object_filter=ObjectFilter(
            namespaces, selectors["label_selector"], selectors["annotation_filter"]
        ),
        ingress_nginx=ingress_nginx,
        traefik=traefik,
    )
    owner_id = _str(values, "owner_id") or DEFAULT_OWNER_ID
    _check_owner_id(owner_id)
    plan = PlanSettings(
        registry=TxtRegistry(
            owner_id,
            _str(values, "txt_prefix"),
            _str(values, "txt_suffix"),
            _str(values, "txt_wildcard_replacement"),
        ),
        policy=Policy(_str(values, "policy") or "sync"),
        max_change_percent=float(percent),
        force=bool(values.get("force")),
        domain_filter=DomainFilter(
            _names(values.get("domain") or (), "domain"),
            _names(values.get("exclude_domain") or (), "exclude-domain"),
        ),
    )
    manifests = _str(values, "manifests")
    return CoreSettings(
        provider=_str(values, "provider") or None,
        rules=rules,
        plan=plan,
        manifests=Path(manifests) if manifests else None,
        kubeconfig=_str(values, "kubeconfig") or None,
        context=_str(values, "context") or None,
        sources=sources,
        log_format=_str(values, "log_format") or "text",
        log_level=_str(values, "log_level") or None,
    )


MAX_OWNER_ID = 128


def _check_owner_id(owner_id: str) -> None:
    """Its characters are checked by TxtRegistry; its length here, since every ownership
    TXT string (at most 255 bytes) carries it beside the resource name."""
    if len(owner_id) > MAX_OWNER_ID:
        raise ConfigError(
            f"--owner-id is {len(owner_id)} characters long; at most {MAX_OWNER_ID} fit in "
            "an ownership TXT record beside the resource name"
        )


def provider_values(options: Sequence[Option], values: Mapping[str, Value]) -> dict[str, Value]:
    return {o.dest: values.get(o.dest, o.default) for o in options}
