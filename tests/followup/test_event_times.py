"""Discharge and follow-up visits are never in the future and keep the pathway's order (issue #8, class 5)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stromal.administrations.models import AdministrationSession
from stromal.chronology import CLOCK_SKEW
from stromal.followup import services
from stromal.followup.models import Discharge, FollowUpVisit, InstrumentNotDone, VisitStatus
from stromal.plans.models import TreatmentPlan
from tests.administrations.factories import ready_plan
from tests.followup.factories import (
    _complete_course,
    _day0_days_ago,
    _discharge,
    complete_without_instruments,
)

pytestmark = pytest.mark.django_db


def _discharge_at(cast: Any, plan: TreatmentPlan, at: dt.datetime) -> Discharge:
    return services.discharge_record(
        plan=plan,
        physician=cast.alice,
        discharged_at=at,
        examination_findings="Chest clear",
        summary="Two infusions without events.",
    )


def _discharged_long_ago(cast: Any) -> TreatmentPlan:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    _day0_days_ago(plan, 200)
    _discharge(cast, plan)
    return plan


def test_it_refuses_a_discharge_in_2030(cast: Any) -> None:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    with pytest.raises(ValidationError) as refused:
        _discharge_at(cast, plan, dt.datetime(2030, 1, 1, 9, 0, tzinfo=dt.UTC))
    assert "cannot be later than now" in refused.value.message_dict["discharged_at"][0]
    assert not Discharge.objects.exists() and not FollowUpVisit.objects.exists()


def test_it_refuses_a_discharge_before_the_last_administration_ended(cast: Any) -> None:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    last_end = AdministrationSession.objects.filter(plan=plan).order_by("-ended_at").first().ended_at  # type: ignore[union-attr]
    with pytest.raises(ValidationError) as refused:
        _discharge_at(cast, plan, last_end - dt.timedelta(minutes=1))
    assert "the end of the last administration" in refused.value.message_dict["discharged_at"][0]
    _discharge_at(cast, plan, last_end.replace(second=0, microsecond=0))  # in the same minute: accepted


def test_a_discharge_within_the_clock_skew_is_accepted(cast: Any) -> None:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    _discharge_at(cast, plan, timezone.now() + CLOCK_SKEW - dt.timedelta(seconds=5))


def test_it_refuses_a_visit_completed_in_2099(cast: Any) -> None:
    plan = _discharged_long_ago(cast)
    visit = FollowUpVisit.objects.get(plan=plan, code="d28")
    with pytest.raises(ValidationError) as refused:
        complete_without_instruments(visit, cast.cora, dt.date(2099, 1, 1))
    assert "cannot be later than now" in refused.value.message_dict["completed_on"][0]
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.integers(min_value=-10, max_value=10))
def test_a_visit_is_completed_on_or_after_its_window_start(cast: Any, days: int) -> None:
    plan = TreatmentPlan.objects.filter(patient__mrn="MRN-0001").first() or _discharged_long_ago(cast)
    visit = FollowUpVisit.objects.get(plan=plan, code="d28")
    FollowUpVisit.objects.filter(pk=visit.pk).update(
        status=VisitStatus.SCHEDULED, completed_on=None, completed_by=None
    )
    InstrumentNotDone.objects.filter(visit=visit).delete()  # each example records the visit afresh
    visit.refresh_from_db()
    on = visit.window_start + dt.timedelta(days=days)
    if days < 0:
        with pytest.raises(ValidationError) as refused:
            complete_without_instruments(visit, cast.cora, on)
        assert "its window's start" in refused.value.message_dict["completed_on"][0]
    else:
        complete_without_instruments(visit, cast.cora, on)
        visit.refresh_from_db()
        assert visit.completed_on == on
        assert visit.out_of_window == (on > visit.window_end)


def test_it_refuses_a_discharge_at_9999_12_31_23_59_in_new_york_without_an_overflow(cast: Any) -> None:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    new_york = ZoneInfo("America/New_York")
    with timezone.override(new_york), pytest.raises(ValidationError) as refused:
        _discharge_at(cast, plan, dt.datetime(9999, 12, 31, 23, 59, tzinfo=new_york))
    assert "cannot be later than now" in refused.value.message_dict["discharged_at"][0]
    assert not Discharge.objects.exists()
