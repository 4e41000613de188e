"""The chart with the webhook provider: an ExternalDNS webhook as a sidecar, without a token.

The sidecar is third-party code holding a DNS API credential; it must not also hold the
pod's Kubernetes token. So with ``provider.name=webhook`` the pod's automount is off and
the token (what the kubelet would mount: the bound token, the cluster CA, the namespace)
is a projected volume mounted into the dnssync container only. The last test has a real
kube-apiserver admit a Pod of the rendered template, so the ServiceAccount admission
plugin's own view is checked too.
"""

from __future__ import annotations

from typing import Any

import kubernetes.client
import pytest
from dnssync_webhook.settings import WebhookSettings

from dnssync.cli.config import add_to_parser, resolve
from dnssync.cli.options import CORE_OPTIONS, SOURCE_OPTIONS, core_settings
from dnssync.daemon.options import RUN_OPTIONS
from dnssync.providers import registry
from testinfra.k8s import KubeCluster
from tests.charts.helmchart import CI_DIR, Helm, HelmError, Rendered

client: Any = kubernetes.client

TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
WEBHOOK_VALUES = CI_DIR / "webhook-values.yaml"


def _render(helm: Helm, **settings: str) -> Rendered:
    return helm.render([WEBHOOK_VALUES], set_values=settings or None)


def test_sidecar_is_rendered_with_its_image_env_and_probes(helm: Helm) -> None:
    rendered = _render(helm)
    assert list(rendered.containers) == ["dnssync", "webhook"]
    sidecar = rendered.containers["webhook"]
    assert sidecar["image"] == "ghcr.io/mconfalonieri/external-dns-hetzner-webhook:v0.11.0"
    assert sidecar["imagePullPolicy"] == "IfNotPresent"
    env = {e["name"]: e for e in sidecar["env"]}
    assert env["HETZNER_API_KEY"]["valueFrom"] == {
        "secretKeyRef": {"name": "hetzner-credentials", "key": "api-key"}
    }
    assert sidecar["livenessProbe"]["httpGet"] == {"path": "/health", "port": 8080}
    assert sidecar["readinessProbe"]["httpGet"] == {"path": "/ready", "port": 8080}
    assert sidecar["securityContext"]["readOnlyRootFilesystem"] is True
    assert sidecar["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert sidecar["resources"]["limits"] == {"memory": "128Mi"}
    # The API credential is the sidecar's alone.
    assert "HETZNER_API_KEY" not in rendered.env


def test_dnssync_is_wired_to_the_sidecar(helm: Helm) -> None:
    args = _render(helm).args
    assert "--provider=webhook" in args
    assert "--webhook-provider-url=http://localhost:8888" in args
    assert "--webhook-provider-read-timeout=5s" in args
    assert "--webhook-provider-write-timeout=10s" in args
    assert "--webhook-provider-max-body-size=33554432" in args
    assert not [a for a in args if a.startswith("--zone=")]  # from the webhook's filter
    other = _render(
        helm,
        **{
            "provider.webhook.port": "9999",
            "provider.webhook.zones": "{example.com,example.org}",
            "provider.webhook.maxBodySize": "1048576",
        },
    ).args
    assert "--webhook-provider-url=http://localhost:9999" in other
    assert "--webhook-provider-max-body-size=1048576" in other
    assert [a for a in other if a.startswith("--zone=")] == [
        "--zone=example.com",
        "--zone=example.org",
    ]


def test_rendered_flags_make_valid_webhook_settings(helm: Helm) -> None:
    import argparse

    args = _render(helm, **{"provider.webhook.zones": "{example.com}"}).args
    options = [*SOURCE_OPTIONS, *CORE_OPTIONS, *RUN_OPTIONS, *registry.load("webhook").options]
    parser = argparse.ArgumentParser()
    add_to_parser(parser, options)
    values = resolve(options, parser.parse_args(args[1:]), {}, {})
    core_settings(values)
    provider_values = {
        o.dest: values.get(o.dest, o.default) for o in registry.load("webhook").options
    }
    settings = WebhookSettings.from_options(provider_values)
    assert settings.url == "http://localhost:8888"
    assert (settings.read_timeout, settings.write_timeout) == (5.0, 10.0)
    assert [z.text for z in settings.zones] == ["example.com"]


def test_the_sidecar_gets_no_kubernetes_token(helm: Helm) -> None:
    rendered = _render(helm)
    pod = rendered.pod_spec
    assert pod["automountServiceAccountToken"] is False
    sidecar = rendered.containers["webhook"]
    assert all(m["mountPath"] != TOKEN_PATH for m in sidecar.get("volumeMounts", []))
    assert {m["name"] for m in sidecar["volumeMounts"]} == {"webhook-tmp"}
    mount = next(m for m in rendered.container["volumeMounts"] if m["name"] == "kube-api-access")
    assert mount == {"name": "kube-api-access", "mountPath": TOKEN_PATH, "readOnly": True}
    volume = next(v for v in pod["volumes"] if v["name"] == "kube-api-access")
    sources = volume["projected"]["sources"]
    assert sources[0] == {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}}
    assert sources[1]["configMap"]["name"] == "kube-root-ca.crt"
    assert sources[2]["downwardAPI"]["items"][0]["path"] == "namespace"
    # No other volume holds a token.
    tokens = [v for v in pod["volumes"] if "serviceAccountToken" in str(v)]
    assert [v["name"] for v in tokens] == ["kube-api-access"]


def test_without_automount_no_container_gets_a_token(helm: Helm) -> None:
    rendered = _render(helm, **{"serviceAccount.automountServiceAccountToken": "false"})
    assert rendered.pod_spec["automountServiceAccountToken"] is False
    assert all(v["name"] != "kube-api-access" for v in rendered.pod_spec["volumes"])


def test_other_providers_keep_the_plain_automount(helm: Helm) -> None:
    rendered = helm.render()
    assert rendered.pod_spec["automountServiceAccountToken"] is True
    assert list(rendered.containers) == ["dnssync"]
    assert all(v["name"] != "kube-api-access" for v in rendered.pod_spec["volumes"])


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"provider.webhook.image": ""}, "provider.webhook.image is required"),
        ({"provider.webhook.port": "7979"}, "provider.webhook.port must differ from metrics.port"),
        ({"provider.webhook.readTimeout": "soon"}, "readTimeout"),
        ({"provider.webhook.bogus": "x"}, "bogus"),
    ],
)
def test_bad_webhook_settings_are_refused(
    helm: Helm, settings: dict[str, str], message: str
) -> None:
    with pytest.raises(HelmError, match=message):
        _render(helm, **settings)


@pytest.mark.k8s
def test_apiserver_admits_the_pod_and_mounts_no_token_into_the_sidecar(
    helm: Helm, chart_cluster: KubeCluster
) -> None:
    """A Pod of the rendered template, created (dry run) on a real apiserver: after the
    ServiceAccount admission plugin, only the dnssync container has the token path."""
    namespace = "webhook-pod"
    chart_cluster.ensure_namespace(namespace)

    def admit(rendered: Rendered) -> dict[str, Any]:
        with chart_cluster.api_client() as admin:
            core = client.CoreV1Api(admin)
            account = rendered.one("ServiceAccount")
            try:
                core.create_namespaced_service_account(namespace, account)
            except client.exceptions.ApiException as exc:
                if exc.status != 409:
                    raise
            template = rendered.one("Deployment")["spec"]["template"]
            pod = {"apiVersion": "v1", "kind": "Pod", **template}
            pod["metadata"] = {**template["metadata"], "name": "dnssync-token-check"}
            created = core.create_namespaced_pod(namespace, pod, dry_run="All")
            admitted: dict[str, Any] = admin.sanitize_for_serialization(created)
            return admitted

    # The control: with the plain automount the plugin does inject the token volume.
    plain = admit(helm.render(namespace=namespace))
    injected = [v["name"] for v in plain["spec"]["volumes"] if "serviceAccountToken" in str(v)]
    assert len(injected) == 1 and injected[0].startswith("kube-api-access-")
    admitted = admit(helm.render([WEBHOOK_VALUES], namespace=namespace))
    containers = {c["name"]: c for c in admitted["spec"]["containers"]}
    mounts = {n: [m["mountPath"] for m in c.get("volumeMounts", [])] for n, c in containers.items()}
    assert TOKEN_PATH in mounts["dnssync"]
    assert TOKEN_PATH not in mounts["webhook"]
    assert admitted["spec"]["automountServiceAccountToken"] is False
    token_volumes = [
        v["name"] for v in admitted["spec"]["volumes"] if "serviceAccountToken" in str(v)
    ]
    assert token_volumes == ["kube-api-access"]
