"""Which objects get a Normal Event after a reconcile applied changes (issue 15 item 7)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from dnssync.daemon.publications import publications
from dnssync.daemon.report import DiagnosticsReporter
from dnssync.model.changes import Action, Change, ChangeGroup
from dnssync.model.names import DomainName
from dnssync.model.publications import Publication
from dnssync.model.refs import ObjectRef
from dnssync.rules.merge import Contribution, DesiredRecord
from dnssync.testing.builders import create, delete, ownership_txt, rrset, update

ZONE = DomainName.parse("example.com")
KDC_TCP = ObjectRef("service", "krb", "kdc-tcp")
KDC_B = ObjectRef("service", "krb", "kdc-b")


def desired(record: str, *refs: ObjectRef) -> DesiredRecord:
    name, rtype, value = record.split()
    return DesiredRecord(
        rrset(name, rtype, value), tuple(Contribution(r, "metadata.annotations") for r in refs)
    )


def test_each_contributor_of_a_created_or_updated_record() -> None:
    a = rrset("kdc.example.com", "A", "203.0.113.10")
    srv = rrset("_kerberos._tcp.example.com", "SRV", "0 100 88 kdc.example.com.")
    groups = [
        ChangeGroup(
            (
                *create(ZONE, a).changes,
                *create(ZONE, ownership_txt("kdc.example.com", "A", str(KDC_TCP))).changes,
            )
        ),
        update(ZONE, rrset("_kerberos._tcp.example.com", "SRV", "0 100 99 kdc.example.com."), srv),
        delete(ZONE, rrset("old.example.com", "A", "192.0.2.1")),
    ]
    records = {
        a.key: desired("kdc.example.com A 203.0.113.10", KDC_TCP, KDC_B),
        srv.key: DesiredRecord(srv, (Contribution(KDC_TCP, "metadata.annotations"),)),
    }
    found = publications([(ZONE, groups)], records)
    assert [(str(p.ref), p.message) for p in found] == [
        ("service/krb/kdc-b", "Published kdc.example.com A 203.0.113.10 in example.com"),
        ("service/krb/kdc-tcp", "Published kdc.example.com A 203.0.113.10 in example.com"),
        (
            "service/krb/kdc-tcp",
            "Published _kerberos._tcp.example.com SRV 0 100 88 kdc.example.com. in example.com",
        ),
    ]


def test_a_record_no_longer_desired_falls_back_to_its_planned_owner() -> None:
    a = rrset("gone.example.com", "A", "192.0.2.7")
    group = ChangeGroup((Change(Action.CREATE, ZONE, a, None, str(KDC_B)),))
    (found,) = publications([(ZONE, [group])], {})
    assert found.ref == KDC_B


def test_the_reporter_hands_publications_to_the_event_thread() -> None:
    got: list[Publication] = []
    done = threading.Event()

    def recorder(batch: Sequence[Publication]) -> None:
        got.extend(batch)
        done.set()

    reporter = DiagnosticsReporter(lambda _: None, recorder)
    try:
        publication = Publication(KDC_TCP, ZONE, rrset("kdc.example.com", "A", "192.0.2.1"))
        reporter.published([publication])
        assert reporter.wait_idle(5)
        assert done.is_set() and got == [publication]
    finally:
        reporter.stop()
