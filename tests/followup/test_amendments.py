"""A recorded follow-up visit is corrected with a reason, kept and shown in its history (issue #8)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from stromal.audit.models import AuditEvent
from stromal.followup import services
from stromal.followup.models import FollowUpVisit, VisitStatus
from tests.administrations.factories import ready_plan
from tests.followup.factories import (
    _complete_course,
    _day0_days_ago,
    _discharge,
    complete_without_instruments,
)

pytestmark = pytest.mark.django_db

REASON = "Date copied from the wrong letter; the clinic diary says the 3rd."


def _recorded_d28(cast: Any) -> FollowUpVisit:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    _day0_days_ago(plan, 200)
    _discharge(cast, plan)
    visit = FollowUpVisit.objects.get(plan=plan, code="d28")
    return complete_without_instruments(visit, cast.cora, visit.target_date, notes="6MWD 380 m")


def test_a_recorded_visit_is_corrected_with_a_reason_in_its_history(cast: Any) -> None:
    visit = _recorded_d28(cast)
    new_date = visit.window_end + dt.timedelta(days=1)
    services.visit_amend(
        visit=visit,
        user=cast.nina,
        version=visit.version,
        reason=REASON,
        completed_on=new_date,
        notes="6MWD 390 m",
    )
    visit.refresh_from_db()
    assert visit.completed_on == new_date and visit.out_of_window and visit.notes == "6MWD 390 m"
    event = AuditEvent.objects.get(action="followup_amend", object_id=str(visit.pk))
    assert event.reason == REASON and event.changes["notes"] == ["6MWD 380 m", "6MWD 390 m"]


def test_a_correction_needs_a_reason(cast: Any) -> None:
    visit = _recorded_d28(cast)
    with pytest.raises(ValidationError) as refused:
        services.visit_amend(visit=visit, user=cast.cora, version=visit.version, reason=" ", notes="other")
    assert refused.value.message_dict == {"reason": [services.AMEND_NEEDS_REASON]}


def test_a_correction_keeps_the_date_rules(cast: Any) -> None:
    visit = _recorded_d28(cast)
    for wrong in (dt.date(2099, 1, 1), visit.window_start - dt.timedelta(days=1)):
        with pytest.raises(ValidationError):
            services.visit_amend(
                visit=visit, user=cast.cora, version=visit.version, reason=REASON, completed_on=wrong
            )
    visit.refresh_from_db()
    assert visit.completed_on == visit.target_date


def test_a_scheduled_visit_is_recorded_not_corrected(cast: Any) -> None:
    visit = _recorded_d28(cast)
    m3 = FollowUpVisit.objects.get(plan=visit.plan, code="m3")
    with pytest.raises(ValidationError) as refused:
        services.visit_amend(visit=m3, user=cast.cora, version=m3.version, reason=REASON, notes="x")
    assert refused.value.messages == [services.AMEND_ONLY_RECORDED]


def test_a_correction_that_changes_nothing_is_refused(cast: Any) -> None:
    visit = _recorded_d28(cast)
    with pytest.raises(ValidationError) as refused:
        services.visit_amend(
            visit=visit, user=cast.cora, version=visit.version, reason=REASON, notes=visit.notes
        )
    assert refused.value.messages == [services.AMEND_NO_CHANGE]


def test_a_missed_visits_reason_is_corrected_but_it_gets_no_date(cast: Any) -> None:
    visit = _recorded_d28(cast)
    m3 = FollowUpVisit.objects.get(plan=visit.plan, code="m3")
    m3 = services.visit_mark_missed(visit=m3, user=cast.cora, version=m3.version, reason="not reachable")
    services.visit_amend(
        visit=m3, user=cast.cora, version=m3.version, reason=REASON, notes="moved abroad; not reachable"
    )
    m3.refresh_from_db()
    assert m3.status == VisitStatus.MISSED and m3.notes == "moved abroad; not reachable"
    with pytest.raises(ValidationError) as refused:
        services.visit_amend(
            visit=m3, user=cast.cora, version=m3.version, reason=REASON, completed_on=m3.target_date
        )
    assert refused.value.message_dict == {"completed_on": [services.MISSED_HAS_NO_DATE]}


def test_a_monitor_cannot_correct_a_visit(cast: Any) -> None:
    visit = _recorded_d28(cast)
    with pytest.raises(PermissionDenied):
        services.visit_amend(visit=visit, user=cast.mona, version=visit.version, reason=REASON, notes="x")


def test_the_visit_page_shows_the_notes_and_the_correction_with_its_reason(cast: Any) -> None:
    visit = _recorded_d28(cast)
    client = Client()
    client.force_login(cast.cora)
    calendar = client.get(reverse("followup:calendar", args=[visit.patient_id])).content.decode()
    assert "6MWD 380 m" in calendar and reverse("followup:visit", args=[visit.pk]) in calendar
    response = client.post(
        reverse("followup:amend", args=[visit.pk]),
        {
            "version": visit.version,
            "completed_on": visit.target_date.isoformat(),
            "notes": "6MWD 390 m",
            "reason": "",
        },
    )
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    response = client.post(
        reverse("followup:amend", args=[visit.pk]),
        {
            "version": visit.version,
            "completed_on": visit.target_date.isoformat(),
            "notes": "6MWD 390 m",
            "reason": REASON,
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("followup:visit", args=[visit.pk])
    page = client.get(reverse("followup:visit", args=[visit.pk])).content.decode()
    assert "6MWD 390 m" in page and REASON in page and "6MWD 380 m → 6MWD 390 m" in page
