"""Treatment plans with their signatures, meetings, consents and the patient's decision."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from stromal.api.common import (
    DB_BIGINT_MAX,
    DateRange,
    PageMeta,
    PageQuery,
    RecordId,
    dated,
    page,
    reader,
    username,
)
from stromal.patients.guards import site_id_of
from stromal.plans.models import Consent, PatientDecision, PlanSignature, PlanStatus, TreatmentPlan
from stromal.plans.selectors import current_decision, plan_get

router = Router(tags=["plans"])


class SignatureOut(Schema):
    id: int
    signer: str | None
    printed_name: str
    meaning: str
    signed_at: dt.datetime
    plan_version: int
    voided_at: dt.datetime | None
    void_reason: str


class ConsentOut(Schema):
    id: int
    given_by: str
    given_by_relationship: str
    given_at: dt.datetime
    witness_name: str
    information_sheet_version: str
    withdrawn_at: dt.datetime | None
    reason: str = Field(description="why a re-consent was taken")


class DecisionOut(Schema):
    id: int
    decision: str = Field(description="accept, decline (conventional treatment only) or defer")
    plan_version: int
    consent_id: int | None
    decided_at: dt.datetime
    recorded_by: str | None
    notes: str


class MeetingOut(Schema):
    id: int
    held_at: dt.datetime
    patient_present: bool
    options_discussed: list[str]
    notes: str


class PlanOut(Schema):
    id: int
    patient_id: int
    protocol: str = Field(description="protocol code and version")
    arm_name: str
    status: str
    start_date: dt.date = Field(description="day 0 of the protocol")
    revision: int
    supersedes_id: int | None
    change_reason: str
    weight_kg: float | None
    dose: dict[str, Any] = Field(description="the dose calculation frozen with the plan")
    notes: str
    drafted_by: str | None
    created_at: dt.datetime
    approved_at: dt.datetime | None
    version: int
    signatures: list[SignatureOut] = Field(description="every signature, voided ones with their reason")
    decision: DecisionOut | None = Field(description="the patient's decision on the plan as it stands")
    decisions: list[DecisionOut]
    consents: list[ConsentOut]
    meetings: list[MeetingOut]


class PlanPage(PageMeta):
    items: list[PlanOut]


class PlanFilters(DateRange):
    patient_id: int | None = Field(None, ge=1, le=DB_BIGINT_MAX)
    status: PlanStatus | None = None


def with_related(qs: Any) -> Any:
    return qs.select_related("protocol_version", "drafted_by").prefetch_related(
        Prefetch("signatures", queryset=PlanSignature.objects.select_related("signer")),
        Prefetch("decisions", queryset=PatientDecision.objects.select_related("recorded_by")),
        Prefetch("consents", queryset=Consent.objects.order_by("given_at", "id")),
        "meetings",
    )


def _decision(d: PatientDecision) -> dict[str, Any]:
    return {
        "id": d.pk,
        "decision": d.decision,
        "plan_version": d.plan_version,
        "consent_id": d.consent_id,
        "decided_at": d.decided_at,
        "recorded_by": username(d.recorded_by),
        "notes": d.notes,
    }


def present(plans: Sequence[TreatmentPlan]) -> list[dict[str, Any]]:
    items = []
    for p in plans:
        own = [d for d in p.decisions.all() if d.plan_version == p.version]
        # The latest decision on the plan as it stands; a revision without one carries its predecessor's.
        current = max(own, key=lambda d: (d.decided_at, d.pk)) if own else None
        if current is None and p.supersedes_id is not None:
            current = current_decision(p)
        items.append(
            {
                "id": p.pk,
                "patient_id": p.patient_id,
                "protocol": str(p.protocol_version),
                "arm_name": p.arm_name,
                "status": p.status,
                "start_date": p.start_date,
                "revision": p.revision,
                "supersedes_id": p.supersedes_id,
                "change_reason": p.change_reason,
                "weight_kg": p.weight_kg,
                "dose": p.dose,
                "notes": p.notes,
                "drafted_by": username(p.drafted_by),
                "created_at": p.created_at,
                "approved_at": p.approved_at,
                "version": p.version,
                "signatures": [
                    {
                        "id": s.pk,
                        "signer": username(s.signer),
                        "printed_name": s.printed_name,
                        "meaning": s.meaning,
                        "signed_at": s.signed_at,
                        "plan_version": s.plan_version,
                        "voided_at": s.voided_at,
                        "void_reason": s.void_reason,
                    }
                    for s in p.signatures.all()
                ],
                "decision": _decision(current) if current else None,
                "decisions": [_decision(d) for d in p.decisions.all()],
                "consents": [
                    {
                        "id": c.pk,
                        "given_by": c.given_by,
                        "given_by_relationship": c.given_by_relationship,
                        "given_at": c.given_at,
                        "witness_name": c.witness_name,
                        "information_sheet_version": c.information_sheet_version,
                        "withdrawn_at": c.withdrawn_at,
                        "reason": c.reason,
                    }
                    for c in p.consents.all()
                ],
                "meetings": [
                    {
                        "id": m.pk,
                        "held_at": m.held_at,
                        "patient_present": m.patient_present,
                        "options_discussed": [str(o) for o in m.options_discussed],
                        "notes": m.notes,
                    }
                    for m in p.meetings.all()
                ],
            }
        )
    return items


@router.get("/plans", response=PlanPage, summary="List treatment plans")
def plans(request: HttpRequest, filters: Query[PlanFilters], paging: Query[PageQuery]) -> dict[str, Any]:
    """Plans with signatures and the decision; ``date_from``/``date_to`` filter on the day the plan
    was drafted."""
    qs = TreatmentPlan.objects.filter(patient__site_id=site_id_of(reader(request)))
    if filters.patient_id is not None:
        qs = qs.filter(patient_id=filters.patient_id)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    qs = with_related(dated(qs, "created_at__date", filters).order_by("created_at", "id"))
    return page(request, qs, paging, present)


@router.get("/plans/{int:plan_id}", response=PlanOut, summary="One treatment plan")
def plan(request: HttpRequest, plan_id: RecordId) -> dict[str, Any]:
    found = plan_get(user=reader(request), pk=plan_id)
    return present(with_related(TreatmentPlan.objects.filter(pk=found.pk)))[0]
