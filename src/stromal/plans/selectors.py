from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from stromal.accounts.models import User
from stromal.patients.guards import site_id_of
from stromal.plans.models import (
    Consent,
    EligibilityCheck,
    PatientDecision,
    PlanSignature,
    PlanStatus,
    TreatmentPlan,
)


def plan_get(*, user: User, pk: int) -> TreatmentPlan:
    return get_object_or_404(
        TreatmentPlan.objects.select_related("patient", "protocol_version", "encounter"),
        pk=pk,
        patient__site_id=site_id_of(user),
    )


def eligibility_get(*, user: User, pk: int) -> EligibilityCheck:
    return get_object_or_404(EligibilityCheck, pk=pk, patient__site_id=site_id_of(user))


def live_plan(patient_id: int) -> TreatmentPlan | None:
    """The patient's draft or approved plan, if any."""
    return TreatmentPlan.objects.filter(
        patient_id=patient_id, status__in=[PlanStatus.DRAFT, PlanStatus.APPROVED]
    ).first()


def active_signatures(plan: TreatmentPlan) -> QuerySet[PlanSignature]:
    return plan.signatures.filter(voided_at__isnull=True).select_related("signer")


def current_decision(plan: TreatmentPlan) -> PatientDecision | None:
    """The latest decision on the plan as it stands (an edit makes earlier decisions stale)."""
    return plan.decisions.filter(plan_version=plan.version).order_by("-decided_at", "-id").first()


def valid_consent(plan: TreatmentPlan) -> Consent | None:
    return plan.consents.filter(withdrawn_at__isnull=True).order_by("-given_at", "-id").first()


def ready_for_treatment(plan: TreatmentPlan) -> bool:
    """Approved by two physicians and accepted, with consent, by the patient (issue-4 gate)."""
    decision = current_decision(plan)
    return bool(
        plan.is_approved
        and decision is not None
        and decision.decision == "accept"
        and decision.consent_id is not None
        and valid_consent(plan) is not None
    )
