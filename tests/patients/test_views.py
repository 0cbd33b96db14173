from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.pathway.factories import ROLES, client_for, expected, make_patient

pytestmark = pytest.mark.django_db

EVERYONE = ("physician", "nurse", "coordinator", "lab", "monitor", "investigator", "admin")
WRITERS = ("coordinator", "physician")


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client: Any, cast: Any, role: str) -> None:
    patient = make_patient(cast.cora)
    c = client_for(client, cast, role)
    assert c.get(reverse("patients:list")).status_code == expected(role, EVERYONE)
    assert c.get(reverse("patients:new")).status_code == expected(role, WRITERS)
    assert c.get(reverse("patients:edit", kwargs={"pk": patient.pk})).status_code == expected(role, WRITERS)
    assert c.get(reverse("patients:related_new", kwargs={"pk": patient.pk})).status_code == expected(
        role, WRITERS
    )
    assert c.get(reverse("protocols:list")).status_code == expected(role, EVERYONE)


def test_the_list_shows_only_the_own_site(client: Any, cast: Any) -> None:
    make_patient(cast.cora, "MINE-1", family_name="Local")
    make_patient(cast.oscar, "THEIRS-1", family_name="Faraway")
    client.force_login(cast.mona)
    page = client.get(reverse("patients:list")).content.decode()
    assert "Local" in page and "Faraway" not in page


def test_registering_with_a_bad_height_shows_the_error_and_saves_nothing(client: Any, cast: Any) -> None:
    client.force_login(cast.cora)
    response = client.post(
        reverse("patients:new"),
        {
            "mrn": "N-9",
            "given_name": "A",
            "family_name": "B",
            "sex": "male",
            "date_of_birth": "1970-01-01",
            "height_cm": "1.8",
        },
    )
    assert response.status_code == 400
    assert "greater than or equal to 100" in response.content.decode()


@pytest.mark.parametrize("query", ["Ada Lovelace", "Lovelace Ada", "MRN-0815", "ádá lovelace", "%00"])
def test_the_search_page_finds_a_patient_by_several_words_and_never_fails(
    client: Any, cast: Any, query: str
) -> None:
    make_patient(cast.cora, "MRN-0815", given_name="Ada", family_name="Lovelace")
    make_patient(cast.cora, "MRN-0900", given_name="Alan", family_name="Turing")
    client.force_login(cast.mona)
    response = client.get(reverse("patients:list"), {"q": query.replace("%00", "\x00")})
    page = response.content.decode()
    assert response.status_code == 200
    if query == "%00":
        assert "No patient matches" in page
    else:
        assert "Lovelace, Ada" in page and "Turing" not in page
