"""The follow-up calendar: a visit still to come (or missed) is an Appointment, a visit done an Encounter.

A scheduled visit is a ``proposed`` Appointment whose ``requestedPeriod`` is
the protocol's window (the day is not booked yet); a missed one is
``cancelled`` (R4B allows both without a start time). A completed visit is a
``finished`` Encounter on the visit day (``Encounter/visit-<id>``), which is
where what is recorded at the visit refers to (see ``stromal.api.extensions``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stromal.fhir.codes import V3_ACT_CODE, VISIT_SYSTEM
from stromal.fhir.context import MapContext
from stromal.fhir.course import Course
from stromal.followup.models import VisitStatus

AMBULATORY = {"system": V3_ACT_CODE, "code": "AMB", "display": "ambulatory"}


def _type(code: str, name: str) -> dict[str, Any]:
    return {
        "coding": [{"system": VISIT_SYSTEM, "code": code, "display": name}],
        "text": f"Follow-up visit: {name}",
    }


def resources(course: Course, ctx: MapContext) -> Iterator[dict[str, Any]]:
    # Built without empty elements (no ``clean``): an export holds many of these.
    subject = ctx.patient_ref(course.patient.pk)
    for v in course.visits:
        if v.status == VisitStatus.COMPLETED and v.completed_on is not None:
            day = v.completed_on.isoformat()
            encounter: dict[str, Any] = {
                "resourceType": "Encounter",
                "id": f"visit-{v.pk}",
                "status": "finished",
                "class": AMBULATORY,
                "type": [_type(v.code, v.name)],
                "subject": subject,
                "period": {"start": day, "end": day},
            }
            who = ctx.person(v.completed_by_id)
            if who:
                encounter["participant"] = [{"individual": who}]
            yield ctx.stamp(encounter)
            continue
        appointment: dict[str, Any] = {
            "resourceType": "Appointment",
            "id": f"visit-{v.pk}",
            "status": "cancelled" if v.status == VisitStatus.MISSED else "proposed",
            "serviceType": [_type(v.code, v.name)],
            "description": f"{v.name}: day {v.day_offset} after the plan's day 0 (target {v.target_date.isoformat()})",
            "requestedPeriod": [{"start": v.window_start.isoformat(), "end": v.window_end.isoformat()}],
            "participant": [{"actor": subject, "status": "accepted"}],
        }
        if v.status == VisitStatus.MISSED:
            appointment["cancelationReason"] = {"text": "missed"}
        comment = ctx.text(v.notes)
        if comment:
            appointment["comment"] = comment
        yield ctx.stamp(appointment)
