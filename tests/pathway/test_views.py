from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.pathway.factories import ROLES, client_for, expected, make_patient, make_plan

pytestmark = pytest.mark.django_db

EVERYONE = ("physician", "nurse", "coordinator", "lab", "monitor", "investigator", "admin")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["pathway:worklist", "pathway:patient"])
def test_permission_matrix(client: Any, cast: Any, role: str, name: str) -> None:
    plan = make_plan(cast)
    kwargs = {"pk": plan.patient.pk} if name == "pathway:patient" else {}
    response = client_for(client, cast, role).get(reverse(name, kwargs=kwargs))
    assert response.status_code == expected(role, EVERYONE)


def test_a_user_of_another_site_gets_404_for_a_patient_by_url(client: Any, cast: Any) -> None:
    patient = make_patient(cast.cora)
    client.force_login(cast.oscar)
    assert client.get(reverse("pathway:patient", kwargs={"pk": patient.pk})).status_code == 404


def test_the_patient_page_shows_the_current_step_and_next_action(client: Any, cast: Any) -> None:
    plan = make_plan(cast)
    client.force_login(cast.mona)
    page = client.get(reverse("pathway:patient", kwargs={"pk": plan.patient.pk})).content.decode()
    assert "Record the plan meeting" in page
    assert 'aria-current="step"' in page


def test_the_physician_worklist_lists_plans_awaiting_a_signature(client: Any, cast: Any) -> None:
    plan = make_plan(cast)
    client.force_login(cast.bob)
    page = client.get(reverse("pathway:worklist")).content.decode()
    assert "Plans awaiting your signature" in page and plan.patient.full_name in page


def test_home_leads_to_the_worklist(client: Any, cast: Any) -> None:
    client.force_login(cast.nina)
    page = client.get(reverse("home")).content.decode()
    assert reverse("pathway:worklist") in page
