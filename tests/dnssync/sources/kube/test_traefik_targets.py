"""Which lists read Traefik's Services: the Service lists when they cover them, else each
Service alone by name (so ``--namespace`` need not name Traefik's namespace)."""

from __future__ import annotations

import pytest

from dnssync.sources.filters import ObjectFilter
from dnssync.sources.kube.lister import ListTarget
from dnssync.sources.kube.resources import SERVICES
from dnssync.sources.kube.store import Scope
from dnssync.sources.kube.targets import traefik_service_targets

TRAEFIK = (("traefik", "traefik"), ("traefik", "traefik-udp"))


def alone(namespace: str, name: str) -> ListTarget:
    return ListTarget(SERVICES, namespace, field_selector=f"metadata.name={name}")


@pytest.mark.parametrize(
    ("listed", "namespaces", "expected"),
    [
        (True, (), []),
        (True, ("traefik", "apps"), []),
        (
            True,
            ("apps",),
            [alone("traefik", "traefik"), alone("traefik", "traefik-udp")],
        ),
        (
            False,
            (),
            [alone("traefik", "traefik"), alone("traefik", "traefik-udp")],
        ),
        (
            False,
            ("traefik",),
            [alone("traefik", "traefik"), alone("traefik", "traefik-udp")],
        ),
    ],
)
def test_traefik_services_are_read_alone_when_no_service_list_covers_them(
    listed: bool, namespaces: tuple[str, ...], expected: list[ListTarget]
) -> None:
    found = traefik_service_targets(TRAEFIK, listed, ObjectFilter(namespaces=namespaces))
    assert found == expected


def test_a_service_read_alone_has_its_own_scope_and_query() -> None:
    one, two = (alone(*key) for key in TRAEFIK)
    assert one.field_selector == "metadata.name=traefik"
    assert one.describe() == "services/v1 traefik/traefik"
    scopes = {Scope(t.resource.qualified, t.namespace, t.field_selector) for t in (one, two)}
    assert len(scopes) == 2  # a relist of one never replaces the other's object
