"""The follow-up instruments recorded at a visit, one Observation each (``ins-<response id>``).

One Observation per instrument response (spirometry, six-minute walk, PHQ-9...):
its ``code`` is the instrument (Stromal's code system ``INSTRUMENT_SYSTEM``, the
instrument's title as text), its ``component`` list holds every answer as entered
(``INSTRUMENT_ITEM_SYSTEM``, the item name carries the unit) and every derived
score (``INSTRUMENT_SCORE_SYSTEM``), and its ``method`` names the scoring equation
and its version (GLI through pyspiro, Enright & Sherrill 1998, the questionnaire's
own scoring). A LOINC coding is added where LOINC has the quantity: FVC 19870-5 and
six-minute walk distance 64098-7 (as ``stromal.fhir.codes``), PHQ-9 total score
44261-6 and GAD-7 total score 70274-6 (LOINC display names as in HL7's Personal
Health Record IG ValueSet ``observation-scored-assessment-score-codes``).

A response of a completed visit refers to the visit's Encounter
(``Encounter/visit-<id>``, ``stromal.fhir.mappers.followup``); a response recorded at a
visit not yet completed refers to none (the visit is an Appointment until then).
Pseudonymised, free-text answers (the cause of death in words, a CT report) are left
out, as all free text is (``stromal.fhir.context``); dates stay.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stromal.administrations.models import Outcome
from stromal.clinical.instruments import INSTRUMENTS
from stromal.clinical.instruments.base import Instrument, ItemKind
from stromal.fhir.codes import BASE, LOINC, LOINC_OF, OBSERVATION_CATEGORY, UCUM, UCUM_OF, Loinc
from stromal.fhir.context import MapContext
from stromal.fhir.course import Course
from stromal.followup.models import InstrumentResponse, VisitStatus

INSTRUMENT_SYSTEM = f"{BASE}:instrument"
INSTRUMENT_ITEM_SYSTEM = f"{BASE}:instrument-item"
INSTRUMENT_SCORE_SYSTEM = f"{BASE}:instrument-score"
SURVEY = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}]
EXAM = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "exam"}]}]
#: Instruments that are measurements rather than questionnaires.
MEASURED = frozenset({"six_minute_walk", "spirometry", "dlco", "chest_ct"})
#: (instrument, score) -> LOINC, for the scores LOINC has (sources in the module docstring).
SCORE_LOINC: dict[tuple[str, str], Loinc] = {
    ("phq9", "total"): Loinc("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    ("gad7", "total"): Loinc(
        "70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"
    ),
}
#: CTCAE grade 5: death related to the adverse event.
FATAL_GRADE = 5
#: Score keys that describe the scoring rather than measure anything: they go into ``method``.
ABOUT_THE_SCORING = frozenset({"equation", "equation_source", "implementation"})


def _coding(system: str, code: str, display: str, loinc: Loinc | None) -> dict[str, Any]:
    coding = [{"system": system, "code": code, "display": display}]
    if loinc is not None:
        coding.insert(0, {"system": LOINC, "code": loinc.code, "display": loinc.display})
    return {"coding": coding, "text": display}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": value}
    if unit:
        quantity["unit"] = unit
        ucum = UCUM_OF.get(unit)
        if ucum is not None:
            quantity["system"] = UCUM
            quantity["code"] = ucum
    return quantity


def _score_unit(name: str) -> str:
    if name.endswith("percent_predicted"):
        return "% predicted"
    return ""


def _value(value: object, *, unit: str = "", kind: ItemKind | None = None) -> dict[str, Any] | None:
    """The FHIR ``value[x]`` of one answer or score; None for an empty one."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int) and kind is not ItemKind.NUMBER:
        return {"valueInteger": value}
    if isinstance(value, int | float):
        return {"valueQuantity": _quantity(float(value), unit)}
    if kind is ItemKind.DATE:
        return {"valueDateTime": str(value)}
    return {"valueString": str(value)}


def _answers(instrument: Instrument, answers: dict[str, Any], ctx: MapContext) -> Iterator[dict[str, Any]]:
    known = {item.name: item for item in instrument.items}
    for name, value in answers.items():
        item = known.get(name)
        if item is None or (item.kind is ItemKind.TEXT and not ctx.identified):
            continue
        fhir_value = _value(value, unit=item.unit, kind=item.kind)
        if fhir_value is not None:
            code = _coding(INSTRUMENT_ITEM_SYSTEM, name, item.label, LOINC_OF.get(name))
            yield {"code": code, **fhir_value}


def _scores(code: str, scores: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for name, value in scores.items():
        if name in ABOUT_THE_SCORING:
            continue
        fhir_value = _value(value, unit=_score_unit(name))
        if fhir_value is not None:
            coding = _coding(
                INSTRUMENT_SCORE_SYSTEM,
                f"{code}.{name}",
                name.replace("_", " "),
                SCORE_LOINC.get((code, name)),
            )
            yield {"code": coding, **fhir_value}


def observation(
    course: Course, ctx: MapContext, r: InstrumentResponse, encounter_id: str | None
) -> dict[str, Any]:
    """One instrument response as an Observation (built without empty elements)."""
    instrument = INSTRUMENTS.get(r.instrument_code)
    title = instrument.title if instrument else r.instrument_code
    components = list(_answers(instrument, r.answers, ctx)) if instrument else []
    components += list(_scores(r.instrument_code, r.scores))
    effective = str(r.subject.get("measured_on") or r.recorded_at.date().isoformat())
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"ins-{r.pk}",
        "status": "final",
        "category": EXAM if r.instrument_code in MEASURED else SURVEY,
        "code": _coding(
            INSTRUMENT_SYSTEM, r.instrument_code, f"{title} (version {r.instrument_version})", None
        ),
        "subject": ctx.patient_ref(course.patient.pk),
        "effectiveDateTime": effective,
        "issued": r.recorded_at.isoformat(),
        "method": {"text": f"{r.scoring_name} {r.scoring_version}".strip()},
    }
    if encounter_id is not None:
        resource["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    if components:
        resource["component"] = components
    if r.scoring_problem:
        resource["note"] = [{"text": r.scoring_problem}]
    return ctx.stamp(resource)


def deceased(course: Course) -> dict[str, Any]:
    """``{"deceasedDateTime": day}`` from the latest vital status that records a death (with its
    date), ``{"deceasedBoolean": True}`` for a death without a date or a fatal adverse event only,
    else ``{}``."""
    for visit in reversed(course.visits):
        for r in course.responses.get(visit.pk, []):
            if r.instrument_code == "vital_status" and r.answers.get("vital_status") == "dead":
                day = r.answers.get("date_of_death")
                return {"deceasedDateTime": str(day)} if day else {"deceasedBoolean": True}
    if any(e.outcome == Outcome.FATAL or e.ctcae_grade == FATAL_GRADE for e in course.adverse_events):
        return {"deceasedBoolean": True}
    return {}


def resources(course: Course, ctx: MapContext) -> Iterator[dict[str, Any]]:
    completed = {v.pk for v in course.visits if v.status == VisitStatus.COMPLETED and v.completed_on}
    for visit in course.visits:
        encounter_id = f"visit-{visit.pk}" if visit.pk in completed else None
        for r in course.responses.get(visit.pk, []):
            yield observation(course, ctx, r, encounter_id)
