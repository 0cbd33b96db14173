"""Which outcome instruments a follow-up visit asks for, and what they are scored against.

The visit schedule (``stromal.clinical.instruments.schedule``) applies to a
protocol whose follow-up visits are exactly the schedule's enrolment-anchored
visits (codes, days and windows): the three shipped protocols and
``FIVE_YEAR``, a fit ``tests/followup/test_due.py`` holds. A protocol with a
calendar of its own gets no instruments (its visits need a date only) until a
schedule that matches it is added to ``SCHEDULES``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from stromal.clinical.instruments import Instrument, ScoreValue, Subject
from stromal.clinical.instruments.lung_function import DLCO_EQUATION, implementation
from stromal.clinical.instruments.schedule import FIVE_YEAR, Anchor, VisitSchedule
from stromal.clinical.instruments.six_minute_walk import EQUATION as SIX_MINUTE_WALK_EQUATION
from stromal.clinical.protocol import Protocol
from stromal.followup.models import FollowUpVisit
from stromal.patients.models import Patient

#: Every visit schedule Stromal ships, by code.
SCHEDULES: dict[str, VisitSchedule] = {FIVE_YEAR.code: FIVE_YEAR}

#: Days per year for the decimal age the reference equations take (Julian year).
DAYS_PER_YEAR = 365.25


def schedule_for(protocol: Protocol) -> VisitSchedule | None:
    """The schedule whose enrolment visits are this protocol's follow-up visits, if any."""
    for schedule in SCHEDULES.values():
        if schedule.follow_up_visits() == protocol.follow_up and protocol.follow_up:
            return schedule
    return None


def instruments_due(visit: FollowUpVisit, *, deceased: bool = False) -> tuple[Instrument, ...]:
    """The instruments due at ``visit``, in page order (only vital status once the patient has died)."""
    schedule = schedule_for(visit.plan.protocol_version.to_protocol())
    if schedule is None:
        return ()
    codes = {v.code for v in schedule.visits if v.anchor is Anchor.ENROLMENT}
    if visit.code not in codes:
        return ()
    return schedule.instruments_due(visit.code, deceased=deceased)


def age_years_on(patient: Patient, day: dt.date) -> float:
    """Decimal age on ``day`` (days since birth / 365.25), as the GLI and Enright equations take it."""
    return round((day - patient.date_of_birth).days / DAYS_PER_YEAR, 2)


def subject_for(patient: Patient, day: dt.date, weight_kg: float | None) -> Subject:
    """Who was measured on ``day``: sex, decimal age, the recorded height and the visit's weight."""
    return Subject(
        sex=patient.sex,
        age_years=age_years_on(patient, day),
        height_cm=patient.height_cm,
        weight_kg=weight_kg,
    )


def scoring_of(instrument: Instrument, scores: Mapping[str, ScoreValue]) -> tuple[str, str]:
    """(name, version) of what derived ``scores``: the reference equation and the package
    that computed it for lung function, the equation for the walk test, otherwise the
    instrument's own scoring at its version."""
    if instrument.code == "spirometry":
        return str(scores.get("equation") or "gli_global_2022"), implementation()
    if instrument.code == "dlco":
        return DLCO_EQUATION, implementation()
    if instrument.code == "six_minute_walk":
        return SIX_MINUTE_WALK_EQUATION, instrument.version
    return f"{instrument.code}_scoring", instrument.version
