"""The manifest source: every ``*.yaml``/``*.yml`` under a folder, status taken as written.

What cannot be read is never read as "absent" (docs/input-safety.md): a file, folder or
document that cannot be opened, followed or parsed is an Error naming it, and makes the
snapshot incomplete (no deletes); an object the API server would refuse (a non-string
annotation value) is a Warning, and its records are kept as they are. One bad document never
stops the others.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dnssync.model.diagnostics import Diagnostic, Severity
from dnssync.model.refs import ObjectRef
from dnssync.sources.manifest_files import list_manifests
from dnssync.sources.objects import ROUTE_KINDS, TRAEFIK_KINDS, LabelSelector, SourceObject
from dnssync.sources.projection import (
    CONFIGMAP,
    SUPPORTED_KINDS,
    ProjectionError,
    project,
    ref_of,
)
from dnssync.sources.snapshot import SourceSnapshot
from dnssync.sources.yaml_input import (
    DEFAULT_LIMITS,
    Limits,
    YamlInputError,
    describe_os_error,
    documents,
    read_text,
    shorten,
)

# Kinds the annotation filter applies to (as the cluster source does).
FILTERED_KINDS = ("service", "ingress", *ROUTE_KINDS, *TRAEFIK_KINDS)

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
        "ingressclass",
        "endpoints",
        "endpointslice",
    }
)

NO_DELETES = "no deletes this run"
# Messages quote input; keep them to a line.
MAX_MESSAGE = 300


def read_manifests(
    directory: Path,
    default_namespace: str = "default",
    annotation_filter: LabelSelector | None = None,
    limits: Limits = DEFAULT_LIMITS,
    configmaps: Collection[ObjectRef] = (),
    decisive: Collection[ObjectRef] = (),
) -> SourceSnapshot:
    """The objects under directory. ``annotation_filter`` (``--annotation-filter``) drops
    Services and routes whose annotations do not match it, read in full here since the
    projection keeps only ours; Gateways are kept, as routes need their addresses.
    ConfigMaps are read only when ``configmaps`` names them (ingress-nginx's TCP/UDP
    services). ``decisive`` names other objects that decide what other objects publish (the
    ingress-nginx controller Service): one that cannot be read makes the run incomplete."""
    reader = _Reader(
        default_namespace, annotation_filter, frozenset(configmaps), frozenset(decisive)
    )
    listing = list_manifests(directory)
    for problem in listing.problems:
        reader.broken(problem.shown, problem.reason)
    for file in listing.files:
        try:
            text = read_text(file.path, limits)
        except OSError as exc:
            reader.broken(file.shown, f"cannot be read: {describe_os_error(exc)}")
            continue
        except YamlInputError as exc:
            reader.broken(file.shown, str(exc))
            continue
        for document in documents(text, limits):
            where = f"{file.shown} (document {document.index})"
            if document.error is not None:
                reader.broken(where, f"cannot be read: {document.error}")
            else:
                reader.document(where, document.value)
    return reader.snapshot()


@dataclass(slots=True)
class _Reader:
    default_namespace: str
    annotation_filter: LabelSelector | None
    configmaps: frozenset[ObjectRef] = frozenset()
    decisive: frozenset[ObjectRef] = frozenset()
    # The named ConfigMaps found (each must exist: missing_configmaps).
    seen: set[ObjectRef] = field(default_factory=set)
    objects: list[SourceObject] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)
    complete: bool = True

    def snapshot(self) -> SourceSnapshot:
        for ref in sorted(self.configmaps - self.seen):
            # A typo in the flag must not read as "no entries" (docs/sources/ingress-nginx.md).
            self.broken(
                str(ref),
                "not found, but an --ingress-nginx-*-services flag names it",
                reason="ConfigMapNotFound",
            )
        return SourceSnapshot(
            tuple(self.objects), tuple(self.diagnostics), self.complete, frozenset(self.unreadable)
        )

    def broken(
        self, where: str, problem: str, field: str = "", reason: str = "BrokenManifest"
    ) -> None:
        """Input that may have held objects we publish: an Error, and no deletes."""
        self.complete = False
        self.diagnostics.append(
            Diagnostic(
                where, field, f"{_cut(problem)}; {NO_DELETES}", Severity.ERROR, reason=reason
            )
        )

    def document(self, where: str, document: Any) -> None:
        try:
            self._document(where, document)
        except Exception as exc:
            # One document never stops the others, even through a defect in the projection;
            # the fuzz tests assert this is never reached.
            self.broken(where, f"internal error ({type(exc).__name__})", reason="InternalError")

    def _document(self, where: str, document: Any) -> None:
        if not isinstance(document, Mapping):
            self.broken(where, f"is not a Kubernetes object (a mapping) but {shorten(document)}")
            return
        kind = document.get("kind")
        if kind is not None and not isinstance(kind, str):
            self.broken(where, f"is {shorten(kind)}, not a string", "kind")
            return
        if kind is not None and kind.endswith("List"):
            self._list(where, document.get("items"))
            return
        kind = (kind or "").lower()
        if kind == CONFIGMAP and self._named_configmap(document):
            pass
        elif kind not in SUPPORTED_KINDS:
            if kind not in IGNORED_KINDS:
                shown = shorten(document.get("kind"))
                self.diagnostics.append(
                    Diagnostic(
                        where, "kind", f"unknown kind {shown} is ignored", reason="UnknownKind"
                    )
                )
            return
        if self._metadata_refused(where, document):
            return
        if (
            self.annotation_filter is not None
            and kind in FILTERED_KINDS
            and not self.annotation_filter.matches(_annotations(document))
        ):
            return
        try:
            projected = project(document, self.default_namespace)
        except ProjectionError as exc:
            try:
                ref = ref_of(document, self.default_namespace)
            except ProjectionError:
                # Not even its name can be read: it may be any object we publish.
                self.broken(where, exc.message, exc.field, reason="InvalidObject")
                return
            if kind == CONFIGMAP or ref in self.decisive:
                # An ingress-nginx ConfigMap (or its controller Service) decides what
                # other objects publish: those records cannot be told apart, so nothing
                # is deleted.
                self.broken(f"{ref} in {where}", exc.message, exc.field, reason="InvalidObject")
                return
            # The object exists: its records are kept, while deletes elsewhere go on.
            self.unreadable.add(str(ref))
            self.diagnostics.append(
                Diagnostic(
                    f"{ref} in {where}", exc.field, _cut(exc.message), reason="InvalidObject"
                )
            )
            return
        if projected is not None:
            self.objects.append(projected)

    def _named_configmap(self, document: Mapping[str, Any]) -> bool:
        if not self.configmaps:
            return False
        try:
            ref = ref_of(document, self.default_namespace)
        except ProjectionError:
            # Its name cannot be read, so it may be one of the named ConfigMaps: reading it
            # as absent would delete the records of the backends it exposes.
            return True
        if ref in self.configmaps:
            self.seen.add(ref)
            return True
        return False

    def _list(self, where: str, items: Any) -> None:
        """``kind: List`` (``kubectl get -o yaml``): its items, each an object."""
        if items is None:
            return
        if not isinstance(items, list):
            self.broken(where, f"expected a list of objects, got {shorten(items)}", "items")
            return
        for index, item in enumerate(items):
            self._document(f"{where.removesuffix(')')}, items[{index}])", item)

    def _metadata_refused(self, where: str, document: Mapping[str, Any]) -> bool:
        """Annotations and labels are string maps: an object with other values would be
        refused by the API server (as ``kubectl apply`` finds), so it is refused here too,
        with a Warning naming the key; its records are kept as they are. A null value is
        read as the empty string, as the API server does, with a Warning."""
        meta = document.get("metadata")
        if not isinstance(meta, Mapping):
            return False  # the projection reports it
        refused = False
        for part in ("annotations", "labels"):
            raw = meta.get(part)
            if raw is None:
                continue
            if not isinstance(raw, Mapping):
                self._warn(where, document, f"metadata.{part}", f"is {shorten(raw)}, not a map")
                refused = True
                continue
            for key, value in raw.items():
                if not isinstance(key, str):
                    problem = f"key {shorten(key)} is not a string: quote it"
                    self._warn(where, document, f"metadata.{part}", problem)
                    refused = True
                elif value is None:
                    self._warn(
                        where,
                        document,
                        f"metadata.{part}[{_cut(key, 100)}]",
                        "is null: read as the empty string",
                    )
                elif not isinstance(value, str):
                    self._warn(
                        where, document, f"metadata.{part}[{_cut(key, 100)}]", _not_string(value)
                    )
                    refused = True
        if refused:
            try:
                ref = ref_of(document, self.default_namespace)
            except ProjectionError as exc:
                self.broken(where, exc.message, exc.field, reason="InvalidObject")
                return True
            self.unreadable.add(str(ref))
            if ref.kind == "namespace":
                # Routes select namespaces by label: an attachment may be hidden.
                self.broken(where, "its labels cannot be read (see above)", "metadata.labels")
        return refused

    def _warn(self, where: str, document: Mapping[str, Any], field: str, message: str) -> None:
        try:
            subject = f"{ref_of(document, self.default_namespace)} in {where}"
        except ProjectionError:
            subject = where
        reason = "InvalidLabel" if field.startswith("metadata.labels") else "InvalidAnnotation"
        self.diagnostics.append(Diagnostic(subject, field, message, reason=reason))


def _not_string(value: Any) -> str:
    if isinstance(value, bool):
        what = f"the boolean {value!r} (YAML reads unquoted yes/no/on/off/true/false so)"
    elif isinstance(value, int):
        what = f"the integer {shorten(value)} (YAML reads an unquoted 0300 as octal 192)"
    elif isinstance(value, float):
        what = f"the number {shorten(value)}"
    else:
        what = shorten(value)
    return (
        f"is {what}, not a string: Kubernetes refuses the object, so its records are kept "
        "as they are; quote the value"
    )


def _annotations(document: Mapping[str, Any]) -> dict[str, str]:
    """The annotations for the annotation filter: only string keys and values are read
    (others were refused above); null values read as empty strings."""
    meta = document.get("metadata")
    raw = meta.get("annotations") if isinstance(meta, Mapping) else None
    if not isinstance(raw, Mapping):
        return {}
    return {
        k: "" if v is None else v
        for k, v in raw.items()
        if isinstance(k, str) and (v is None or isinstance(v, str))
    }


def _cut(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
