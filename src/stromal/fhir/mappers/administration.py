"""Procedure (one per administration session), BiologicallyDerivedProduct (its unit) and AdverseEvent.

An administration is a Procedure rather than a MedicationAdministration: the
product is a cell (or exosome) unit, which FHIR models as a
BiologicallyDerivedProduct that a Procedure uses (``usedReference``); its
ISBT 128 donation identification number is the product's identifier and its
ISBT 128 product code its ``productCode`` (HL7 Terminology CodeSystem ``ib``). R4B's
``Procedure.usedReference`` cannot point at a product (Device, Medication and
Substance only), so the Procedure names the product code in ``usedCode`` and
refers to the product through the cross-version extension of R5's ``Procedure.used``.
Adverse events map CTCAE grades 1 / 2 / 3–5 to the R4B severity codes mild /
moderate / severe (the grade itself is kept in the text), ICH E2A
seriousness to serious / non-serious, and the causality to the WHO-UMC terms
of the R4B causality code system.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stromal.administrations.models import Outcome, Relatedness, SessionStatus
from stromal.fhir.codes import ADMINISTRATION_SYSTEM, ISBT128, ISBT128_DIN_SYSTEM, PRODUCT_TYPE_SYSTEM
from stromal.fhir.context import MapContext, clean, ref, rid
from stromal.fhir.course import Course
from stromal.products.models import LotStatus, ProductLot, ProductType

PROCEDURE_STATUS = {
    SessionStatus.SCHEDULED: "preparation",
    SessionStatus.PREPARED: "preparation",
    SessionStatus.CHECKED: "preparation",
    SessionStatus.RUNNING: "in-progress",
    SessionStatus.INTERRUPTED: "on-hold",
    SessionStatus.COMPLETED: "completed",
    SessionStatus.STOPPED_EARLY: "stopped",
    SessionStatus.STOPPED: "stopped",
    SessionStatus.CANCELLED: "not-done",
}
AVAILABLE = {LotStatus.RELEASED, LotStatus.ALLOCATED}
#: FHIR cross-version extension for R5's Procedure.used (http://hl7.org/fhir/versions.html#extensions).
USED_R5 = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Procedure.used"
SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
CAUSALITY = "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess"
OUTCOMES = {
    Outcome.ONGOING: "ongoing",
    Outcome.RECOVERING: "recovering",
    Outcome.RECOVERED: "resolved",
    Outcome.RECOVERED_SEQUELAE: "resolvedWithSequelae",
    Outcome.FATAL: "fatal",
    Outcome.UNKNOWN: "unknown",
}
CAUSALITY_OF = {
    Relatedness.DEFINITE: ("Certain", "Certain"),
    Relatedness.PROBABLE: ("Probably-Likely", "Probably/Likely"),
    Relatedness.POSSIBLE: ("Possible", "Possible"),
    Relatedness.UNLIKELY: ("Unlikely", "Unlikely"),
}


def _amounts(volume_ml: float | None, cells: float | None, particles: float | None) -> str | None:
    parts = [
        f"volume given {volume_ml:g} mL" if volume_ml is not None else "",
        f"cells given {cells:.3g}" if cells is not None else "",
        f"particles given {particles:.3g}" if particles is not None else "",
    ]
    text = "; ".join(p for p in parts if p)
    return text or None


def _product_code(lot: ProductLot) -> dict[str, Any]:
    label = ProductType(lot.product_type).label
    return {
        "coding": [
            {"system": ISBT128, "code": lot.product_code},
            {"system": PRODUCT_TYPE_SYSTEM, "code": lot.product_type, "display": label},
        ],
        "text": label,
    }


def procedures(course: Course, ctx: MapContext) -> Iterator[dict[str, Any]]:
    for s in course.sessions:
        amounts = _amounts(s.volume_given_ml, s.cells_given, s.particles_given)
        performer = ctx.person(s.started_by_id)
        yield clean(
            {
                "resourceType": "Procedure",
                "id": rid("Procedure", s.pk),
                "meta": ctx.meta(),
                "basedOn": [ref("CarePlan", s.plan_id)],
                "status": PROCEDURE_STATUS[SessionStatus(s.status)],
                "statusReason": {"text": ctx.text(s.stop_reason)} if s.stop_reason else None,
                "code": {
                    "coding": [{"system": ADMINISTRATION_SYSTEM, "code": s.route}],
                    "text": f"MSC product administration {s.sequence} ({s.route}), protocol day {s.protocol_day}",
                },
                "subject": ctx.patient_ref(s.patient_id),
                "performedPeriod": {
                    "start": s.started_at.isoformat(),
                    "end": s.ended_at.isoformat() if s.ended_at else None,
                }
                if s.started_at
                else None,
                "performer": [{"actor": performer}] if performer else [],
                # R4B's usedReference takes Device, Medication or Substance only; R5's Procedure.used
                # takes the product, carried here by its cross-version extension.
                "extension": [
                    {"url": USED_R5, "valueReference": ref("BiologicallyDerivedProduct", s.product_id)}
                ]
                if s.product_id
                else [],
                "usedCode": [_product_code(s.product)] if s.product is not None else [],
                "note": [{"text": amounts}] if amounts else [],
            }
        )


def products(course: Course, ctx: MapContext) -> Iterator[dict[str, Any]]:
    for lot in course.lots.values():
        processing = [
            f"passage {lot.passage}" if lot.passage is not None else "",
            f"viability {lot.viability_pct:g} %" if lot.viability_pct is not None else "",
            f"{lot.cell_count:.3g} viable cells" if lot.cell_count is not None else "",
            f"{lot.particle_count:.3g} particles" if lot.particle_count is not None else "",
        ]
        yield clean(
            {
                "resourceType": "BiologicallyDerivedProduct",
                "id": rid("BiologicallyDerivedProduct", lot.pk),
                "meta": ctx.meta(),
                "identifier": [
                    {
                        "type": {"text": "ISBT 128 donation identification number"},
                        "system": ISBT128_DIN_SYSTEM,
                        "value": lot.din + lot.din_check,
                    }
                ]
                if ctx.identified
                else [],
                "productCategory": "biologicalAgent" if lot.is_exosome else "cells",
                "productCode": _product_code(lot),
                "status": "available" if lot.status in AVAILABLE else "unavailable",
                "quantity": 1,
                "processing": [{"description": "; ".join(p for p in processing if p)}],
                "storage": [{"duration": {"end": lot.expires_at.isoformat()}}],
            }
        )


def adverse_events(course: Course, ctx: MapContext) -> Iterator[dict[str, Any]]:
    for e in course.adverse_events:
        grade = e.ctcae_grade
        severity = None
        if grade is not None:
            code = "mild" if grade == 1 else "moderate" if grade == 2 else "severe"
            severity = {"coding": [{"system": SEVERITY, "code": code}], "text": f"CTCAE grade {grade}"}
        causality = CAUSALITY_OF.get(Relatedness(e.relatedness)) if e.relatedness else None
        assessment = (
            {"coding": [{"system": CAUSALITY, "code": causality[0], "display": causality[1]}]}
            if causality
            else {"text": e.get_relatedness_display()}
            if e.relatedness
            else None
        )
        yield clean(
            {
                "resourceType": "AdverseEvent",
                "id": rid("AdverseEvent", e.pk),
                "meta": ctx.meta(),
                "actuality": "actual",
                "event": {"text": e.term},
                "subject": ctx.patient_ref(e.patient_id),
                "date": e.onset_at.isoformat(),
                "recordedDate": e.reported_at.isoformat(),
                "recorder": ctx.person(e.reported_by_id),
                "seriousness": {
                    "coding": [
                        {"system": SERIOUSNESS, "code": "serious" if e.serious else "non-serious"},
                    ]
                },
                "severity": severity,
                "outcome": {"coding": [{"system": OUTCOME, "code": OUTCOMES[Outcome(e.outcome)]}]},
                "suspectEntity": [
                    {
                        "instance": ref("Procedure", e.session_id),
                        "causality": [{"assessment": assessment}] if assessment else [],
                    }
                ]
                if e.session_id
                else [],
            }
        )
