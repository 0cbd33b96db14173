"""Issue #8: an examination is booked between the registration and the scheduling horizon."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from stromal.chronology import SCHEDULING_HORIZON
from stromal.examinations.models import Encounter
from stromal.examinations.services import encounter_schedule
from tests.pathway.factories import make_patient

pytestmark = pytest.mark.django_db

EXTREMES = ["0001-01-01T00:00", "1900-01-01T00:00", "9999-12-31T10:00", "9999-12-31T23:59"]


@pytest.mark.parametrize("when", EXTREMES)
def test_the_service_refuses_an_examination_at_an_extreme_date(cast: Any, when: str) -> None:
    patient = make_patient(cast.cora)
    with timezone.override(ZoneInfo("America/New_York")):
        aware = timezone.make_aware(dt.datetime.fromisoformat(when))
        with pytest.raises(ValidationError) as exc:
            encounter_schedule(patient=patient, user=cast.cora, scheduled_for=aware)
    assert "scheduled_for" in exc.value.message_dict
    assert not Encounter.objects.filter(patient=patient).exists()


def test_an_examination_before_the_registration_is_refused(cast: Any) -> None:
    patient = make_patient(cast.cora)
    with pytest.raises(ValidationError) as exc:
        encounter_schedule(
            patient=patient, user=cast.cora, scheduled_for=patient.created_at - dt.timedelta(days=1)
        )
    assert "the patient's registration" in exc.value.message_dict["scheduled_for"][0]


def test_an_examination_up_to_the_horizon_is_booked_and_one_minute_later_is_not(cast: Any) -> None:
    patient = make_patient(cast.cora)
    now = timezone.now()
    encounter_schedule(
        patient=patient, user=cast.cora, scheduled_for=now + SCHEDULING_HORIZON - dt.timedelta(minutes=1)
    )
    with pytest.raises(ValidationError):
        encounter_schedule(
            patient=patient,
            user=cast.cora,
            scheduled_for=timezone.now() + SCHEDULING_HORIZON + dt.timedelta(minutes=1),
        )


@pytest.mark.parametrize("when", EXTREMES)
def test_the_schedule_page_shows_the_rule_for_an_extreme_date_in_a_new_york_site(
    client: Any, cast: Any, when: str
) -> None:
    patient = make_patient(cast.cora)
    site = patient.site
    site.time_zone = "America/New_York"
    site.save()
    client.force_login(cast.cora)
    response = client.post(
        reverse("examinations:schedule", kwargs={"patient_pk": patient.pk}), {"scheduled_for": when}
    )
    assert response.status_code == 400
    assert "scheduled_for" in response.context["form"].errors
    assert not Encounter.objects.filter(patient=patient).exists()
