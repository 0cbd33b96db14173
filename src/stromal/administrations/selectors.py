"""Reads of administrations and adverse events, always scoped to the reader's site."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from stromal.accounts.models import User
from stromal.administrations.models import OPEN_STATES, AdministrationSession, AdverseEvent, SessionStatus
from stromal.patients.guards import site_id_of


def session_get(*, user: User, pk: int) -> AdministrationSession:
    return get_object_or_404(
        AdministrationSession.objects.select_related(
            "patient", "plan", "plan__protocol_version", "product", "first_checker", "second_checker"
        ),
        pk=pk,
        patient__site_id=site_id_of(user),
    )


def sessions_for_patient(*, patient_id: int) -> QuerySet[AdministrationSession]:
    return AdministrationSession.objects.filter(patient_id=patient_id).select_related("product")


def sessions_today(*, user: User, day: dt.date) -> QuerySet[AdministrationSession]:
    """Open sessions due on or before ``day`` (the nurse's worklist)."""
    return AdministrationSession.objects.filter(
        patient__site_id=site_id_of(user), status__in=OPEN_STATES, scheduled_date__lte=day
    ).select_related("patient", "product")


def sessions_awaiting_confirmation(*, user: User) -> QuerySet[AdministrationSession]:
    return AdministrationSession.objects.filter(
        patient__site_id=site_id_of(user), status=SessionStatus.STOPPED, stop_confirmed_by__isnull=True
    ).select_related("patient")


def sessions_needing_product(*, user: User) -> QuerySet[AdministrationSession]:
    return AdministrationSession.objects.filter(
        patient__site_id=site_id_of(user), status=SessionStatus.SCHEDULED, product__isnull=True
    ).select_related("patient", "plan")


def adverse_event_list(*, user: User) -> QuerySet[AdverseEvent]:
    return AdverseEvent.objects.filter(patient__site_id=site_id_of(user)).select_related("patient", "session")


def adverse_event_get(*, user: User, pk: int) -> AdverseEvent:
    return get_object_or_404(
        AdverseEvent.objects.select_related("patient", "session", "graded_by", "reported_by"),
        pk=pk,
        patient__site_id=site_id_of(user),
    )


def adverse_events_ungraded(*, user: User) -> QuerySet[AdverseEvent]:
    return adverse_event_list(user=user).filter(ctcae_grade__isnull=True)


def adverse_events_expedited(*, user: User) -> QuerySet[AdverseEvent]:
    return adverse_event_list(user=user).filter(expedited_review=True)
