from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from stromal.examinations.models import Observation
from tests.pathway.factories import ROLES, client_for, expected, make_examination, make_patient

pytestmark = pytest.mark.django_db

EVERYONE = ("physician", "nurse", "coordinator", "lab", "monitor", "investigator", "admin")


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client: Any, cast: Any, role: str) -> None:
    encounter = make_examination(cast, make_patient(cast.cora))
    c = client_for(client, cast, role)
    pk = encounter.pk
    assert c.get(reverse("examinations:detail", kwargs={"pk": pk})).status_code == expected(role, EVERYONE)
    enter = reverse("examinations:enter", kwargs={"pk": pk, "section": "vitals"})
    post = c.post(enter, {"vitals-version": encounter.version, "vitals-heart_rate_bpm": "99"})
    assert post.status_code == expected(role, ("physician", "nurse", "lab"), ok=302)
    schedule = reverse("examinations:schedule", kwargs={"patient_pk": encounter.patient_id})
    assert c.get(schedule).status_code == expected(role, ("coordinator", "physician"))
    amend = reverse("examinations:amend", kwargs={"pk": pk, "section": "vitals"})
    assert c.get(amend).status_code == expected(role, ("physician",))
    close = reverse("examinations:close", kwargs={"pk": pk})
    assert c.post(close, {"version": 999}).status_code == expected(role, ("physician",), ok=302)


def test_an_out_of_range_value_is_shown_next_to_the_field_and_nothing_saved(client: Any, cast: Any) -> None:
    encounter = make_examination(cast, make_patient(cast.cora))
    before = Observation.objects.count()
    client.force_login(cast.nina)
    response = client.post(
        reverse("examinations:enter", kwargs={"pk": encounter.pk, "section": "gas"}),
        {"gas-version": encounter.version, "gas-fio2": "40", "gas-pao2_mmhg": "65"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "FiO2 40 is outside the accepted range 0.21–1" in page and "did you mean 0.40?" in page
    assert Observation.objects.count() == before


def test_the_page_shows_assessments_with_the_rule_version(client: Any, cast: Any) -> None:
    encounter = make_examination(cast, make_patient(cast.cora))
    client.force_login(cast.mona)
    page = client.get(reverse("examinations:detail", kwargs={"pk": encounter.pk})).content.decode()
    assert "Rules version" in page and "175.0" in page


def test_another_sites_physician_gets_404(client: Any, cast: Any) -> None:
    encounter = make_examination(cast, make_patient(cast.cora))
    client.force_login(cast.oscar)
    assert client.get(reverse("examinations:detail", kwargs={"pk": encounter.pk})).status_code == 404
