"""Renderers: the JSON document (the contract of docs/cli.md), markdown and text."""

from __future__ import annotations

import json

from rich.console import Console

from dnssync.model.changes import Action, Change, ChangeGroup, Plan, ZonePlan
from dnssync.model.diagnostics import Diagnostic, Severity
from dnssync.model.names import DomainName
from dnssync.model.records import Alias, RecordType, RRset, Text
from dnssync.render.json_plan import plan_document, render_json
from dnssync.render.markdown import render_markdown
from dnssync.render.text import render_diagnostics, render_text
from dnssync.testing.builders import ownership_txt, rrset

ZONE = DomainName.parse("Example.COM.")


def sample_plan() -> Plan:
    srv = rrset("_kerberos._udp.example.com", "SRV", "0 100 88 KDC-udp.example.com")
    txt = ownership_txt("_kerberos._udp.example.com", "SRV", "service/krb/kdc-udp", "default")
    old_a = rrset("web.example.com", "A", "192.0.2.1", ttl=60)
    new_a = rrset("web.example.com", "A", "192.0.2.2", "192.0.2.1")
    gone = rrset("old.example.com", "AAAA", "2001:db8:0::1")
    alias = RRset.of(ZONE, RecordType.A, 300, [Alias(DomainName.parse("lb.elb.amazonaws.com"))])
    groups = (
        ChangeGroup(
            (
                Change(Action.CREATE, ZONE, srv, None, "service/krb/kdc-udp"),
                Change(Action.CREATE, ZONE, txt, None, "service/krb/kdc-udp"),
            )
        ),
        ChangeGroup((Change(Action.UPDATE, ZONE, new_a, old_a, "service/web/web"),)),
        ChangeGroup((Change(Action.DELETE, ZONE, None, gone, None),)),
        ChangeGroup((Change(Action.CREATE, ZONE, alias, None, "service/web/apex"),)),
    )
    return Plan((ZonePlan(ZONE, groups, owned_records=3),))


def test_json_document() -> None:
    document = plan_document(sample_plan())
    assert document == {
        "changes": [
            {
                "action": "create",
                "zone": "example.com.",
                "name": "_kerberos._udp.example.com.",
                "type": "SRV",
                "ttl": 300,
                "values": ["0 100 88 kdc-udp.example.com."],
                "old_ttl": None,
                "old_values": None,
                "owner_resource": "service/krb/kdc-udp",
            },
            {
                "action": "create",
                "zone": "example.com.",
                "name": "srv-_kerberos._udp.example.com.",
                "type": "TXT",
                "ttl": 300,
                "values": [
                    '"heritage=external-dns,external-dns/owner=default,'
                    'external-dns/resource=service/krb/kdc-udp"'
                ],
                "old_ttl": None,
                "old_values": None,
                "owner_resource": "service/krb/kdc-udp",
            },
            {
                "action": "update",
                "zone": "example.com.",
                "name": "web.example.com.",
                "type": "A",
                "ttl": 300,
                "values": ["192.0.2.1", "192.0.2.2"],
                "old_ttl": 60,
                "old_values": ["192.0.2.1"],
                "owner_resource": "service/web/web",
            },
            {
                "action": "delete",
                "zone": "example.com.",
                "name": "old.example.com.",
                "type": "AAAA",
                "ttl": None,
                "values": None,
                "old_ttl": 300,
                "old_values": ["2001:db8::1"],
                "owner_resource": None,
            },
            {
                "action": "create",
                "zone": "example.com.",
                "name": "example.com.",
                "type": "A",
                "ttl": 300,
                "values": ["ALIAS lb.elb.amazonaws.com."],
                "old_ttl": None,
                "old_values": None,
                "owner_resource": "service/web/apex",
            },
        ],
        "summary": {"create": 3, "update": 1, "delete": 1},
    }


def test_render_json_is_one_document() -> None:
    text = render_json(sample_plan())
    assert text.endswith("}\n")
    assert json.loads(text) == plan_document(sample_plan())
    empty = json.loads(render_json(Plan(())))
    assert empty == {"changes": [], "summary": {"create": 0, "update": 0, "delete": 0}}


def test_txt_values_keep_quotes_escapes_and_chunks() -> None:
    name = DomainName.parse("t.example.com")
    value = Text.of('say "hi"' + "x" * 300)
    plan = Plan(
        (
            ZonePlan(
                ZONE,
                (
                    ChangeGroup(
                        (
                            Change(
                                Action.CREATE,
                                ZONE,
                                RRset.of(name, RecordType.TXT, 300, [value]),
                                None,
                            ),
                        )
                    ),
                ),
            ),
        )
    )
    (rendered,) = plan_document(plan)["changes"][0]["values"]
    assert rendered.startswith('"say \\"hi\\"xxx')
    assert rendered.count('" "') == 1  # two 255-octet strings
    assert Text.parse(rendered) == value


def test_markdown() -> None:
    diagnostics = (
        Diagnostic("service/a/b", "metadata.annotations[dnssync.io/ttl]", "bad | value"),
    )
    text = render_markdown(sample_plan(), diagnostics)
    lines = text.splitlines()
    assert lines[:5] == [
        "### dnssync plan",
        "",
        "**3** to create, **1** to update, **1** to delete.",
        "",
        "| action | zone | name | type | ttl | values | old values | owner |",
    ]
    assert (
        "| update | `example.com.` | `web.example.com.` | A | 300 | `192.0.2.1`<br>`192.0.2.2` "
        "| `192.0.2.1` | `service/web/web` |"
    ) in lines
    assert (
        "| delete | `example.com.` | `old.example.com.` | AAAA | 300 |  | `2001:db8::1` |  |"
    ) in lines
    # Outside a table a pipe needs no escape; the whole message is one code span.
    assert "- warning: `service/a/b: metadata.annotations[dnssync.io/ttl]: bad | value`" in lines
    assert render_markdown(Plan(())).splitlines()[2] == (
        "**0** to create, **0** to update, **0** to delete."
    )


def test_text_plain_and_coloured() -> None:
    plain = Console(record=True, width=200, force_terminal=False)
    render_text(sample_plan(), plain)
    text = plain.export_text()
    assert (
        "  ~ web.example.com. A 60 192.0.2.1 -> 300 192.0.2.1 192.0.2.2  (service/web/web)" in text
    )
    assert "  - old.example.com. AAAA 300 2001:db8::1" in text
    assert text.splitlines()[-1] == "Plan: 3 to create, 1 to update, 1 to delete."
    coloured = Console(record=True, width=200, force_terminal=True, color_system="standard")
    render_text(sample_plan(), coloured)
    assert "\x1b[" in coloured.export_text(styles=True)


def test_diagnostics_lines() -> None:
    console = Console(record=True, width=300, force_terminal=False)
    render_diagnostics(
        (
            Diagnostic("a.yaml", "", "cannot be read", Severity.ERROR),
            Diagnostic("service/a/b", "spec.ports[0].port", "bad"),
        ),
        console,
    )
    assert console.export_text().splitlines() == [
        "error: a.yaml: cannot be read",
        "warning: service/a/b: spec.ports[0].port: bad",
    ]
