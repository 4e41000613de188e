"""The manifest source: every ``*.yaml``/``*.yml`` under a folder, status taken as written."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from dnssync.errors import SourceError
from dnssync.model.diagnostics import Diagnostic, Severity
from dnssync.sources.objects import ROUTE_KINDS, LabelSelector, SourceObject
from dnssync.sources.projection import SUPPORTED_KINDS, ProjectionError, kind_of, project, ref_of
from dnssync.sources.snapshot import SourceSnapshot

# libyaml's loader is ~10x faster than the pure-Python one; both are safe loaders.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Kinds the annotation filter applies to (as the cluster source does).
FILTERED_KINDS = ("service", *ROUTE_KINDS)

IGNORED_KINDS = frozenset(
    {
        "gatewayclass",
        "referencegrant",
        "deployment",
        "statefulset",
        "configmap",
        "secret",
        "serviceaccount",
        "pod",
        "daemonset",
        "ingress",
        "endpoints",
        "endpointslice",
    }
)


def manifest_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise SourceError(f"--manifests {directory}: not a directory")
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def read_manifests(
    directory: Path,
    default_namespace: str = "default",
    annotation_filter: LabelSelector | None = None,
) -> SourceSnapshot:
    """The objects under directory. ``annotation_filter`` (``--annotation-filter``) drops
    Services and routes whose annotations do not match it, read in full here since the
    projection keeps only ours; Gateways are kept, as routes need their addresses."""
    objects: list[SourceObject] = []
    diagnostics: list[Diagnostic] = []
    unreadable: set[str] = set()
    complete = True
    for path in manifest_files(directory):
        shown = str(path.relative_to(directory)) if path.is_relative_to(directory) else str(path)
        try:
            documents = list(_documents(path))
        except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
            complete = False
            diagnostics.append(
                Diagnostic(
                    shown,
                    "",
                    f"cannot be read, no deletes this run: {_short(exc)}",
                    Severity.ERROR,
                    reason="BrokenManifest",
                )
            )
            continue
        for index, document in enumerate(documents):
            where = f"{shown} (document {index + 1})"
            if not isinstance(document, Mapping):
                # It may have been meant as an object we publish: no deletes this run.
                complete = False
                diagnostics.append(
                    Diagnostic(
                        where,
                        "",
                        "is not a Kubernetes object (a mapping), no deletes this run",
                        Severity.ERROR,
                        reason="BrokenManifest",
                    )
                )
                continue
            kind = kind_of(document)
            if kind not in SUPPORTED_KINDS:
                if kind not in IGNORED_KINDS:
                    diagnostics.append(
                        Diagnostic(
                            where,
                            "kind",
                            f"unknown kind {document.get('kind')!r} is ignored",
                            reason="UnknownKind",
                        )
                    )
                continue
            if (
                annotation_filter is not None
                and kind in FILTERED_KINDS
                and not annotation_filter.matches(_annotations(document))
            ):
                continue
            try:
                projected = project(document, default_namespace)
            except ProjectionError as exc:
                subject = where
                try:
                    ref = ref_of(document, default_namespace)
                    unreadable.add(str(ref))
                    subject = f"{ref} in {where}"
                except ProjectionError:
                    complete = False
                diagnostics.append(
                    Diagnostic(subject, exc.field, exc.message, reason="InvalidObject")
                )
                continue
            if projected is not None:
                objects.append(projected)
    return SourceSnapshot(tuple(objects), tuple(diagnostics), complete, frozenset(unreadable))


def _annotations(document: Mapping[str, Any]) -> dict[str, str]:
    meta = document.get("metadata")
    raw = meta.get("annotations") if isinstance(meta, Mapping) else None
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in raw.items()}


def _documents(path: Path) -> Iterator[Any]:
    with path.open(encoding="utf-8") as handle:
        for document in yaml.load_all(handle, Loader=_LOADER):
            if document is None:
                continue
            if isinstance(document, Mapping) and str(document.get("kind", "")).endswith("List"):
                yield from document.get("items") or []
            else:
                yield document


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())
