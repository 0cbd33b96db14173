"""Encounter: the examinations (Day 1, discharge, follow-up and other) and the discharge."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stromal.examinations.models import EncounterStatus
from stromal.fhir.codes import ENCOUNTER_KIND_SYSTEM, V3_ACT_CODE
from stromal.fhir.context import MapContext, clean, rid
from stromal.fhir.course import Course

#: Our encounter status -> FHIR R4B Encounter.status.
STATUS = {
    EncounterStatus.SCHEDULED: "planned",
    EncounterStatus.OPEN: "in-progress",
    EncounterStatus.CLOSED: "finished",
}
#: The clinic's pathway is a day clinic: examinations are ambulatory encounters.
AMBULATORY = {"system": V3_ACT_CODE, "code": "AMB", "display": "ambulatory"}


def resources(course: Course, ctx: MapContext) -> Iterator[dict[str, Any]]:
    for e in course.encounters:
        yield clean(
            {
                "resourceType": "Encounter",
                "id": rid("Encounter", e.pk),
                "meta": ctx.meta(),
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
                "subject": ctx.patient_ref(e.patient_id),
                "period": {
                    "start": (e.opened_at or e.scheduled_for).isoformat(),
                    "end": e.closed_at.isoformat() if e.closed_at else None,
                },
                "participant": [{"individual": ctx.person(e.closed_by_id)}]
                if ctx.person(e.closed_by_id)
                else [],
            }
        )
    for d in course.discharges:
        yield clean(
            {
                "resourceType": "Encounter",
                "id": f"discharge-{d.pk}",
                "meta": ctx.meta(),
                "status": "finished",
                "class": AMBULATORY,
                "type": [
                    {"coding": [{"system": ENCOUNTER_KIND_SYSTEM, "code": "discharge"}], "text": "Discharge"}
                ],
                "subject": ctx.patient_ref(d.patient_id),
                "period": {"start": d.discharged_at.isoformat(), "end": d.discharged_at.isoformat()},
                "participant": [{"individual": ctx.person(d.discharged_by_id)}]
                if ctx.person(d.discharged_by_id)
                else [],
            }
        )
