"""The chart, rendered by the real helm: lint, Kubernetes schema, RBAC, pod hardening, flags."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.charts.helmchart import (
    CHART_DIR,
    KUBE_VERSIONS,
    NAMESPACE,
    RELEASE,
    Helm,
    HelmError,
    Rendered,
    ci_values_files,
    flatten_values,
)
from tools.helm import values_table

CI_FILES = ci_values_files()
CI_IDS = [p.name.removesuffix("-values.yaml") for p in CI_FILES]
FULLNAME = RELEASE  # the release name contains the chart name
GW = "gateway.networking.k8s.io"
ROUTES = ["gateways", "listenersets", "httproutes", "tlsroutes", "tcproutes", "udproutes"]

SERVICE_RULE = {"apiGroups": [""], "resources": ["services"], "verbs": ["get", "list", "watch"]}
GATEWAY_RULE = {"apiGroups": [GW], "resources": ROUTES, "verbs": ["get", "list", "watch"]}
NAMESPACE_RULE = {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list", "watch"]}
INGRESS_RULE = {
    "apiGroups": ["networking.k8s.io"],
    "resources": ["ingresses"],
    "verbs": ["get", "list", "watch"],
}
EVENTS_RULE = {
    "apiGroups": ["", "events.k8s.io"],
    "resources": ["events"],
    "verbs": ["create", "patch"],
}


def ci_file(name: str) -> Path:
    path = CHART_DIR / "ci" / f"{name}-values.yaml"
    assert path.is_file()
    return path


def test_every_provider_and_feature_has_a_ci_values_file() -> None:
    assert set(CI_IDS) == {
        "google",
        "ingress-nginx",
        "inmemory",
        "leader-election",
        "rfc2136",
        "route53",
        "servicemonitor",
        "webhook",
        "zonefile",
    }


# --------------------------------------------------------------------------- lint


@pytest.mark.parametrize("values", [None, *CI_FILES], ids=["defaults", *CI_IDS])
def test_helm_lint_strict(helm: Helm, values: Path | None) -> None:
    args = ["lint", "--strict", str(CHART_DIR), "--namespace", NAMESPACE]
    if values is not None:
        args += ["--values", str(values)]
    out = helm.run(*args)
    assert "1 chart(s) linted, 0 chart(s) failed" in out
    assert "[WARNING]" not in out and "[ERROR]" not in out


# --------------------------------------------------------------------------- schema


def _validate(doc: dict[str, Any], kube_version: str) -> None:
    if doc["apiVersion"] == "monitoring.coreos.com/v1":
        _check_service_monitor(doc)
        return
    kubernetes_validate.validate(doc, kube_version, strict=True)


def _check_service_monitor(doc: dict[str, Any]) -> None:
    """No bundled schema for the Prometheus Operator CRD: check the fields we write."""
    assert doc["kind"] == "ServiceMonitor"
    assert set(doc) == {"apiVersion", "kind", "metadata", "spec"}
    assert set(doc["spec"]) == {"namespaceSelector", "selector", "endpoints"}
    for endpoint in doc["spec"]["endpoints"]:
        assert set(endpoint) <= {
            "port",
            "path",
            "interval",
            "scrapeTimeout",
            "honorLabels",
            "relabelings",
            "metricRelabelings",
        }
        assert re.fullmatch(r"[0-9]+(ms|s|m|h)", endpoint["interval"])


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("values", [None, *CI_FILES], ids=["defaults", *CI_IDS])
def test_render_is_valid_kubernetes(helm: Helm, values: Path | None, kube_version: str) -> None:
    rendered = helm.render([values] if values else [], kube_version=kube_version)
    assert rendered.docs
    for doc in rendered:
        _validate(doc, kube_version)
        name = doc["metadata"]["name"]
        assert len(name) <= 63 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name)
        if doc["kind"] not in ("ClusterRole", "ClusterRoleBinding"):
            # ingress-nginx's ConfigMaps are read through a Role in their own namespace.
            elsewhere = doc["kind"] in ("Role", "RoleBinding") and name.endswith("-ingress-nginx")
            assert doc["metadata"]["namespace"] == (
                "ingress-nginx" if elsewhere else NAMESPACE
            )


def test_strict_validation_catches_a_bad_manifest() -> None:
    """Guard against a validator that accepts anything."""
    bad = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"ports": [{"port": "not-a-number"}], "unknownField": 1},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBE_VERSIONS[0], strict=True)


def test_default_resources(helm: Helm) -> None:
    rendered = helm.render()
    assert rendered.kinds() == [
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "Service",
        "ServiceAccount",
    ]


# --------------------------------------------------------------------------- values.schema.json


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("unknownTopLevel=1", "additional properties 'unknownTopLevel' not allowed"),
        ("provider.name=powerdns", "/provider/name"),
        ("provider.route53.unknown=1", "additional properties 'unknown' not allowed"),
        ("policy=delete-all", "/policy"),
        ("sources={istio-gateway}", "/sources/0"),
        ("defaultTTL=0", "/defaultTTL"),
        ("defaultTTL=five", "/defaultTTL"),
        ("interval=3600", "/interval"),
        ("maxChangePercent=101", "/maxChangePercent"),
        ("logLevel=trace", "/logLevel"),
        ("provider.rfc2136.port=70000", "/provider/rfc2136/port"),
        ("provider.route53.roleArn=dnssync", "/provider/route53/roleArn"),
        ("provider.rfc2136.tsigSecretAlg=hmac-sha999", "/provider/rfc2136/tsigSecretAlg"),
        ("ownerId=a\\,b", "/ownerId"),
        ("extraArgs={run}", "/extraArgs/0"),
        ("leaderElection.enabled=yes", "/leaderElection/enabled"),
    ],
)
def test_schema_rejects(helm: Helm, setting: str, message: str) -> None:
    key, value = setting.split("=", 1)
    with pytest.raises(HelmError) as info:
        helm.template(set_values={key: value})
    assert "values don't meet the specifications of the schema" in info.value.output
    assert message in info.value.output


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"provider.name": "rfc2136"}, "provider.rfc2136.host is required"),
        (
            {"provider.name": "rfc2136", "provider.rfc2136.host": "ns1"},
            "provider.rfc2136.zones must list at least one zone",
        ),
        (
            {
                "provider.name": "rfc2136",
                "provider.rfc2136.host": "ns1",
                "provider.rfc2136.zones": "{example.com}",
            },
            "needs provider.rfc2136.tsigKeyname and provider.rfc2136.tsigSecret.existingSecret",
        ),
        (
            {
                "provider.name": "rfc2136",
                "provider.rfc2136.host": "ns1",
                "provider.rfc2136.zones": "{example.com}",
                "provider.rfc2136.insecure": "true",
                "provider.rfc2136.tsigSecret.existingSecret": "tsig",
            },
            "exclude each other",
        ),
        ({"provider.zones": "null"}, "provider.zones must list at least one zone"),
        ({"metrics.serviceMonitor.enabled": "true", "metrics.service.enabled": "false"}, "needs"),
        (
            {"provider.name": "zonefile", "replicaCount": "2"},
            "needs provider.zonefile.existingClaim",
        ),
        ({"serviceAccount.create": "false"}, "serviceAccount.name is required"),
    ],
)
def test_template_refuses_incomplete_settings(
    helm: Helm, settings: dict[str, str], message: str
) -> None:
    with pytest.raises(HelmError) as info:
        helm.template(set_values=settings)
    assert message in info.value.output


def test_schema_and_values_agree() -> None:
    """Every key in values.yaml is in the schema, and every schema property in values.yaml."""
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())

    def walk(value: Any, node: dict[str, Any], path: str) -> None:
        if node.get("additionalProperties") is False:
            assert isinstance(value, dict), path
            props = set(node["properties"])
            assert set(value) == props - {"global"}, f"{path}: {set(value) ^ (props - {'global'})}"
            for key, sub in value.items():
                walk(sub, node["properties"][key], f"{path}.{key}")

    assert schema["additionalProperties"] is False
    walk(values, schema, "")


def test_readme_lists_every_value() -> None:
    values_path = CHART_DIR / "values.yaml"
    values = yaml.safe_load(values_path.read_text())
    readme = (CHART_DIR / "README.md").read_text()
    section = readme.split(values_table.START, 1)[1].split(values_table.END, 1)[0]
    # the README's table is the generated one (regenerate: see tools/helm/values_table.py)
    assert section.strip() == values_table.table(values_path).strip()
    listed = set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE))
    paths = set(flatten_values(values))
    assert paths - listed == set(), "values without a '# --' description in values.yaml"
    assert listed - paths == set(), "described keys that are not values"


# --------------------------------------------------------------------------- RBAC


def test_cluster_role_rules_exactly(helm: Helm) -> None:
    rendered = helm.render()
    role = rendered.one("ClusterRole")
    assert role["metadata"]["name"] == FULLNAME
    assert role["rules"] == [SERVICE_RULE, INGRESS_RULE, GATEWAY_RULE, NAMESPACE_RULE, EVENTS_RULE]
    assert set(role) == {"apiVersion", "kind", "metadata", "rules"}  # no aggregationRule
    binding = rendered.one("ClusterRoleBinding")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": FULLNAME,
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": FULLNAME, "namespace": NAMESPACE}
    ]
    # one replica, leader election off: no Lease permissions at all
    assert rendered.maybe("Role") is None and rendered.maybe("RoleBinding") is None


@pytest.mark.parametrize(
    ("settings", "rules"),
    [
        ({"sources": "{service}"}, [SERVICE_RULE, EVENTS_RULE]),
        ({"sources": "{gateway}"}, [GATEWAY_RULE, NAMESPACE_RULE, EVENTS_RULE]),
        ({"sources": "{service}", "events": "false"}, [SERVICE_RULE]),
        ({"sources": "{ingress}", "events": "false"}, [INGRESS_RULE]),
        ({"events": "false"}, [SERVICE_RULE, INGRESS_RULE, GATEWAY_RULE, NAMESPACE_RULE]),
    ],
)
def test_cluster_role_follows_sources_and_events(
    helm: Helm, settings: dict[str, str], rules: list[dict[str, Any]]
) -> None:
    assert helm.render(set_values=settings).one("ClusterRole")["rules"] == rules


def _no_wildcards(rules: list[dict[str, Any]]) -> None:
    for rule in rules:
        for field in ("apiGroups", "resources", "verbs", "resourceNames"):
            assert "*" not in rule.get(field, []), rule


@pytest.mark.parametrize("values", CI_FILES, ids=CI_IDS)
def test_rbac_never_grants_more(helm: Helm, values: Path) -> None:
    rendered = helm.render([values])
    for kind in ("ClusterRole", "Role"):
        for role in rendered.all(kind):
            _no_wildcards(role["rules"])
            for rule in role["rules"]:
                assert set(rule["verbs"]) <= {"get", "list", "watch", "create", "patch", "update"}
                assert "secrets" not in rule["resources"]
                assert not any("/" in r for r in rule["resources"]), "no subresources"


def test_leader_election_role_only_in_release_namespace(helm: Helm) -> None:
    rendered = helm.render([ci_file("leader-election")])
    role = rendered.one("Role")
    assert role["metadata"] == {
        "name": f"{FULLNAME}-leader-election",
        "namespace": NAMESPACE,
        "labels": role["metadata"]["labels"],
    }
    assert role["rules"] == [
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "resourceNames": ["dnssync-leader"],
            "verbs": ["get", "update"],
        },
    ]
    binding = rendered.one("RoleBinding")
    assert binding["metadata"]["namespace"] == NAMESPACE
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": f"{FULLNAME}-leader-election",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": FULLNAME, "namespace": NAMESPACE}
    ]
    # the ClusterRole is unchanged: Leases are never granted cluster-wide
    assert rendered.one("ClusterRole")["rules"] == [
        SERVICE_RULE,
        INGRESS_RULE,
        GATEWAY_RULE,
        NAMESPACE_RULE,
        EVENTS_RULE,
    ]


def test_rbac_can_be_left_out(helm: Helm) -> None:
    rendered = helm.render(set_values={"rbac.create": "false", "replicaCount": "2"})
    assert not {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"} & set(rendered.kinds())


# --------------------------------------------------------------------------- leader election


def test_leader_election_switches_on_with_replicas(helm: Helm) -> None:
    rendered = helm.render([ci_file("leader-election")], namespace="dns-ha")
    deployment = rendered.one("Deployment")
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["strategy"] == {"type": "RollingUpdate"}
    args = rendered.args
    assert "--leader-election" in args
    assert "--leader-election-namespace=dns-ha" in args
    assert "--leader-election-name=dnssync-leader" in args
    assert {"--lease-duration=20s", "--renew-deadline=15s", "--retry-period=3s"} <= set(args)
    identity = rendered.env["DNSSYNC_LEADER_ELECTION_IDENTITY"]
    assert identity["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert rendered.one("Role")["metadata"]["namespace"] == "dns-ha"


def test_leader_election_off_with_one_replica(helm: Helm) -> None:
    rendered = helm.render()
    assert "--no-leader-election" in rendered.args
    assert not any(a.startswith("--leader-election-") for a in rendered.args)
    # without a Lease, never two pods at once
    assert rendered.one("Deployment")["spec"]["strategy"] == {"type": "Recreate"}


def test_leader_election_forced_on_with_one_replica(helm: Helm) -> None:
    rendered = helm.render(set_values={"leaderElection.enabled": "true"})
    assert "--leader-election" in rendered.args
    assert f"--leader-election-name={FULLNAME}" in rendered.args
    assert rendered.one("Role")["rules"][1]["resourceNames"] == [FULLNAME]


# --------------------------------------------------------------------------- pod hardening

RESTRICTED_CONTAINER = {
    "runAsNonRoot": True,
    "runAsUser": 65532,
    "runAsGroup": 65532,
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


@pytest.mark.parametrize("values", [None, *CI_FILES], ids=["defaults", *CI_IDS])
def test_security_context(helm: Helm, values: Path | None) -> None:
    rendered = helm.render([values] if values else [])
    pod = rendered.pod_spec
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "fsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    container = rendered.container
    assert container["securityContext"] == RESTRICTED_CONTAINER
    assert "hostNetwork" not in pod and "hostPID" not in pod
    # read-only root: the only writable places are volumes
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["tmp"] == "/tmp"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["tmp"]["emptyDir"] == {"sizeLimit": "64Mi"}
    assert pod["serviceAccountName"] == FULLNAME
    # With a webhook sidecar the token is mounted into the dnssync container alone.
    sidecar = "webhook" in rendered.containers
    assert pod["automountServiceAccountToken"] is not sidecar
    assert ("kube-api-access" in mounts) is sidecar


@pytest.mark.parametrize("values", [None, *CI_FILES], ids=["defaults", *CI_IDS])
def test_probes_ports_and_resources(helm: Helm, values: Path | None) -> None:
    rendered = helm.render([values] if values else [])
    container = rendered.container
    port = container["ports"][0]
    assert port["name"] == "http-metrics" and port["protocol"] == "TCP"
    assert f"--metrics-address=0.0.0.0:{port['containerPort']}" in rendered.args
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http-metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http-metrics"}
    assert container["resources"]["requests"] == {"cpu": "50m", "memory": "96Mi"}
    assert container["resources"]["limits"] == {"memory": "256Mi"}
    service = rendered.one("Service")
    assert service["spec"]["ports"][0]["targetPort"] == "http-metrics"
    assert (
        service["spec"]["selector"] == rendered.one("Deployment")["spec"]["selector"]["matchLabels"]
    )


def test_service_monitor(helm: Helm) -> None:
    rendered = helm.render([ci_file("servicemonitor")])
    monitor = rendered.one("ServiceMonitor")
    service = rendered.one("Service")
    assert rendered.container["ports"][0]["containerPort"] == 9090
    assert service["spec"]["ports"] == [
        {"name": "http-metrics", "port": 8080, "targetPort": "http-metrics", "protocol": "TCP"}
    ]
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    endpoint = monitor["spec"]["endpoints"][0]
    assert endpoint["port"] == "http-metrics" and endpoint["path"] == "/metrics"
    assert endpoint["interval"] == "30s" and endpoint["scrapeTimeout"] == "5s"
    assert endpoint["metricRelabelings"][0]["action"] == "drop"
    assert helm.render().maybe("ServiceMonitor") is None


# --------------------------------------------------------------------------- flags and secrets


def _secret_ref(rendered: Rendered, name: str) -> dict[str, str]:
    env = rendered.env[name]
    assert "value" not in env, f"{name} must come from a Secret"
    ref: dict[str, str] = env["valueFrom"]["secretKeyRef"]
    return ref


def _no_secret_in_args(rendered: Rendered) -> None:
    """Secrets travel as env from Secrets, never as flags (visible in the pod spec)."""
    for arg in rendered.args:
        assert not arg.startswith(("--rfc2136-tsig-secret=", "--aws-secret", "--aws-access")), arg


def test_common_flags(helm: Helm) -> None:
    rendered = helm.render([ci_file("zonefile")])
    assert rendered.args == [
        "run",
        "--provider=zonefile",
        "--source=service",
        "--owner-id=ci-zonefile",
        "--txt-prefix=%{record_type}-dnssync.",
        "--policy=upsert-only",
        "--default-ttl=5m",
        "--max-change-percent=30",
        "--interval=1h",
        "--resync-jitter=30s",
        "--debounce=100ms",
        "--ready-periods=2",
        "--no-events",
        "--log-format=json",
        "--log-level=info",
        "--metrics-address=0.0.0.0:7979",
        "--no-leader-election",
        "--zone=example.com",
        "--zonefile-dir=/var/lib/dnssync/zones",
    ]
    pod = rendered.pod_spec
    zones = next(v for v in pod["volumes"] if v["name"] == "zones")
    assert zones == {"name": "zones", "persistentVolumeClaim": {"claimName": "dnssync-zones"}}
    mount = next(m for m in rendered.container["volumeMounts"] if m["name"] == "zones")
    assert mount["mountPath"] == "/var/lib/dnssync/zones"


def test_filters_and_extras(helm: Helm) -> None:
    rendered = helm.render(
        set_values={
            "namespaces": "{krb,web}",
            "labelSelector": "team=dns",
            "annotationFilter": "dnssync.io/enabled=true",
            "excludeDomains": "{internal.example.com}",
            "controllerName": "dnssync-b",
            "txtSuffix": "-own",
            "force": "true",
            "maxChangePercent": "50",
            "extraArgs": "{--log-level=debug}",
            "extraEnv[0].name": "DNSSYNC_CONFIG",
            "extraEnv[0].value": "/etc/dnssync/config.yaml",
        }
    )
    args = rendered.args
    for flag in (
        "--namespace=krb",
        "--namespace=web",
        "--label-selector=team=dns",
        "--annotation-filter=dnssync.io/enabled=true",
        "--exclude-domain=internal.example.com",
        "--controller=dnssync-b",
        "--txt-suffix=-own",
        "--force",
        "--max-change-percent=50",
    ):
        assert flag in args
    assert args[-1] == "--log-level=debug"  # extra args come last and win
    assert rendered.env["DNSSYNC_CONFIG"] == {
        "name": "DNSSYNC_CONFIG",
        "value": "/etc/dnssync/config.yaml",
    }


def test_inmemory_flags(helm: Helm) -> None:
    rendered = helm.render([ci_file("inmemory")])
    args = rendered.args
    assert args[:2] == ["run", "--provider=inmemory"]
    assert [a for a in args if a.startswith("--zone")] == [
        "--zone=example.com",
        "--zone=example.org",
    ]
    assert [a for a in args if a.startswith("--domain")] == [
        "--domain=example.com",
        "--domain=example.org",
    ]
    assert not any(a.startswith(("--rfc2136", "--aws", "--google")) for a in args)


def test_rfc2136_flags_and_tsig_secret(helm: Helm) -> None:
    rendered = helm.render([ci_file("rfc2136")])
    args = rendered.args
    assert [a for a in args if a.startswith("--rfc2136")] == [
        "--rfc2136-host=ns1.example.com",
        "--rfc2136-port=5353",
        "--rfc2136-zone=example.com",
        "--rfc2136-zone=2.0.192.in-addr.arpa",
        "--rfc2136-tsig-keyname=dnssync-key",
        "--rfc2136-tsig-secret-alg=hmac-sha512",
        "--rfc2136-tsig-axfr",
    ]
    assert "--domain=example.com" in args
    assert "--exclude-domain=internal.example.com" in args
    assert _secret_ref(rendered, "DNSSYNC_RFC2136_TSIG_SECRET") == {
        "name": "dnssync-tsig",
        "key": "secret",
    }
    _no_secret_in_args(rendered)
    assert not any(a.startswith("--zone=") for a in args)


def test_rfc2136_insecure(helm: Helm) -> None:
    rendered = helm.render(
        set_values={
            "provider.name": "rfc2136",
            "provider.rfc2136.host": "192.0.2.53",
            "provider.rfc2136.zones": "{example.com}",
            "provider.rfc2136.insecure": "true",
            "provider.rfc2136.tsigAxfr": "false",
        }
    )
    rfc = [a for a in rendered.args if a.startswith("--rfc2136")]
    assert rfc == [
        "--rfc2136-host=192.0.2.53",
        "--rfc2136-port=53",
        "--rfc2136-zone=example.com",
        "--rfc2136-insecure",
    ]
    assert "DNSSYNC_RFC2136_TSIG_SECRET" not in rendered.env


def test_route53_flags_irsa_and_keys(helm: Helm) -> None:
    rendered = helm.render([ci_file("route53")])
    assert [a for a in rendered.args if a.startswith(("--aws", "--no-aws"))] == [
        "--aws-zone-type=public",
        "--aws-zone-tags=team=platform",
        "--aws-zone-tags=env=ci",
        "--aws-batch-change-size=500",
        "--aws-batch-change-size-bytes=16000",
        "--aws-batch-change-size-values=500",
        "--no-aws-evaluate-target-health",
    ]
    assert "--txt-prefix=dnssync-" in rendered.args
    assert rendered.env["AWS_REGION"]["value"] == "eu-west-1"
    assert _secret_ref(rendered, "AWS_ACCESS_KEY_ID") == {
        "name": "dnssync-aws",
        "key": "access-key-id",
    }
    assert _secret_ref(rendered, "AWS_SECRET_ACCESS_KEY") == {
        "name": "dnssync-aws",
        "key": "secret-access-key",
    }
    _no_secret_in_args(rendered)
    annotations = rendered.one("ServiceAccount")["metadata"]["annotations"]
    assert annotations == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/dnssync",
        "eks.amazonaws.com/sts-regional-endpoints": "true",
    }


def test_route53_defaults_need_no_secret(helm: Helm) -> None:
    rendered = helm.render(set_values={"provider.name": "route53"})
    assert [a for a in rendered.args if a.startswith(("--aws", "--no-aws"))] == [
        "--aws-batch-change-size=1000",
        "--aws-batch-change-size-bytes=32000",
        "--aws-batch-change-size-values=1000",
    ]
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} & set(rendered.env)
    assert "annotations" not in rendered.one("ServiceAccount")["metadata"]


def test_google_flags_workload_identity_and_key_file(helm: Helm) -> None:
    rendered = helm.render([ci_file("google")])
    assert [a for a in rendered.args if a.startswith("--google")] == [
        "--google-project=my-project",
        "--google-zone-visibility=private",
        "--google-batch-change-size=200",
        "--google-api-endpoint=https://dns.googleapis.com",
    ]
    assert [a for a in rendered.args if a.startswith("--source")] == ["--source=gateway"]
    assert rendered.env["GOOGLE_APPLICATION_CREDENTIALS"]["value"] == (
        "/etc/dnssync/google/credentials.json"
    )
    volume = next(v for v in rendered.pod_spec["volumes"] if v["name"] == "google-credentials")
    assert volume["secret"] == {
        "secretName": "dnssync-gcp",
        "defaultMode": 0o440,
        "items": [{"key": "key.json", "path": "credentials.json"}],
    }
    mount = next(m for m in rendered.container["volumeMounts"] if m["name"] == "google-credentials")
    assert mount == {
        "name": "google-credentials",
        "mountPath": "/etc/dnssync/google",
        "readOnly": True,
    }
    annotations = rendered.one("ServiceAccount")["metadata"]["annotations"]
    assert annotations == {
        "iam.gke.io/gcp-service-account": "dnssync@my-project.iam.gserviceaccount.com"
    }
    # gateway source only: no Service rule
    assert rendered.one("ClusterRole")["rules"] == [GATEWAY_RULE, NAMESPACE_RULE, EVENTS_RULE]


@pytest.mark.parametrize("values", CI_FILES, ids=CI_IDS)
def test_every_secret_env_comes_from_a_secret(helm: Helm, values: Path) -> None:
    rendered = helm.render([values])
    for container in rendered.containers.values():
        for env in container.get("env", []):
            if re.search(r"SECRET|KEY|TOKEN|PASSWORD", env["name"]):
                assert set(env) == {"name", "valueFrom"}
                assert set(env["valueFrom"]) == {"secretKeyRef"}
    assert rendered.all("Secret") == []  # the chart never creates (or templates) a Secret


def test_image_reference(helm: Helm) -> None:
    assert helm.render().container["image"] == "dnssync/dnssync:0.1.0"
    tagged = helm.render(set_values={"image.repository": "reg.example/dns", "image.tag": "1.2"})
    assert tagged.container["image"] == "reg.example/dns:1.2"
    digest = "sha256:" + "a" * 64
    pinned = helm.render(set_values={"image.digest": digest})
    assert pinned.container["image"] == f"dnssync/dnssync@{digest}"


# --------------------------------------------------------------------------- NOTES.txt


def test_notes(helm: Helm) -> None:
    out = helm.run(
        "install",
        RELEASE,
        str(CHART_DIR),
        "--namespace",
        NAMESPACE,
        "--dry-run=client",
        "--values",
        str(ci_file("leader-election")),
        "--set",
        "ownerId=",
    )
    notes = out.split("NOTES:", 1)[1]
    assert f"installed as {FULLNAME} in namespace {NAMESPACE}" in notes
    assert f"leader election on Lease {NAMESPACE}/dnssync-leader" in notes
    assert "WARNING: ownerId is not set" in notes
    assert "inmemory provider keeps records in memory only" in notes


def test_chart_app_version_is_the_package_version() -> None:
    import dnssync

    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    assert chart["appVersion"] == dnssync.__version__
    assert chart["apiVersion"] == "v2" and chart["type"] == "application"
