"""One module per kind of record, behind one registry: ``MAPPERS`` (name -> mapper).

A mapper takes one patient's ``Course`` and the ``MapContext`` (identified or
pseudonymised) and yields FHIR R4B resources as plain JSON-ready dicts, in a
stable order. ``$everything`` chains every mapper for one patient; the bulk
export writes each resource type to its own NDJSON file. To add resources
(as ``instruments`` adds the follow-up instruments), add a module and one entry here.

Mappers build plain dicts rather than ``fhir.resources`` models: validating a
model costs about a millisecond per resource, which would make a
10,000-patient export take many minutes. Every mapper's output is validated
against the ``fhir.resources.R4B`` models by the tests
(``tests/fhir/test_everything.py``) instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from stromal.fhir.context import MapContext
from stromal.fhir.course import Course
from stromal.fhir.mappers import (
    administration,
    assessment,
    encounter,
    followup,
    instruments,
    observation,
    patient,
    plan,
)

Mapper = Callable[[Course, MapContext], Iterator[dict[str, Any]]]

MAPPERS: dict[str, Mapper] = {
    "patient": patient.resources,
    "encounters": encounter.resources,
    "observations": observation.resources,
    "assessments": assessment.observations,
    "conditions": assessment.conditions,
    "careplans": plan.careplans,
    "consents": plan.consents,
    "procedures": administration.procedures,
    "products": administration.products,
    "adverse_events": administration.adverse_events,
    "followup": followup.resources,
    "instruments": instruments.resources,
}


def course_resources(course: Course, ctx: MapContext) -> Iterator[dict[str, Any]]:
    """Every resource of one patient's course, mapper by mapper."""
    for mapper in MAPPERS.values():
        yield from mapper(course, ctx)
