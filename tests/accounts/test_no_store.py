"""Pages seen by a signed-in user are never cached; the public form may be."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.pathway.factories import make_patient

pytestmark = pytest.mark.django_db


def test_a_patient_page_is_not_stored_by_the_browser(cast: Any) -> None:
    patient = make_patient(cast.cora)
    client = Client()
    client.force_login(cast.alice)
    response = client.get(reverse("pathway:patient", args=[patient.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_an_audit_csv_is_not_stored_either(cast: Any) -> None:
    patient = make_patient(cast.cora)
    client = Client()
    client.force_login(cast.mona)
    response = client.get(reverse("patient_audit", args=[patient.pk]), {"format": "csv"})
    assert "no-store" in response["Cache-Control"]
