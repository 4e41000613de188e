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
from dnssync.rules.ingresses import IngressSettings
from dnssync.sources.annotations import parse_ttl
from dnssync.sources.filters import ObjectFilter, parse_selector
from dnssync.sources.ingress_nginx import IngressNginxSettings
from dnssync.sources.objects import LabelSelector
from dnssync.sources.projection import INGRESS_CLASS_ANNOTATION

from .config import Value
from .traefik_options import TRAEFIK_OPTIONS, TRAEFIK_SOURCE, traefik_settings, with_traefik

SOURCE_KINDS = ("service", "ingress", "gateway")
# Kinds that are on as soon as their own flags are given (naming them alone is not enough).
FLAG_SOURCE_KINDS = ("ingress-nginx",)

# What `dnssync providers` lists under "sources": kind, what it reads, the flags it needs.
SOURCE_DESCRIPTIONS: tuple[tuple[str, str], ...] = (
    ("service", "LoadBalancer Services (status addresses, ports for SRV)"),
    ("ingress", "Ingresses: rules and tls hosts, status addresses (docs/sources/ingress.md)"),
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
# ExternalDNS's provider names that differ from ours.
EXTERNAL_DNS_PROVIDERS = {"aws": "route53"}
# ExternalDNS's (logrus) levels that Python's logging does not have.
EXTERNAL_DNS_LOG_LEVELS = {"trace": "debug", "fatal": "error", "panic": "error"}
# ExternalDNS's --source values that name one of ours (docs/migration-from-external-dns.md).
# "gateway" reads every route kind, so each gateway-*route maps to all of them.
EXTERNAL_DNS_SOURCES = {
    "gateway-httproute": "gateway",
    "gateway-tlsroute": "gateway",
    "gateway-tcproute": "gateway",
    "gateway-udproute": "gateway",
    "traefik-proxy": "traefik",
}

SOURCE_OPTIONS: tuple[Option, ...] = (
    Option("manifests", "read objects from the YAML manifests under this directory"),
    Option("kubeconfig", "read objects from the cluster of this kubeconfig"),
    Option("context", "kubeconfig context to use"),
    Option(
        "source",
        "source kinds: service, ingress, gateway (gateway includes its routes), traefik; "
        "ingress-nginx is on when its flags are given, traefik too; ExternalDNS's "
        "gateway-httproute, gateway-tlsroute, gateway-tcproute and gateway-udproute mean "
        "gateway, traefik-proxy means traefik",
        OptionKind.LIST,
        default=SOURCE_KINDS,
    ),
    Option(
        "namespace", "only objects in these namespaces (repeatable)", OptionKind.LIST, default=()
    ),
    Option(
        "label-selector",
        "only objects whose labels match this selector",
        aliases=("label-filter",),
    ),
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
    Option(
        "ingress-class",
        "only Ingresses of these classes (spec.ingressClassName, else the "
        "kubernetes.io/ingress.class annotation; repeatable)",
        OptionKind.LIST,
        default=(),
    ),
    Option(
        "ignore-ingress-rules-spec",
        "take no Ingress names from spec.rules[].host",
        OptionKind.BOOL,
        default=False,
    ),
    Option(
        "ignore-ingress-tls-spec",
        "take no Ingress names from spec.tls[].hosts",
        OptionKind.BOOL,
        default=False,
    ),
)

CORE_OPTIONS: tuple[Option, ...] = (
    Option(
        "provider", "the DNS provider (see `dnssync providers`); ExternalDNS's aws means route53"
    ),
    Option(
        "owner-id",
        "owner id written in ownership TXT records",
        default=DEFAULT_OWNER_ID,
        aliases=("txt-owner-id",),
    ),
    Option(
        "registry",
        "where ownership is recorded: txt (ExternalDNS's TXT registry) is the only one",
        default="txt",
        choices=("txt",),
    ),
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
        "domain",
        "manage only names under this domain (repeatable)",
        OptionKind.LIST,
        default=(),
        aliases=("domain-filter",),
    ),
    Option(
        "exclude-domain",
        "never manage names under this domain (repeatable)",
        OptionKind.LIST,
        default=(),
        aliases=("exclude-domains",),
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
        "debug, info, warning or error (default: info for run, warning for plan and apply); "
        "ExternalDNS's trace, fatal and panic mean debug, error and error",
        default=None,
        choices=("debug", "info", "warning", "error", "trace", "fatal", "panic"),
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
    for value in values:
        if value.startswith(".") and value != ".":
            raise ConfigError(
                f"--{flag}: {value!r}: ExternalDNS's leading-dot form (subdomains only) is not "
                f"supported; give the domain ({value[1:]!r}): it covers the domain and its "
                "subdomains"
            )
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
    raw_sources = values.get("source") or SOURCE_KINDS
    assert isinstance(raw_sources, tuple)
    sources = source_kinds(raw_sources)
    ingress_classes = values.get("ingress_class") or ()
    assert isinstance(ingress_classes, tuple)
    _check_ingress_class(ingress_classes, selectors["annotation_filter"])
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
            namespaces,
            selectors["label_selector"],
            selectors["annotation_filter"],
            ingress_classes=ingress_classes,
        ),
        ingress=IngressSettings(
            ignore_rules=bool(values.get("ignore_ingress_rules_spec")),
            ignore_tls=bool(values.get("ignore_ingress_tls_spec")),
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
        provider=EXTERNAL_DNS_PROVIDERS.get(_str(values, "provider"), _str(values, "provider"))
        or None,
        rules=rules,
        plan=plan,
        manifests=Path(manifests) if manifests else None,
        kubeconfig=_str(values, "kubeconfig") or None,
        context=_str(values, "context") or None,
        sources=sources,
        log_format=_str(values, "log_format") or "text",
        log_level=EXTERNAL_DNS_LOG_LEVELS.get(_str(values, "log_level"), _str(values, "log_level"))
        or None,
    )


def source_kinds(given: Sequence[str]) -> tuple[str, ...]:
    """Our source kinds for ``--source`` values, ExternalDNS's names mapped (in order, once
    each); a value that names nothing we read is an error naming it."""
    kinds: dict[str, None] = {}
    unknown: list[str] = []
    for value in given:
        kind = EXTERNAL_DNS_SOURCES.get(value, value)
        if kind in (*SOURCE_KINDS, *FLAG_SOURCE_KINDS, *EXTRA_SOURCE_KINDS):
            kinds.setdefault(kind, None)
        else:
            unknown.append(value)
    if unknown:
        raise ConfigError(
            f"--source: {', '.join(unknown)}: not a source dnssync reads (sources: "
            f"{', '.join((*SOURCE_KINDS, *FLAG_SOURCE_KINDS, *EXTRA_SOURCE_KINDS))}; ExternalDNS's "
            f"{', '.join(sorted(EXTERNAL_DNS_SOURCES))} are accepted too: "
            "docs/migration-from-external-dns.md)"
        )
    return tuple(kinds)


def _check_ingress_class(classes: tuple[str, ...], annotation_filter: object) -> None:
    """As ExternalDNS: the class is chosen one way, not two that could disagree."""
    if not classes or annotation_filter is None:
        return
    assert isinstance(annotation_filter, LabelSelector)
    keys = {k for k, _ in annotation_filter.match_labels}
    keys |= {k for k, _, _ in annotation_filter.match_expressions}
    if INGRESS_CLASS_ANNOTATION in keys:
        raise ConfigError(
            f"--ingress-class and an --annotation-filter on {INGRESS_CLASS_ANNOTATION} "
            "both select Ingress classes: use --ingress-class only"
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
