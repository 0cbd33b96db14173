"""The audit trail on screen: who may read it, what a row says, filters, paging and CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from stromal.accounts.models import User
from stromal.patients.models import Patient
from stromal.patients.services import patient_update
from tests.conftest import PASSWORD
from tests.pathway.factories import make_patient

pytestmark = pytest.mark.django_db

READERS = {"mona", "ivan", "ada"}
OTHERS = {"alice", "bob", "nina", "cora", "luke"}


def _client(cast: Any, who: str | None) -> Client:
    client = Client()
    if who:
        client.force_login(getattr(cast, who))
    return client


def _patient_with_a_correction(cast: Any, reason: str = "typo in the referral letter") -> Patient:
    patient = make_patient(cast.cora)
    patient.refresh_from_db()
    patient_update(patient=patient, user=cast.cora, version=patient.version, reason=reason, height_cm=171.0)
    return patient


def _urls(cast: Any, patient: Patient) -> dict[str, str]:
    return {
        "patient": reverse("patient_audit", args=[patient.pk]),
        "record": reverse("audit:record", args=["patients.patient", str(patient.pk)]),
        "user": reverse("audit:user", args=[cast.cora.pk]),
    }


@pytest.mark.parametrize("who", [*sorted(READERS | OTHERS), None])
def test_permission_matrix(cast: Any, who: str | None) -> None:
    patient = _patient_with_a_correction(cast)
    client = _client(cast, who)
    for kind, url in _urls(cast, patient).items():
        response = client.get(url)
        if who is None:
            assert response.status_code == 302, (kind, who)
            assert "/accounts/login/" in response["Location"]
        elif kind == "user":
            assert response.status_code == (200 if who == "ada" else 403), (kind, who)
        else:
            assert response.status_code == (200 if who in READERS else 403), (kind, who)


def test_a_monitor_of_another_site_sees_no_such_patient_or_record(cast: Any, other_site: Any) -> None:
    patient = _patient_with_a_correction(cast)
    outsider = User.objects.create_user(
        username="otto", password=PASSWORD, role="monitor", site=other_site, printed_name="Otto"
    )
    admin = User.objects.create_user(
        username="olga", password=PASSWORD, role="admin", site=other_site, printed_name="Olga"
    )
    client = Client()
    client.force_login(outsider)
    urls = _urls(cast, patient)
    assert client.get(urls["patient"]).status_code == 404
    assert client.get(urls["record"]).status_code == 404
    client.force_login(admin)
    assert client.get(urls["user"]).status_code == 404


def test_a_row_says_who_what_old_new_why_and_where(cast: Any) -> None:
    patient = _patient_with_a_correction(cast)
    page = _client(cast, "mona").get(_urls(cast, patient)["patient"]).content.decode()
    assert "Cora Clark" in page and "(cora)" in page
    assert "typo in the referral letter" in page
    assert "height" in page and "171.0" in page
    assert "command" in page or "web" in page or "—" in page


def test_filters_narrow_by_record_type_user_and_date_and_bad_dates_are_explained(cast: Any) -> None:
    patient = _patient_with_a_correction(cast)
    client = _client(cast, "ivan")
    url = _urls(cast, patient)["patient"]
    assert "typo in the referral letter" in client.get(url, {"actor": cast.cora.pk}).content.decode()
    assert "No changes match" in client.get(url, {"actor": cast.alice.pk}).content.decode()
    assert "No changes match" in client.get(url, {"object_type": "plans.treatmentplan"}).content.decode()
    assert (
        "No changes match"
        in client.get(url, {"object_type": "patients.patient", "actor": cast.alice.pk}).content.decode()
    )
    assert "No changes match" in client.get(url, {"date_from": "2099-01-01"}).content.decode()
    response = client.get(url, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.status_code == 200
    assert 'id="id_date_to-error"' in response.content.decode()
    bad = client.get(url, {"date_from": "not a date"})
    assert bad.status_code == 200
    assert 'id="id_date_from-error"' in bad.content.decode()
    assert "No changes match" in bad.content.decode()


def test_the_trail_pages_newest_first(cast: Any) -> None:
    patient = make_patient(cast.cora)
    for i in range(30):
        patient.refresh_from_db()
        patient_update(
            patient=patient, user=cast.cora, version=patient.version, reason=f"r{i}", height_cm=150.0 + i
        )
    client = _client(cast, "mona")
    first = client.get(_urls(cast, patient)["patient"]).content.decode()
    assert "r29" in first and ">r0<" not in first
    second = client.get(_urls(cast, patient)["patient"], {"page": 2}).content.decode()
    assert ">r0<" in second


def test_the_csv_has_one_row_per_change_and_neutralises_formulas(cast: Any) -> None:
    patient = _patient_with_a_correction(cast, reason='=HYPERLINK("http://evil","x")')
    response = _client(cast, "mona").get(_urls(cast, patient)["patient"], {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    corrections = [r for r in rows if r["action"] != "create"]
    # One event changed two fields: two rows, each with its old and new value.
    assert sorted((r["field"], r["old"], r["new"]) for r in corrections) == [
        ("height cm", "165.0", "171.0"),
        ("version", "1", "2"),
    ]
    assert all(r["reason"].startswith("'=HYPERLINK") for r in corrections)
    assert all(r["username"] == "cora" for r in rows)
