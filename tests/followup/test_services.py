from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from stromal.audit.models import AuditEvent
from stromal.followup import services
from stromal.followup.models import FollowUpVisit, VisitStatus
from stromal.followup.selectors import visits_due, visits_overdue
from tests.administrations.factories import ready_plan, running_session
from tests.followup.factories import (
    _complete_course,
    _day0_days_ago,
    _discharge,
    complete_without_instruments,
)

pytestmark = pytest.mark.django_db


def test_discharge_generates_the_protocols_follow_up_calendar(cast: Any) -> None:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    _discharge(cast, plan)
    visits = list(FollowUpVisit.objects.filter(plan=plan))
    assert [v.code for v in visits] == ["d28", "m3", "m6", "y1", "y2", "y3", "y4", "y5"]
    assert visits[0].target_date == plan.start_date + dt.timedelta(days=28)
    assert AuditEvent.objects.filter(action="discharge", patient_id_at_event=plan.patient_id).exists()


def test_discharge_is_refused_while_an_administration_is_open(cast: Any) -> None:
    plan = ready_plan(cast)
    running_session(cast, plan, 1)
    with pytest.raises(ValidationError, match="still open"):
        _discharge(cast, plan)


def test_discharge_is_a_physicians_act(cast: Any) -> None:
    plan = ready_plan(cast)
    with pytest.raises(PermissionDenied):
        services.discharge_record(
            plan=plan,
            physician=cast.nina,
            discharged_at=timezone.now(),
            examination_findings="x",
            summary="y",
        )


def test_a_visit_past_its_window_is_listed_as_overdue_until_done(cast: Any) -> None:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    _day0_days_ago(plan, 60)
    _discharge(cast, plan)
    d28 = FollowUpVisit.objects.get(plan=plan, code="d28")
    assert list(visits_overdue(user=cast.cora, today=d28.window_end + dt.timedelta(days=1))) == [d28]
    assert list(visits_due(user=cast.cora, today=d28.target_date)) == [d28]
    complete_without_instruments(d28, cast.cora, d28.window_end + dt.timedelta(days=1))
    d28.refresh_from_db()
    assert d28.status == VisitStatus.COMPLETED and d28.out_of_window
    assert not visits_overdue(user=cast.cora, today=d28.window_end + dt.timedelta(days=1)).exists()


def test_a_missed_visit_needs_a_reason(cast: Any) -> None:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    _discharge(cast, plan)
    visit = FollowUpVisit.objects.get(plan=plan, code="m3")
    with pytest.raises(ValidationError, match="reason"):
        services.visit_mark_missed(visit=visit, user=cast.cora, version=visit.version, reason=" ")
    services.visit_mark_missed(visit=visit, user=cast.cora, version=visit.version, reason="not reachable")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.MISSED


def test_a_monitor_cannot_record_a_visit(cast: Any) -> None:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    _discharge(cast, plan)
    visit = FollowUpVisit.objects.get(plan=plan, code="m3")
    with pytest.raises(PermissionDenied):
        services.visit_complete(
            visit=visit, user=cast.mona, version=visit.version, completed_on=visit.target_date
        )


def test_the_database_refuses_a_target_outside_its_window(cast: Any) -> None:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    _discharge(cast, plan)
    visit = FollowUpVisit.objects.get(plan=plan, code="m3")
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpVisit.objects.filter(pk=visit.pk).update(window_end=visit.target_date - dt.timedelta(days=1))
