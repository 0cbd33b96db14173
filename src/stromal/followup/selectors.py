"""Reads of discharges, follow-up visits and their outcome instruments, scoped to the reader's site."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from stromal.accounts.models import User
from stromal.administrations.models import AdverseEvent
from stromal.clinical.instruments import INSTRUMENTS, Instrument
from stromal.followup.due import instruments_due
from stromal.followup.models import (
    Discharge,
    FollowUpVisit,
    InstrumentNotDone,
    InstrumentResponse,
    VisitStatus,
)
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
        FollowUpVisit.objects.select_related("patient", "plan", "plan__protocol_version"),
        pk=pk,
        patient__site_id=site_id_of(user),
    )


def discharge_for_plan(*, plan_id: int) -> Discharge | None:
    return Discharge.objects.filter(plan_id=plan_id).first()


# --- outcome instruments ------------------------------------------------------------------------


@dataclass(frozen=True)
class Death:
    """A death recorded by a vital-status response: its date, cause and how it was known."""

    date_of_death: dt.date
    cause: str
    ascertainment: str
    visit_id: int
    visit_name: str


def death_of(*, patient_id: int) -> Death | None:
    """The patient's death as recorded at a follow-up visit (the earliest date if recorded twice)."""
    responses = InstrumentResponse.objects.filter(
        visit__patient_id=patient_id, instrument_code="vital_status", answers__vital_status="dead"
    ).select_related("visit")
    deaths = [
        Death(
            date_of_death=dt.date.fromisoformat(str(r.answers["date_of_death"])),
            cause=str(r.answers.get("cause_of_death", "")),
            ascertainment=str(r.answers.get("vital_status_ascertainment", "")),
            visit_id=r.visit_id,
            visit_name=r.visit.name,
        )
        for r in responses
    ]
    return min(deaths, key=lambda d: (d.date_of_death, d.visit_id)) if deaths else None


@dataclass(frozen=True)
class InstrumentSlot:
    """One instrument of a visit: due or not, and what was recorded (a response or a reason)."""

    instrument: Instrument
    due: bool
    response: InstrumentResponse | None
    not_done: InstrumentNotDone | None

    @property
    def recorded(self) -> bool:
        return self.response is not None or self.not_done is not None


@dataclass(frozen=True)
class VisitInstruments:
    """The instruments of one visit in page order: those due, then any recorded but no longer due."""

    slots: tuple[InstrumentSlot, ...]
    death: Death | None

    def open_slots(self) -> tuple[InstrumentSlot, ...]:
        """Due instruments with nothing recorded yet: the fieldsets of the recording page."""
        return tuple(s for s in self.slots if s.due and not s.recorded)

    def missing(self) -> tuple[Instrument, ...]:
        return tuple(s.instrument for s in self.open_slots())


def visit_instruments(*, visit: FollowUpVisit) -> VisitInstruments:
    """What the visit asks for and what it holds. A patient whose death was recorded at an
    earlier visit (or at this one) owes only vital status (``schedule.instruments_due``)."""
    death = death_of(patient_id=visit.patient_id)
    due = instruments_due(visit, deceased=death is not None)
    responses = {r.instrument_code: r for r in InstrumentResponse.objects.filter(visit=visit)}
    not_done = {n.instrument_code: n for n in InstrumentNotDone.objects.filter(visit=visit)}
    due_codes = [i.code for i in due]
    codes = [c for c in INSTRUMENTS if c in due_codes or c in responses or c in not_done]
    return VisitInstruments(
        slots=tuple(
            InstrumentSlot(
                instrument=INSTRUMENTS[c],
                due=c in due_codes,
                response=responses.get(c),
                not_done=not_done.get(c),
            )
            for c in codes
        ),
        death=death,
    )


def visit_adverse_events(*, visit: FollowUpVisit) -> QuerySet[AdverseEvent]:
    return AdverseEvent.objects.filter(followup_visit=visit).order_by("onset_at", "id")
