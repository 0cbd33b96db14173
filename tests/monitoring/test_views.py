"""Monitoring pages: the permission matrix, and verify / query / sign-off / unlock through the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from stromal.accounts.models import User
from stromal.monitoring import services
from stromal.monitoring.models import DataQuery, QueryStatus
from stromal.patients.models import Patient
from tests.conftest import PASSWORD
from tests.pathway.factories import make_patient

pytestmark = pytest.mark.django_db

ROLES = ["alice", "nina", "cora", "luke", "mona", "ivan", "ada"]
READERS = {"mona", "ivan", "ada"}
STAFF = {"alice", "nina", "cora", "luke"}
PATIENT = "patients.patient"


def _client(cast: Any, who: str | None) -> Client:
    client = Client()
    if who:
        client.force_login(getattr(cast, who))
    return client


def _setup(cast: Any) -> tuple[Patient, DataQuery]:
    patient = make_patient(cast.cora)
    query = services.query_open(
        user=cast.mona, patient=patient, object_type=PATIENT, object_id=str(patient.pk), field="", text="?"
    )
    return patient, query


# (url name, needs patient (p) or query (q), method, roles allowed)
PAGES = [
    ("monitoring:index", None, "get", READERS),
    ("monitoring:patient", "p", "get", READERS),
    ("monitoring:casebook", "p", "get", READERS),
    ("monitoring:verify", "p", "get", {"mona"}),
    ("monitoring:query_open", "p", "get", {"mona"}),
    ("monitoring:sign", "p", "get", {"ivan"}),
    ("monitoring:unlock", "p", "get", {"ada"}),
    ("monitoring:queries", None, "get", READERS | STAFF),
    ("monitoring:query", "q", "get", READERS | STAFF),
]


@pytest.mark.parametrize(("name", "arg", "method", "allowed"), PAGES)
@pytest.mark.parametrize("who", [*ROLES, None])
def test_permission_matrix(
    cast: Any, name: str, arg: str | None, method: str, allowed: set[str], who: str | None
) -> None:
    patient, query = _setup(cast)
    args = {"p": [patient.pk], "q": [query.pk], None: []}[arg]
    response = getattr(_client(cast, who), method)(reverse(name, args=args))
    if who is None:
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    elif who in allowed:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403


def test_another_sites_monitor_sees_no_such_patient_or_query(cast: Any, other_site: Any) -> None:
    patient, query = _setup(cast)
    outsider = User.objects.create_user(username="otto", password=PASSWORD, role="monitor", site=other_site)
    client = Client()
    client.force_login(outsider)
    assert client.get(reverse("monitoring:patient", args=[patient.pk])).status_code == 404
    assert client.get(reverse("monitoring:query", args=[query.pk])).status_code == 404
    response = client.post(
        reverse("monitoring:verify", args=[patient.pk]), {"object_type": PATIENT, "object_id": patient.pk}
    )
    assert response.status_code == 404


def test_a_monitor_verifies_raises_a_query_the_coordinator_answers_and_the_investigator_signs_off(
    cast: Any,
) -> None:
    patient = make_patient(cast.cora)
    mona, cora, ivan = _client(cast, "mona"), _client(cast, "cora"), _client(cast, "ivan")
    review = reverse("monitoring:patient", args=[patient.pk])
    mona.post(
        reverse("monitoring:verify", args=[patient.pk]), {"object_type": PATIENT, "object_id": patient.pk}
    )
    assert "1 of 1 verified" in mona.get(review).content.decode()
    response = mona.post(
        reverse("monitoring:query_open", args=[patient.pk]),
        {"object_type": PATIENT, "object_id": patient.pk, "field": "height_cm", "text": "Height?"},
    )
    query = DataQuery.objects.get()
    assert response["Location"] == reverse("monitoring:query", args=[query.pk])
    assert f"Query {query.pk}" in cora.get(reverse("monitoring:queries")).content.decode()
    cora.post(
        reverse("monitoring:query", args=[query.pk]),
        {"step": "answer", "version": 1, "text": "Checked: right."},
    )
    mona.post(
        reverse("monitoring:query", args=[query.pk]), {"step": "close", "version": 2, "text": "Thanks."}
    )
    assert DataQuery.objects.get().status == QueryStatus.CLOSED
    wrong = ivan.post(reverse("monitoring:sign", args=[patient.pk]), {"username": "ivan", "password": "nope"})
    assert wrong.status_code == 400
    assert 'id="id_password-error"' in wrong.content.decode()
    ivan.post(reverse("monitoring:sign", args=[patient.pk]), {"username": "ivan", "password": PASSWORD})
    page = ivan.get(review).content.decode()
    assert "Signed off and locked" in page
    assert "Ivan Ivanov" in page and "Meaning" in page


def test_a_write_to_a_locked_casebook_is_refused_with_the_reason_not_a_server_error(cast: Any) -> None:
    patient = make_patient(cast.cora)
    services.casebook_sign(user=cast.ivan, patient=patient, username="ivan", password=PASSWORD)
    response = _client(cast, "cora").post(
        reverse("patients:edit", args=[patient.pk]),
        {
            "given_name": "Test",
            "family_name": "Person",
            "sex": "female",
            "date_of_birth": "1970-05-17",
            "height_cm": "170",
            "email": "",
            "phone": "",
            "reason": "re-measured",
            "version": patient.version,
        },
    )
    assert response.status_code == 403
    assert "locked" in response.content.decode()
    assert Patient.objects.get(pk=patient.pk).height_cm == 165.0


def test_unlocking_needs_a_reason_next_to_the_field(cast: Any) -> None:
    patient = make_patient(cast.cora)
    services.casebook_sign(user=cast.ivan, patient=patient, username="ivan", password=PASSWORD)
    ada = _client(cast, "ada")
    response = ada.post(reverse("monitoring:unlock", args=[patient.pk]), {"reason": ""})
    assert response.status_code == 400
    assert 'id="id_reason-error"' in response.content.decode()
    ada.post(reverse("monitoring:unlock", args=[patient.pk]), {"reason": "late result"})
    assert (
        "Open: records can still change"
        in ada.get(reverse("monitoring:patient", args=[patient.pk])).content.decode()
    )
