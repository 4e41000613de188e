"""The JSON plan document of docs/cli.md ("Output"), exactly."""

from __future__ import annotations

import json
from typing import Any

from dnssync.model.changes import Change, Plan


def change_document(change: Change) -> dict[str, Any]:
    return {
        "action": change.action.value,
        "zone": change.zone.fqdn,
        "name": change.name.fqdn,
        "type": change.rtype.value,
        "ttl": change.new.ttl if change.new else None,
        "values": change.new.value_texts() if change.new else None,
        "old_ttl": change.old.ttl if change.old else None,
        "old_values": change.old.value_texts() if change.old else None,
        "owner_resource": change.owner_resource,
    }


def plan_document(plan: Plan) -> dict[str, Any]:
    return {
        "changes": [change_document(c) for c in plan.changes],
        "summary": plan.summary(),
    }


def render_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2) + "\n"
