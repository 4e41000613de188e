"""Render, lint and inspect the dnssync Helm chart with the real helm binary.

The binary comes from ``tools/helm/install.sh`` (cached under
``${DNSSYNC_CACHE:-~/.cache/dnssync}/helm/<version>/helm``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = REPO_ROOT / "charts" / "dnssync"
CI_DIR = CHART_DIR / "ci"
HELM_INSTALLER = REPO_ROOT / "tools" / "helm" / "install.sh"
DOCKERFILE = REPO_ROOT / "Dockerfile"

# kubernetes-validate bundles schemas for 1.25..1.37; 1.34 is the test apiserver's version.
KUBE_VERSIONS = ("1.34.0", "1.37.0")
RELEASE = "dnssync"
NAMESPACE = "dnssync-system"

Doc = dict[str, Any]


def install_helm(timeout: float = 600.0) -> Path:
    """Run the installer (idempotent) and return the helm binary."""
    proc = subprocess.run(
        ["bash", str(HELM_INSTALLER)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{HELM_INSTALLER} failed ({proc.returncode}):\n{proc.stderr}")
    path = Path(proc.stdout.strip().splitlines()[-1])
    if not path.is_file():
        raise RuntimeError(f"{HELM_INSTALLER} printed {path}, which is not a file")
    return path


def ci_values_files() -> list[Path]:
    return sorted(CI_DIR.glob("*-values.yaml"))


class HelmError(RuntimeError):
    def __init__(self, argv: Sequence[str], returncode: int, output: str) -> None:
        super().__init__(f"{' '.join(argv)} exited {returncode}:\n{output}")
        self.returncode = returncode
        self.output = output


@dataclass(frozen=True)
class Helm:
    binary: Path
    home: Path  # private HELM_CACHE_HOME / CONFIG / DATA: no state outside the test's tmp

    def run(self, *args: str, timeout: float = 120.0) -> str:
        argv = [str(self.binary), *args]
        env = {
            "HELM_CACHE_HOME": str(self.home / "cache"),
            "HELM_CONFIG_HOME": str(self.home / "config"),
            "HELM_DATA_HOME": str(self.home / "data"),
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.home),
        }
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
        if proc.returncode != 0:
            raise HelmError(argv, proc.returncode, proc.stdout + proc.stderr)
        return proc.stdout

    def template(
        self,
        values_files: Iterable[Path] = (),
        set_values: Mapping[str, str] | None = None,
        *,
        release: str = RELEASE,
        namespace: str = NAMESPACE,
        kube_version: str = KUBE_VERSIONS[0],
        extra: Sequence[str] = (),
    ) -> str:
        args = [
            "template",
            release,
            str(CHART_DIR),
            "--namespace",
            namespace,
            "--kube-version",
            kube_version,
        ]
        for path in values_files:
            args += ["--values", str(path)]
        for key, value in (set_values or {}).items():
            args += ["--set", f"{key}={value}"]
        return self.run(*args, *extra)

    def render(
        self,
        values_files: Iterable[Path] = (),
        set_values: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Rendered:
        return Rendered.parse(self.template(values_files, set_values, **kwargs))


@dataclass(frozen=True)
class Rendered:
    docs: tuple[Doc, ...]

    @classmethod
    def parse(cls, text: str) -> Rendered:
        return cls(tuple(d for d in yaml.safe_load_all(text) if d))

    def __iter__(self) -> Iterator[Doc]:
        return iter(self.docs)

    def kinds(self) -> list[str]:
        return sorted(d["kind"] for d in self.docs)

    def all(self, kind: str) -> list[Doc]:
        return [d for d in self.docs if d["kind"] == kind]

    def one(self, kind: str) -> Doc:
        found = self.all(kind)
        assert len(found) == 1, f"expected one {kind}, got {len(found)}: {self.kinds()}"
        return found[0]

    def maybe(self, kind: str) -> Doc | None:
        found = self.all(kind)
        assert len(found) <= 1
        return found[0] if found else None

    @property
    def pod_spec(self) -> Doc:
        spec: Doc = self.one("Deployment")["spec"]["template"]["spec"]
        return spec

    @property
    def containers(self) -> dict[str, Doc]:
        return {c["name"]: c for c in self.pod_spec["containers"]}

    @property
    def container(self) -> Doc:
        """The dnssync container (the first; a webhook sidecar may follow it)."""
        containers = self.pod_spec["containers"]
        assert containers[0]["name"] == "dnssync"
        assert len(containers) == 1 or [c["name"] for c in containers[1:]] == ["webhook"]
        container: Doc = containers[0]
        return container

    @property
    def args(self) -> list[str]:
        return [str(a) for a in self.container["args"]]

    @property
    def env(self) -> dict[str, Doc]:
        return {e["name"]: e for e in self.container.get("env", [])}


def flatten_values(values: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every value: leaves, and maps/lists that are values themselves.

    A non-empty map whose keys are chart settings is descended into; an empty map or
    any list is a leaf. ``resources``-like pass-through maps are leaves too.
    """
    paths: list[str] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and path not in PASS_THROUGH:
            paths.extend(flatten_values(value, path + "."))
        else:
            paths.append(path)
    return paths


# Values that are Kubernetes objects handed to the manifest as they are.
PASS_THROUGH = frozenset(
    {
        "resources",
        "podSecurityContext",
        "securityContext",
        "provider.webhook.resources",
        "provider.webhook.securityContext",
    }
)
