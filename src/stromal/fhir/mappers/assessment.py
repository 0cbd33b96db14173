"""The clinical library's assessments as Observations, and ARDS as a Condition.

Each encounter's latest assessment snapshot gives one Observation per
computed value (P/F ratio, S/F ratio, oxygenation index, Murray score, SOFA
total, Berlin and Global definition results, COVID-19 cytokine storm, HScore),
each stating the rule, its source and the ``stromal.clinical`` rules version
in ``method`` and deriving from the encounter's observations.

ARDS is a Condition when an assessment met the Berlin (ARDS Definition Task
Force, JAMA 2012;307:2526-33) or the Global definition (Matthay MA et al.,
Am J Respir Crit Care Med 2024;209:37-47): SNOMED CT 67782005 "Acute
respiratory distress syndrome (disorder)", ICD-10 J80, from the first
assessment that met it, with each definition's severity as a ``stage``
(SNOMED CT 255604002 mild, 6736007 moderate, 24484000 severe).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stromal.examinations.models import Assessment, Encounter
from stromal.fhir.codes import ASSESSMENT_SYSTEM, ICD10, LOINC, OBSERVATION_CATEGORY, PF_RATIO, SNOMED, UCUM
from stromal.fhir.context import MapContext, clean, ref, rid
from stromal.fhir.course import Course

ARDS = {"system": SNOMED, "code": "67782005", "display": "Acute respiratory distress syndrome (disorder)"}
ARDS_ICD10 = {"system": ICD10, "code": "J80", "display": "Acute respiratory distress syndrome"}
SEVERITY = {
    "mild": {"system": SNOMED, "code": "255604002", "display": "Mild (qualifier value)"},
    "moderate": {
        "system": SNOMED,
        "code": "6736007",
        "display": "Moderate (severity modifier) (qualifier value)",
    },
    "severe": {
        "system": SNOMED,
        "code": "24484000",
        "display": "Severe (severity modifier) (qualifier value)",
    },
}
EXAM = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "exam"}]}]
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

#: results key -> (code, label, UCUM unit or None for a coded/boolean result)
SCALARS: tuple[tuple[str, str, str], ...] = (
    ("pf_ratio", "PaO2/FiO2 ratio", "mm[Hg]"),
    ("sf_ratio", "SpO2/FiO2 ratio", "1"),
    ("oxygenation_index", "Oxygenation index", "1"),
    ("predicted_body_weight_kg", "Predicted body weight", "kg"),
)
SCORES: tuple[tuple[str, str, str], ...] = (
    ("murray", "score", "Murray lung injury score"),
    ("sofa", "total", "SOFA score"),
    ("hscore", "score", "HScore"),
)
DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("berlin", "Berlin definition of ARDS"),
    ("global_definition", "Global definition of ARDS"),
    ("covid_cs", "COVID-19 cytokine storm criteria"),
)


def _method(snapshot: Assessment, source: object) -> dict[str, Any]:
    rule = str(source) if source else "stromal.clinical"
    return {
        "coding": [{"system": ASSESSMENT_SYSTEM, "code": f"rules-{snapshot.rules_version}"}],
        "text": f"stromal.clinical rules {snapshot.rules_version}: {rule}",
    }


def _observation(
    course: Course,
    ctx: MapContext,
    e: Encounter,
    snapshot: Assessment,
    code: str,
    label: str,
    derived: list[dict[str, str]],
    **fields: Any,
) -> dict[str, Any]:
    """One assessment Observation, built without empty elements (many per encounter: no ``clean``)."""
    coding = [{"system": ASSESSMENT_SYSTEM, "code": code, "display": label}]
    if code == "pf_ratio":
        coding.insert(0, {"system": LOINC, "code": PF_RATIO.code, "display": PF_RATIO.display})
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"asm-{snapshot.pk}-{code.replace('_', '-')}",
        "status": "final" if e.is_closed else "preliminary",
        "category": EXAM,
        "code": {"coding": coding, "text": label},
        "subject": ctx.patient_ref(course.patient.pk),
        "encounter": ref("Encounter", e.pk),
        "effectiveDateTime": (e.opened_at or e.scheduled_for).isoformat(),
        "issued": snapshot.computed_at.isoformat(),
        **fields,
    }
    if derived:
        resource["derivedFrom"] = derived
    return ctx.stamp(resource)


def _definition_value(result: dict[str, Any]) -> dict[str, Any]:
    meets = result.get("meets")
    severity = result.get("severity")
    text = str(result.get("summary") or ("met" if meets else "not met" if meets is False else "undetermined"))
    if meets and severity in SEVERITY:
        return {"valueCodeableConcept": {"coding": [SEVERITY[severity]], "text": text}}
    return {"valueCodeableConcept": {"text": text}}


def observations(course: Course, ctx: MapContext) -> Iterator[dict[str, Any]]:
    for e in course.encounters:
        snapshot = course.assessments.get(e.pk)
        if snapshot is None or "error" in snapshot.results:
            continue
        results = snapshot.results
        sources = results.get("sources", {})
        derived = [ref("Observation", o.pk) for o in course.observations.get(e.pk, [])]
        for code, label, unit in SCALARS:
            value = results.get(code)
            if isinstance(value, int | float) and not isinstance(value, bool):
                quantity = {"value": value, "unit": unit, "system": UCUM, "code": unit}
                yield _observation(
                    course,
                    ctx,
                    e,
                    snapshot,
                    code,
                    label,
                    derived,
                    valueQuantity=quantity,
                    method=_method(snapshot, sources.get(code)),
                )
        for code, field, label in SCORES:
            result = results.get(code) or {}
            value = result.get(field)
            if isinstance(value, int | float) and not isinstance(value, bool):
                quantity = {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}
                yield _observation(
                    course,
                    ctx,
                    e,
                    snapshot,
                    code,
                    label,
                    derived,
                    valueQuantity=quantity,
                    method=_method(snapshot, result.get("source")),
                )
        for code, label in DEFINITIONS:
            result = results.get(code) or {}
            if result.get("meets") is None:
                continue
            yield _observation(
                course,
                ctx,
                e,
                snapshot,
                code,
                label,
                derived,
                method=_method(snapshot, result.get("source")),
                **_definition_value(result),
            )


def _stage(result: dict[str, Any], label: str, snapshot: Assessment, code: str) -> dict[str, Any] | None:
    if not result.get("meets"):
        return None
    severity = result.get("severity")
    summary: dict[str, Any] = {"text": str(result.get("summary") or label)}
    if severity in SEVERITY:
        summary["coding"] = [SEVERITY[severity]]
    return {
        "summary": summary,
        "type": {"coding": [{"system": ASSESSMENT_SYSTEM, "code": code}], "text": label},
        "assessment": [{"reference": f"Observation/asm-{snapshot.pk}-{code.replace('_', '-')}"}],
    }


def conditions(course: Course, ctx: MapContext) -> Iterator[dict[str, Any]]:
    """One ARDS Condition, from the first encounter whose assessment met a definition."""
    for e in course.encounters:
        snapshot = course.assessments.get(e.pk)
        if snapshot is None or "error" in snapshot.results:
            continue
        berlin = snapshot.results.get("berlin") or {}
        global_ = snapshot.results.get("global_definition") or {}
        if not (berlin.get("meets") or global_.get("meets")):
            continue
        stages = [
            _stage(berlin, "Berlin definition (2012)", snapshot, "berlin"),
            _stage(global_, "Global definition (2023)", snapshot, "global_definition"),
        ]
        severity = berlin.get("severity") if berlin.get("meets") else global_.get("severity")
        yield clean(
            {
                "resourceType": "Condition",
                "id": rid("Condition", snapshot.pk),
                "meta": ctx.meta(),
                "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
                "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}],
                "severity": {"coding": [SEVERITY[severity]]} if severity in SEVERITY else None,
                "code": {"coding": [ARDS, ARDS_ICD10], "text": "ARDS"},
                "subject": ctx.patient_ref(course.patient.pk),
                "encounter": ref("Encounter", e.pk),
                "recordedDate": snapshot.computed_at.isoformat(),
                "stage": [s for s in stages if s],
                "evidence": [{"detail": [a for stage in stages if stage for a in stage["assessment"]]}],
                "note": [{"text": f"Criteria evaluated by stromal.clinical rules {snapshot.rules_version}."}],
            }
        )
        return
