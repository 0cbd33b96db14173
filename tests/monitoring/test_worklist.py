"""Open data queries appear on the worklist of the roles that must act on them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from stromal.monitoring import services
from stromal.pathway.worklist import worklist
from tests.pathway.factories import make_patient

pytestmark = pytest.mark.django_db

STAFF = ("alice", "nina", "cora", "luke")


def _section(user: Any, key: str) -> list[str]:
    sections = {s.key: s for s in worklist(user=user).sections}
    return [line.url for line in sections[key].lines] if key in sections else []


def test_an_open_query_waits_on_the_site_staffs_worklist_and_an_answered_one_on_the_monitors(
    cast: Any,
) -> None:
    patient = make_patient(cast.cora)
    query = services.query_open(
        user=cast.mona,
        patient=patient,
        object_type="patients.patient",
        object_id=str(patient.pk),
        field="height_cm",
        text="Height 165 cm? The referral says 156.",
    )
    url = reverse("monitoring:query", args=[query.pk])
    for who in STAFF:
        assert url in _section(getattr(cast, who), "wl-queries-answer"), who
    assert url not in _section(cast.mona, "wl-queries-review")
    assert _section(cast.ivan, "wl-queries-answer") == [] and _section(cast.ada, "wl-queries-review") == []

    services.query_answer(query=query, user=cast.cora, version=query.version, text="Measured: 165 cm.")
    assert url not in _section(cast.cora, "wl-queries-answer")
    assert url in _section(cast.mona, "wl-queries-review")

    query.refresh_from_db()
    services.query_close(query=query, user=cast.mona, version=query.version, text="Thank you.")
    assert url not in _section(cast.mona, "wl-queries-review")


def test_the_worklist_page_shows_the_query_with_its_patient_and_record(cast: Any) -> None:
    patient = make_patient(cast.cora)
    services.query_open(
        user=cast.mona,
        patient=patient,
        object_type="patients.patient",
        object_id=str(patient.pk),
        field="",
        text="?",
    )
    client = Client()
    client.force_login(cast.nina)
    page = client.get(reverse("pathway:worklist")).content.decode()
    assert 'id="wl-queries-answer"' in page and "Test Person (MRN-0001)" in page


def test_another_sites_queries_stay_off_the_worklist(cast: Any) -> None:
    patient = make_patient(cast.cora)
    services.query_open(
        user=cast.mona,
        patient=patient,
        object_type="patients.patient",
        object_id=str(patient.pk),
        field="",
        text="?",
    )
    assert _section(cast.oscar, "wl-queries-answer") == []


@pytest.mark.parametrize(
    ("key", "roles"), [("wl-queries-answer", set(STAFF)), ("wl-queries-review", {"mona"})]
)
def test_each_query_section_page_opens_only_for_the_roles_that_act(
    cast: Any, key: str, roles: set[str]
) -> None:
    url = reverse("pathway:worklist_section", args=[key])
    assert Client().get(url).status_code == 302
    for who in (*STAFF, "mona", "ivan", "ada"):
        client = Client()
        client.force_login(getattr(cast, who))
        assert client.get(url).status_code == (200 if who in roles else 404), who
