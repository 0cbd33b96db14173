"""CarePlan (the treatment plan: signatures and decision as notes) and Consent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stromal.administrations.models import SessionStatus
from stromal.fhir.codes import ADMINISTRATION_SYSTEM, LOINC
from stromal.fhir.context import MapContext, clean, ref, rid
from stromal.fhir.course import Course
from stromal.plans.models import PlanStatus, TreatmentPlan

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

PLAN_STATUS = {
    PlanStatus.DRAFT: "draft",
    PlanStatus.APPROVED: "active",
    PlanStatus.WITHDRAWN: "revoked",
    PlanStatus.SUPERSEDED: "revoked",
}
#: Administration session status -> CarePlan.activity.detail.status.
ACTIVITY_STATUS = {
    SessionStatus.SCHEDULED: "scheduled",
    SessionStatus.PREPARED: "scheduled",
    SessionStatus.CHECKED: "scheduled",
    SessionStatus.RUNNING: "in-progress",
    SessionStatus.INTERRUPTED: "on-hold",
    SessionStatus.COMPLETED: "completed",
    SessionStatus.STOPPED_EARLY: "stopped",
    SessionStatus.STOPPED: "stopped",
    SessionStatus.CANCELLED: "cancelled",
}


def _dose_text(plan: TreatmentPlan) -> str:
    scalars = {
        k: v for k, v in plan.dose.items() if isinstance(v, int | float | str) and not isinstance(v, bool)
    }
    return "; ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in sorted(scalars.items()))


def _notes(course: Course, ctx: MapContext, plan: TreatmentPlan) -> list[dict[str, Any]]:
    notes = []
    for s in course.signatures.get(plan.pk, []):
        who = s.printed_name if ctx.identified else "a physician"
        voided = f" (voided {s.voided_at.isoformat()})" if s.voided_at else ""
        notes.append(
            {
                "time": s.signed_at.isoformat(),
                "text": f"Signed by {who}: {s.meaning}, plan version {s.plan_version}{voided}.",
            }
        )
    for d in course.decisions.get(plan.pk, []):
        notes.append(
            {
                "time": d.decided_at.isoformat(),
                "text": f"The patient's decision: {d.get_decision_display()} (plan version {d.plan_version}).",
            }
        )
    return notes


def _activities(course: Course, plan: TreatmentPlan) -> list[dict[str, Any]]:
    label = f"{plan.arm_name} ({_dose_text(plan)})"
    return [
        {
            "outcomeReference": [ref("Procedure", s.pk)],
            "detail": {
                "code": {
                    "coding": [{"system": ADMINISTRATION_SYSTEM, "code": s.route}],
                    "text": f"Administration {s.sequence}, {s.route}",
                },
                "status": ACTIVITY_STATUS[SessionStatus(s.status)],
                "scheduledString": f"protocol day {s.protocol_day} ({s.scheduled_date.isoformat()})",
                "description": label,
            },
        }
        for s in course.sessions
        if s.plan_id == plan.pk
    ]


def careplans(course: Course, ctx: MapContext) -> Iterator[dict[str, Any]]:
    discharged = {d.plan_id for d in course.discharges}
    for plan in course.plans:
        status = PLAN_STATUS[PlanStatus(plan.status)]
        if status == "active" and plan.pk in discharged:
            status = "completed"
        signers = [ctx.person(s.signer_id) for s in course.signatures.get(plan.pk, []) if s.voided_at is None]
        yield clean(
            {
                "resourceType": "CarePlan",
                "id": rid("CarePlan", plan.pk),
                "meta": ctx.meta(),
                "status": status,
                "intent": "plan",
                "title": f"{plan.protocol_version} — {plan.arm_name}",
                "description": ctx.text(plan.notes),
                "subject": ctx.patient_ref(plan.patient_id),
                "period": {"start": plan.start_date.isoformat()},
                "created": plan.created_at.isoformat(),
                "author": ctx.person(plan.drafted_by_id),
                "contributor": [s for s in signers if s],
                "replaces": [ref("CarePlan", plan.supersedes_id)] if plan.supersedes_id else [],
                "supportingInfo": [ref("Encounter", plan.encounter_id)],
                "activity": _activities(course, plan),
                "note": _notes(course, ctx, plan),
            }
        )


def consents(course: Course, ctx: MapContext) -> Iterator[dict[str, Any]]:
    for plan in course.plans:
        for c in course.consents.get(plan.pk, []):
            yield clean(
                {
                    "resourceType": "Consent",
                    "id": rid("Consent", c.pk),
                    "meta": ctx.meta(),
                    "status": "inactive" if c.withdrawn_at else "active",
                    "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "treatment"}]},
                    "category": [
                        {"coding": [{"system": LOINC, "code": "59284-0"}], "text": "Consent to MSC treatment"}
                    ],
                    "patient": ctx.patient_ref(plan.patient_id),
                    "dateTime": c.given_at.isoformat(),
                    "performer": [{"display": f"{c.given_by} ({c.given_by_relationship})"}]
                    if ctx.identified
                    else [],
                    "organization": [{"display": course.patient.site.name}],
                    "policyRule": {
                        "coding": [{"system": ACT_CODE, "code": "OPTIN"}],
                        "text": f"Information sheet {c.information_sheet_version}",
                    },
                    "verification": [
                        {
                            "verified": True,
                            "verifiedWith": {"display": c.witness_name},
                            "verificationDate": c.given_at.isoformat(),
                        }
                    ]
                    if ctx.identified
                    else [],
                    "provision": {
                        "type": "permit",
                        "period": {
                            "start": c.given_at.isoformat(),
                            "end": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
                        },
                        "data": [{"meaning": "related", "reference": ref("CarePlan", plan.pk)}],
                    },
                }
            )
