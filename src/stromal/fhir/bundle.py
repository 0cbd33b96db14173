"""``Patient/<id>/$everything``: one patient's course as a searchset Bundle."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from django.utils import timezone

from stromal.fhir.context import MapContext
from stromal.fhir.course import courses_load, user_names
from stromal.fhir.mappers import course_resources
from stromal.patients.models import Patient


def everything_bundle(
    *, patient: Patient, base_url: str, self_url: str, types: Collection[str] = ()
) -> dict[str, Any]:
    """Every resource of ``patient`` (checked for the caller's site already), identified.

    ``base_url`` ends with ``/``; ``types`` limits the resource types (``_type``), empty for all.
    """
    course = courses_load([patient.pk])[patient.pk]
    ctx = MapContext(identified=True, user_names=user_names())
    resources = [r for r in course_resources(course, ctx) if not types or r["resourceType"] in types]
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": timezone.now().isoformat()},
        "type": "searchset",
        "total": len(resources),
        "link": [{"relation": "self", "url": self_url}],
        "entry": [
            {
                "fullUrl": f"{base_url}{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match" if r["resourceType"] == "Patient" else "include"},
            }
            for r in resources
        ],
    }
