"""Patient, with ``deceased[x]`` from the follow-up's vital status (the date of death where one was
recorded) or from a fatal adverse event (``deceasedBoolean``: its onset is not the day of death)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stromal.fhir.codes import BASE
from stromal.fhir.context import MapContext, clean
from stromal.fhir.course import Course
from stromal.fhir.mappers.instruments import deceased


def resources(course: Course, ctx: MapContext) -> Iterator[dict[str, Any]]:
    p = course.patient
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": ctx.patient_id(p.pk),
        "meta": ctx.meta(),
        "gender": p.sex,
        # Pseudonymised: the year of birth only (FHIR date allows YYYY).
        "birthDate": p.date_of_birth.isoformat() if ctx.identified else str(p.date_of_birth.year),
        "managingOrganization": {"display": p.site.name},
        **deceased(course),
    }
    if ctx.identified:
        resource["identifier"] = [
            {
                "use": "usual",
                "type": {"text": "Medical record number"},
                "system": f"{BASE}:mrn:{p.site.code}",
                "value": p.mrn,
            }
        ]
        resource["name"] = [{"use": "official", "family": p.family_name, "given": [p.given_name]}]
        resource["telecom"] = [
            *([{"system": "email", "value": p.email}] if p.email else []),
            *([{"system": "phone", "value": p.phone}] if p.phone else []),
        ]
    yield clean(resource)
