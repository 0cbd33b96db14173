"""Reads of discharges and follow-up visits, scoped to the reader's site."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from stromal.accounts.models import User
from stromal.followup.models import Discharge, FollowUpVisit, VisitStatus
from stromal.patients.guards import site_id_of


def visits_for_patient(*, patient_id: int) -> QuerySet[FollowUpVisit]:
    return FollowUpVisit.objects.filter(patient_id=patient_id)


def visits_overdue(*, user: User, today: dt.date) -> QuerySet[FollowUpVisit]:
    """Scheduled visits whose window has closed: the coordinator's call list."""
    return (
        FollowUpVisit.objects.filter(
            patient__site_id=site_id_of(user), status=VisitStatus.SCHEDULED, window_end__lt=today
        )
        .select_related("patient")
        .order_by("window_end", "id")
    )


def visits_due(*, user: User, today: dt.date) -> QuerySet[FollowUpVisit]:
    return (
        FollowUpVisit.objects.filter(
            patient__site_id=site_id_of(user),
            status=VisitStatus.SCHEDULED,
            window_start__lte=today,
            window_end__gte=today,
        )
        .select_related("patient")
        .order_by("window_end", "id")
    )


def visit_get(*, user: User, pk: int) -> FollowUpVisit:
    return get_object_or_404(
        FollowUpVisit.objects.select_related("patient", "plan"), pk=pk, patient__site_id=site_id_of(user)
    )


def discharge_for_plan(*, plan_id: int) -> Discharge | None:
    return Discharge.objects.filter(plan_id=plan_id).first()
