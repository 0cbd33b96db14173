"""Reads of discharges, follow-up visits and their outcome instruments, scoped to the reader's site."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from stromal.accounts.models import User
from stromal.administrations.models import AdverseEvent
from stromal.clinical.instruments import INSTRUMENTS, Instrument, vital_status
from stromal.followup.due import instruments_due
from stromal.followup.models import (
    Discharge,
    FollowUpVisit,
    InstrumentNotDone,
    InstrumentResponse,
    VisitStatus,
)
from stromal.patients.guards import site_id_of
from stromal.patients.models import Patient


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

    @property
    def cause_label(self) -> str:
        return dict(vital_status.CAUSES).get(self.cause, self.cause)

    @property
    def ascertainment_label(self) -> str:
        return dict(vital_status.ASCERTAINMENT).get(self.ascertainment, self.ascertainment)


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


# --- the outcome series of a patient (for tables and charts) --------------------------------------


@dataclass(frozen=True)
class ReferencePoint:
    """A measurement against its reference equation at one visit.

    ``measured`` and ``lln`` are in ``unit``; ``percent_predicted`` and
    ``lln_percent_predicted`` (the LLN as % of predicted: the band a chart draws)
    in % of predicted. ``equation`` names the equation (``gli_global_2022``,
    ``gli_2012``, ``gli_2017_dlco``, ``enright_sherrill_1998``).
    """

    measured: float
    unit: str
    predicted: float
    percent_predicted: float
    lln: float
    lln_percent_predicted: float
    below_lln: bool
    z: float | None
    equation: str
    outside_reference_population: bool = False


@dataclass(frozen=True)
class OutcomeRow:
    """One follow-up visit of a patient's series: what was measured there (None: not recorded).

    ``on`` is the visit date (the target date of a missed visit); ``status`` is the
    visit's status (``completed`` or ``missed``). Questionnaire scores are totals:
    mMRC grade 0-4, MoCA adjusted 0-30, PHQ-9 0-27, GAD-7 0-21; ``rand36`` maps the
    eight RAND-36 scales to 0-100 (None: no item of the scale answered).
    """

    visit_id: int
    visit_code: str
    visit_name: str
    day_offset: int
    on: dt.date
    status: str
    fev1: ReferencePoint | None
    fvc: ReferencePoint | None
    fev1_fvc: ReferencePoint | None
    dlco: ReferencePoint | None
    six_minute_walk: ReferencePoint | None
    mmrc_grade: int | None
    moca_adjusted: int | None
    phq9_total: int | None
    gad7_total: int | None
    rand36: dict[str, float | None]


@dataclass(frozen=True)
class OutcomeSeries:
    """A patient's follow-up outcomes by visit (oldest first), and the death if one was recorded."""

    patient_id: int
    rows: tuple[OutcomeRow, ...]
    death: Death | None

    def has_values(self) -> bool:
        return any(r.status == VisitStatus.COMPLETED for r in self.rows)


def _float(scores: dict[str, object], key: str) -> float | None:
    value = scores.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(scores: dict[str, object], key: str) -> int | None:
    value = scores.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _point(
    scores: dict[str, object],
    *,
    measured: str,
    predicted: str,
    lln: str,
    z: str | None,
    unit: str,
    equation: str,
) -> ReferencePoint | None:
    m, p, low = _float(scores, measured), _float(scores, predicted), _float(scores, lln)
    if m is None or p is None or low is None or p <= 0:
        return None
    return ReferencePoint(
        measured=m,
        unit=unit,
        predicted=p,
        percent_predicted=100.0 * m / p,
        lln=low,
        lln_percent_predicted=100.0 * low / p,
        below_lln=m < low,
        z=_float(scores, z) if z else None,
        equation=equation,
        outside_reference_population=scores.get("outside_reference_population") is True,
    )


_RAND36_SCALES = (
    "physical_functioning",
    "role_limitations_physical",
    "role_limitations_emotional",
    "energy_fatigue",
    "emotional_wellbeing",
    "social_functioning",
    "pain",
    "general_health",
)


def _row(visit: FollowUpVisit, by_code: dict[str, dict[str, object]]) -> OutcomeRow:
    spiro = by_code.get("spirometry", {})
    equation = str(spiro.get("equation", ""))
    lung = {
        prefix: _point(
            spiro,
            measured=f"{prefix}_measured",
            predicted=f"{prefix}_predicted",
            lln=f"{prefix}_lln",
            z=f"{prefix}_z",
            unit=unit,
            equation=equation,
        )
        for prefix, unit in (("fev1", "L"), ("fvc", "L"), ("fev1_fvc", "ratio"))
    }
    dlco = by_code.get("dlco", {})
    walk = by_code.get("six_minute_walk", {})
    rand36 = by_code.get("rand36", {})
    return OutcomeRow(
        visit_id=visit.pk,
        visit_code=visit.code,
        visit_name=visit.name,
        day_offset=visit.day_offset,
        on=visit.completed_on or visit.target_date,
        status=visit.status,
        fev1=lung["fev1"],
        fvc=lung["fvc"],
        fev1_fvc=lung["fev1_fvc"],
        dlco=_point(
            dlco,
            measured="dlco_ml_min_mmhg",
            predicted="predicted",
            lln="lln",
            z="z",
            unit="mL/min/mmHg",
            equation=str(dlco.get("equation", "")),
        ),
        six_minute_walk=_point(
            walk,
            measured="distance_m",
            predicted="predicted_m",
            lln="lln_m",
            z=None,
            unit="m",
            equation=str(walk.get("equation", "")),
        ),
        mmrc_grade=_int(by_code.get("mmrc", {}), "grade"),
        moca_adjusted=_int(by_code.get("moca", {}), "adjusted_score"),
        phq9_total=_int(by_code.get("phq9", {}), "total"),
        gad7_total=_int(by_code.get("gad7", {}), "total"),
        rand36={scale: _float(rand36, scale) for scale in _RAND36_SCALES} if rand36 else {},
    )


def outcome_series(patient: Patient) -> OutcomeSeries:
    """The patient's follow-up series for tables and charts: one row per completed or missed
    visit (in visit order) with FVC, FEV1, FEV1/FVC, DLCO and 6MWD against their reference
    (% predicted with the LLN) and the questionnaire totals. Three queries, whatever the length
    of the follow-up."""
    visits = list(
        FollowUpVisit.objects.filter(
            patient_id=patient.pk, status__in=[VisitStatus.COMPLETED, VisitStatus.MISSED]
        ).order_by("day_offset", "target_date", "id")
    )
    scores: dict[int, dict[str, dict[str, object]]] = {}
    for visit_id, code, values in InstrumentResponse.objects.filter(visit__in=visits).values_list(
        "visit_id", "instrument_code", "scores"
    ):
        scores.setdefault(visit_id, {})[code] = values if isinstance(values, dict) else {}
    return OutcomeSeries(
        patient_id=patient.pk,
        rows=tuple(_row(v, scores.get(v.pk, {})) for v in visits),
        death=death_of(patient_id=patient.pk),
    )
