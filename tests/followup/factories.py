"""A discharged course with its follow-up calendar, and valid answers to every instrument."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from stromal.administrations import services as admin_services
from stromal.followup import services
from stromal.followup.models import FollowUpVisit
from stromal.followup.selectors import visit_instruments
from stromal.plans.models import TreatmentPlan
from tests.administrations.factories import ready_plan, running_session


def _complete_course(cast: Any, plan: TreatmentPlan) -> None:
    for sequence in (1, 2):
        session = running_session(cast, plan, sequence)
        admin_services.session_record_given(
            session=session, user=cast.nina, version=session.version, volume_given_ml=50, cells_given=8e7
        )


def _discharge(cast: Any, plan: TreatmentPlan) -> None:
    services.discharge_record(
        plan=plan,
        physician=cast.alice,
        discharged_at=timezone.now(),
        examination_findings="Chest clear; SpO2 95 % on air",
        summary="Two UC-MSC infusions without events.",
    )


def _day0_days_ago(plan: TreatmentPlan, days: int) -> None:
    """Move the course back in time so that its follow-up windows lie in the past."""
    TreatmentPlan.objects.filter(pk=plan.pk).update(start_date=timezone.localdate() - dt.timedelta(days=days))
    plan.refresh_from_db()


#: Valid answers to each shipped instrument (a 55-year-old woman of 165 cm at month 6).
ANSWERS: dict[str, dict[str, Any]] = {
    "vital_status": {"vital_status": "alive", "vital_status_ascertainment": "visit"},
    "six_minute_walk": {
        "six_minute_walk_m": 380,
        "spo2_start_pct": 96,
        "spo2_nadir_pct": 90,
        "borg_dyspnoea_end": 4,
        "borg_fatigue_end": 3,
        "oxygen_used": False,
    },
    "spirometry": {"fev1_l": 2.1, "fvc_l": 2.6},
    "dlco": {"dlco_ml_min_mmhg": 14.0},
    "mmrc": {"mmrc_grade": 2},
    "moca": {"moca_score": 24, "education_years": 11},
    "phq9": {f"phq9_{n}": 1 for n in range(1, 10)},
    "gad7": {f"gad7_{n}": 2 for n in range(1, 8)},
    "rand36": {f"rand36_{n}": 2 for n in range(1, 37)},
    "chest_ct": {"ct_date": "2026-01-05", "ct_fibrotic_like_changes": False},
    "return_to_work": {
        "worked_before_illness": True,
        "returned_to_work": "reduced",
        "usual_activity_resumed": "partly",
    },
    "readmissions": {"readmissions_count": 0},
}

DEAD: dict[str, Any] = {
    "vital_status": "dead",
    "vital_status_ascertainment": "telephone_relative",
    "cause_of_death": "respiratory",
}


def discharged(cast: Any, days_ago: int = 200, mrn: str = "MRN-0001") -> TreatmentPlan:
    """A clinic-protocol course whose day 0 was ``days_ago`` days ago, discharged today."""
    plan = ready_plan(cast, mrn=mrn)
    _complete_course(cast, plan)
    _day0_days_ago(plan, days_ago)
    _discharge(cast, plan)
    return plan


def visit_of(plan: TreatmentPlan, code: str) -> FollowUpVisit:
    return FollowUpVisit.objects.select_related("patient", "plan__protocol_version").get(plan=plan, code=code)


def entries_for(visit: FollowUpVisit, **overrides: dict[str, Any]) -> dict[str, services.InstrumentEntry]:
    """Every instrument due at ``visit`` answered (``ANSWERS``, or the override given by code)."""
    due = [s.instrument.code for s in visit_instruments(visit=visit).slots if s.due]
    return {code: services.InstrumentEntry(answers=overrides.get(code, ANSWERS[code])) for code in due}


def excused(visit: FollowUpVisit, reason: str = "Test: not done") -> dict[str, services.InstrumentEntry]:
    """A reason for every instrument due at ``visit``."""
    due = [s.instrument.code for s in visit_instruments(visit=visit).slots if s.due]
    return {code: services.InstrumentEntry(not_done_reason=reason) for code in due}


def complete_without_instruments(
    visit: FollowUpVisit, user: Any, completed_on: dt.date, notes: str = ""
) -> FollowUpVisit:
    """Complete ``visit`` with each due instrument excused (for tests about the visit itself)."""
    return services.visit_record(
        visit=visit,
        user=user,
        version=visit.version,
        entries=excused(visit),
        completed_on=completed_on,
        notes=notes,
        complete=True,
    )


def complete_with_instruments(visit: FollowUpVisit, user: Any, **overrides: dict[str, Any]) -> FollowUpVisit:
    """Complete ``visit`` on its target day (70 kg) with every due instrument answered (``entries_for``)."""
    return services.visit_record(
        visit=visit,
        user=user,
        version=visit.version,
        entries=entries_for(visit, **overrides),
        completed_on=visit.target_date,
        weight_kg=70.0,
        complete=True,
    )
