"""Kubernetes sources: LoadBalancer Services and Gateway API objects from a live cluster.

:class:`ClusterSource` (list + watch, for the daemon), :func:`read_cluster` (one list, for
``plan``/``apply --kubeconfig``) and :class:`EventRecorder` (warnings as Events).
"""

from dnssync.sources.kube.changes import ObjectChange, ObjectKey
from dnssync.sources.kube.events import EventRecorder
from dnssync.sources.kube.settings import WatchSettings
from dnssync.sources.kube.snapshot import read_cluster
from dnssync.sources.kube.source import ClusterSource

__all__ = [
    "ClusterSource",
    "EventRecorder",
    "ObjectChange",
    "ObjectKey",
    "WatchSettings",
    "read_cluster",
]
