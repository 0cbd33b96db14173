"""Observation: every current value of every examination, and the vitals of every administration.

Each carries Stromal's key and, where LOINC has the quantity, the LOINC code
(``stromal.fhir.codes``); numbers are ``valueQuantity`` in UCUM, findings
``valueBoolean``, choices ``valueCodeableConcept``. A value corrected by an
amendment is ``amended``; values of an encounter still open are ``preliminary``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from stromal.clinical.validation import Kind
from stromal.examinations.models import Observation
from stromal.fhir.codes import (
    ALL_KEYS,
    CHOICE_SYSTEM,
    LOINC,
    LOINC_OF,
    OBSERVATION_CATEGORY,
    OBSERVATION_SYSTEM,
    UCUM,
    category_of,
    ucum_of,
)
from stromal.fhir.context import MapContext, ref, rid
from stromal.fhir.course import Course


@functools.cache
def code_of(key: str) -> dict[str, Any]:
    """The ``code`` of a key's Observations (shared between resources: never changed after)."""
    spec = ALL_KEYS.get(key)
    label = spec.display_label() if spec else key
    coding = [{"system": OBSERVATION_SYSTEM, "code": key, "display": label}]
    loinc = LOINC_OF.get(key)
    if loinc is not None:
        coding.insert(0, {"system": LOINC, "code": loinc.code, "display": loinc.display})
    return {"coding": coding, "text": label}


@functools.cache
def category(key: str) -> list[dict[str, Any]]:
    code = category_of(key)
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code}]}]


def value_of(key: str, value: float | int | bool | str) -> dict[str, Any]:
    """The ``value[x]`` element of one stored value."""
    spec = ALL_KEYS.get(key)
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, str):
        return {
            "valueCodeableConcept": {
                "coding": [{"system": f"{CHOICE_SYSTEM}:{key}", "code": value}],
                "text": value.replace("_", " "),
            }
        }
    loinc = LOINC_OF.get(key)
    factor = loinc.factor if loinc else 1.0
    number: float | int = value * factor
    if spec is not None and spec.kind is Kind.INTEGER:
        number = int(number)
    quantity: dict[str, Any] = {"value": number}
    if loinc is not None and loinc.ucum is not None:  # sent in another unit than stored (FiO2 in %)
        quantity |= {"unit": loinc.ucum, "system": UCUM, "code": loinc.ucum}
    elif (ucum := ucum_of(key)) is not None and spec is not None:
        quantity |= {"unit": spec.unit, "system": UCUM, "code": ucum}
    return {"valueQuantity": quantity}


def _typed(o: Observation) -> float | int | bool | str:
    spec = ALL_KEYS.get(o.key)
    if spec is not None and spec.kind is Kind.INTEGER and o.value_number is not None:
        return int(o.value_number)
    return o.value


def resources(course: Course, ctx: MapContext) -> Iterator[dict[str, Any]]:
    # Built without empty elements (no ``clean``): these are most of the resources of an export.
    subject = ctx.patient_ref(course.patient.pk)
    for e in course.encounters:
        status = "final" if e.is_closed else "preliminary"
        when = (e.opened_at or e.scheduled_for).isoformat()
        encounter = ref("Encounter", e.pk)
        for o in course.observations.get(e.pk, []):
            resource: dict[str, Any] = {
                "resourceType": "Observation",
                "id": rid("Observation", o.pk),
                "status": "amended" if o.amendment_id else status,
                "category": category(o.key),
                "code": code_of(o.key),
                "subject": subject,
                "encounter": encounter,
                "effectiveDateTime": when,
                "issued": o.recorded_at.isoformat(),
                **value_of(o.key, _typed(o)),
            }
            performer = ctx.person(o.recorded_by_id)
            if performer:
                resource["performer"] = [performer]
            yield ctx.stamp(resource)
    for session in course.sessions:
        part_of = [ref("Procedure", session.pk)]
        for vitals in course.vitals.get(session.pk, []):
            taken = vitals.taken_at.isoformat()
            issued = vitals.recorded_at.isoformat()
            note = [{"text": f"{vitals.minutes_since_start:g} minutes after the start of administration"}]
            for key, value in sorted(vitals.values.items()):
                if value is None or key not in ALL_KEYS or isinstance(value, list | dict):
                    continue
                yield ctx.stamp(
                    {
                        "resourceType": "Observation",
                        "id": f"vit-{vitals.pk}-{key.replace('_', '-')}",
                        "status": "final",
                        "category": category(key),
                        "code": code_of(key),
                        "subject": subject,
                        "partOf": part_of,
                        "effectiveDateTime": taken,
                        "issued": issued,
                        "note": note,
                        **value_of(key, value),
                    }
                )
