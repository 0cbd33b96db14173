"""Server errors found by fuzzing (issue #8, class 8), kept as regression cases: a clear message, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from stromal.plans.models import EligibilityCheck
from stromal.plans.views import PROTOCOL_NOT_LISTED
from stromal.submissions.middleware import NUL_REFUSED
from tests.pathway.factories import make_examination, make_patient

pytestmark = pytest.mark.django_db


def test_a_nul_byte_in_the_patient_search_finds_nothing_instead_of_a_500(client: Client, cast: Any) -> None:
    """(The search's own handling; tests/patients holds it too.)"""
    client.force_login(cast.alice)
    response = client.get("/patients/?q=%00")
    assert response.status_code == 200 and "No patient matches" in response.content.decode()


def test_a_nul_byte_in_any_posted_form_gets_a_clear_400_naming_the_field(client: Client, cast: Any) -> None:
    client.force_login(cast.cora)
    response = client.post(reverse("patients:new"), {"mrn": "N-1", "given_name": "A\x00", "family_name": "B"})
    assert response.status_code == 400
    assert NUL_REFUSED.format(field="given_name") in response.content.decode()


@pytest.mark.parametrize("protocol", ["abc", "", "-1", "2147483648", "99999999999999999999999", "1.5"])
def test_an_unlisted_protocol_for_the_eligibility_check_is_refused_with_a_message(
    client: Client, cast: Any, protocol: str
) -> None:
    encounter = make_examination(cast, make_patient(cast.cora))
    client.force_login(cast.alice)
    response = client.post(
        reverse("plans:eligibility_run", kwargs={"encounter_pk": encounter.pk}), {"protocol": protocol}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("examinations:detail", kwargs={"pk": encounter.pk})
    page = client.get(response["Location"]).content.decode()
    assert PROTOCOL_NOT_LISTED.format(value=protocol) in page
    assert not EligibilityCheck.objects.exists()


def test_the_audit_trail_of_a_patient_with_an_examination_opens(client: Client, cast: Any) -> None:
    """Found by the fuzz test: an audited observation key (weight_kg) is no model field of the encounter."""
    patient = make_patient(cast.cora)
    make_examination(cast, patient)
    client.force_login(cast.mona)
    response = client.get(reverse("patient_audit", kwargs={"pk": patient.pk}))
    assert response.status_code == 200
    assert "weight kg" in response.content.decode()


OVERSIZED_ID = "1111111111111111111111111"


def test_an_oversized_physician_id_in_the_meeting_form_is_select_a_valid_choice_not_a_500(
    client: Client, cast: Any
) -> None:
    from django.utils import timezone

    from stromal.plans.models import PlanMeeting
    from tests.administrations.factories import drafted_plan

    plan = drafted_plan(cast)
    client.force_login(cast.cora)
    response = client.post(
        reverse("plans:meeting", kwargs={"pk": plan.pk}),
        {
            "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "physicians": OVERSIZED_ID,
            "options_discussed": "conventional",
        },
    )
    assert response.status_code == 400
    assert f"Select a valid choice. {OVERSIZED_ID} is not one of the available choices." in (
        response.content.decode()
    )
    assert not PlanMeeting.objects.filter(plan=plan).exists()
