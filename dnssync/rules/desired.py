"""From projected source objects to the desired records of every name.

The rules run per object (:mod:`dnssync.rules.evaluate`) and their claims are merged per
name (:mod:`dnssync.rules.merge`), in :class:`dnssync.rules.state.DesiredState`; this is
its one-shot form.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnssync.rules.claims import SrvClaim
from dnssync.rules.merge import MergeResult
from dnssync.rules.settings import DEFAULT_CONTROLLER, DEFAULT_TTL, RuleSettings
from dnssync.rules.state import DesiredState
from dnssync.sources.objects import SourceObject


def desired_records(objects: Iterable[SourceObject], settings: RuleSettings) -> MergeResult:
    return DesiredState.build(objects, settings).result()


__all__ = [
    "DEFAULT_CONTROLLER",
    "DEFAULT_TTL",
    "DesiredState",
    "RuleSettings",
    "SrvClaim",
    "desired_records",
]
