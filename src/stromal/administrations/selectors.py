"""Reads of administrations and adverse events, always scoped to the reader's site."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from stromal import display
from stromal.accounts.models import User
from stromal.administrations.models import OPEN_STATES, AdministrationSession, AdverseEvent, SessionStatus
from stromal.administrations.vitals import EVENT_SPECS, VITAL_SPECS
from stromal.audit.selectors import audit_for_object
from stromal.forms_clinical import field_label
from stromal.patients.guards import site_id_of


def session_get(*, user: User, pk: int) -> AdministrationSession:
    return get_object_or_404(
        AdministrationSession.objects.select_related(
            "patient",
            "plan",
            "plan__protocol_version",
            "product",
            "first_checker",
            "second_checker",
            "stop_confirmed_by",
            "off_schedule_by",
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


# --- what the pages show --------------------------------------------------------------------

#: The audit actions of sessions and adverse events, in words for the record's history.
ACTION_LABELS: dict[str, str] = {
    "session_schedule": "Scheduled",
    "session_allocate": "Unit allocated",
    "session_prepare": "Thawed / prepared",
    "session_identity_checked": "Identity checked",
    "session_off_schedule": "Outside the scheduled day: physician's reason",
    "session_start": "Started",
    "session_interrupt": "Interrupted",
    "session_resume": "Resumed",
    "session_stopped_by_rule": "Stopped by a stopping rule",
    "session_confirm_stop": "Stop confirmed by a physician",
    "session_record_given": "Amount given recorded",
    "session_correct_given": "Amount given corrected",
    "session_cancel": "Cancelled",
    "ae_report": "Reported",
    "ae_open_stopping_rule": "Opened by a stopping rule",
    "ae_grade": "Graded",
    "ae_regrade": "Regraded",
}
#: Bookkeeping fields left out of the history's "what changed".
_QUIET_FIELDS = {"version", "baseline", "stopping_hits"}


@dataclass(frozen=True)
class HistoryEntry:
    """One audit event in words, shaped for the shared ``audit/_record_history.html``."""

    at: dt.datetime
    actor_username: str  # the person's display name
    action: str
    changes: dict[str, tuple[object, object]]
    reason: str


def record_history(instance: models.Model) -> list[HistoryEntry]:
    """The record's audit events, oldest first, for its page: who, when, what changed, why."""
    entries = []
    for event in audit_for_object(instance).select_related("actor").order_by("at", "id"):
        # Who and when are the row's own columns; record ids mean nothing on screen.
        changes = {
            name.replace("_", " "): (old, new)
            for name, (old, new) in sorted(event.changes.items())
            if name not in _QUIET_FIELDS and not name.endswith("_id")
        }
        who = event.actor.display_name() if event.actor is not None else event.actor_username
        entries.append(
            HistoryEntry(event.at, who, ACTION_LABELS.get(event.action, event.action), changes, event.reason)
        )
    return entries


@dataclass(frozen=True)
class ValuesTable:
    """Vitals as a table: labelled columns with units, one row per time point."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _shown(value: Any) -> str:
    """A recorded value as every page shows it (``stromal.display``)."""
    return display.humanize_code(value) if isinstance(value, str) else display.number(value)


def values_table(
    records: Sequence[Mapping[str, Any]], *, lead: Sequence[tuple[str, str]] = ()
) -> ValuesTable:
    """Columns for every vital sign recorded in any of ``records`` (in the form's order), labelled
    with its unit, then the events flagged; ``lead`` adds leading columns (label, key) first."""
    used = [s for s in VITAL_SPECS if any(r.get(s.name) is not None for r in records)]
    columns = tuple(label for label, _key in lead) + tuple(field_label(s) for s in used) + ("Events",)
    rows = []
    for record in records:
        events = ", ".join(s.description for s in EVENT_SPECS if record.get(s.name) is True) or "—"
        cells = [_shown(record.get(key)) for _label, key in lead]
        cells += [_shown(record[s.name]) if record.get(s.name) is not None else "—" for s in used]
        rows.append((*cells, events))
    return ValuesTable(columns, tuple(rows))
