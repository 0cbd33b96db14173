"""Encounter: the examinations (Day 1, discharge, follow-up and other) and the discharge."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stromal.examinations.models import EncounterStatus
from stromal.fhir.codes import ENCOUNTER_KIND_SYSTEM, V3_ACT_CODE
from stromal.fhir.context import MapContext, rid
from stromal.fhir.course import Course

#: Our encounter status -> FHIR R4B Encounter.status.
STATUS = {
    EncounterStatus.SCHEDULED: "planned",
    EncounterStatus.OPEN: "in-progress",
    EncounterStatus.CLOSED: "finished",
}
#: The clinic's pathway is a day clinic: examinations are ambulatory encounters.
AMBULATORY = {"system": V3_ACT_CODE, "code": "AMB", "display": "ambulatory"}


def _participants(ctx: MapContext, user_id: int | None) -> dict[str, Any]:
    who = ctx.person(user_id)
    return {"participant": [{"individual": who}]} if who else {}


def resources(course: Course, ctx: MapContext) -> Iterator[dict[str, Any]]:
    # Built without empty elements (no ``clean``): an export holds many of these.
    subject = ctx.patient_ref(course.patient.pk)
    for e in course.encounters:
        period = {"start": (e.opened_at or e.scheduled_for).isoformat()}
        if e.closed_at:
            period["end"] = e.closed_at.isoformat()
        yield ctx.stamp(
            {
                "resourceType": "Encounter",
                "id": rid("Encounter", e.pk),
                "status": STATUS[EncounterStatus(e.status)],
                "class": AMBULATORY,
                "type": [
                    {
                        "coding": [
                            {"system": ENCOUNTER_KIND_SYSTEM, "code": e.kind, "display": e.get_kind_display()}
                        ],
                        "text": e.get_kind_display(),
                    }
                ],
                "subject": subject,
                "period": period,
                **_participants(ctx, e.closed_by_id),
            }
        )
    for d in course.discharges:
        yield ctx.stamp(
            {
                "resourceType": "Encounter",
                "id": f"discharge-{d.pk}",
                "status": "finished",
                "class": AMBULATORY,
                "type": [
                    {"coding": [{"system": ENCOUNTER_KIND_SYSTEM, "code": "discharge"}], "text": "Discharge"}
                ],
                "subject": subject,
                "period": {"start": d.discharged_at.isoformat(), "end": d.discharged_at.isoformat()},
                **_participants(ctx, d.discharged_by_id),
            }
        )
