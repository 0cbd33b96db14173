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
from stromal.protocols.models import ProtocolVersion


def plan_get(*, user: User, pk: int) -> TreatmentPlan:
    return get_object_or_404(
        TreatmentPlan.objects.select_related("patient", "protocol_version", "encounter"),
        pk=pk,
        patient__site_id=site_id_of(user),
    )


def consent_get(*, user: User, pk: int) -> Consent:
    """A consent of the user's site (404 for another site's, as for any record)."""
    return get_object_or_404(
        Consent.objects.select_related("plan__patient__site", "plan__protocol_version", "recorded_by"),
        pk=pk,
        plan__patient__site_id=site_id_of(user),
    )


def eligibility_get(*, user: User, pk: int) -> EligibilityCheck:
    return get_object_or_404(EligibilityCheck, pk=pk, patient__site_id=site_id_of(user))


def live_plan(patient_id: int) -> TreatmentPlan | None:
    """The patient's draft or approved plan, if any."""
    return TreatmentPlan.objects.filter(
        patient_id=patient_id, status__in=[PlanStatus.DRAFT, PlanStatus.APPROVED]
    ).first()


def drafter_excluded(plan: TreatmentPlan, user: User) -> bool:
    """True when ``user`` drafted ``plan`` and its protocol keeps drafters from signing."""
    return user.pk == plan.drafted_by_id and plan.protocol_version.to_protocol().signers_exclude_drafter


def protocols_letting_drafters_sign() -> list[int]:
    """Ids of the protocol versions that turn segregation of duties off (few rows, read whole)."""
    return [
        pk
        for pk, definition in ProtocolVersion.objects.values_list("pk", "definition")
        if isinstance(definition, dict) and definition.get("signers_exclude_drafter", True) is False
    ]


def active_signatures(plan: TreatmentPlan) -> QuerySet[PlanSignature]:
    return plan.signatures.filter(voided_at__isnull=True).select_related("signer")


def plan_lineage(plan: TreatmentPlan) -> list[TreatmentPlan]:
    """``plan`` and the revisions it supersedes, newest first (the first is the original plan's revision 1)."""
    chain = [plan]
    while chain[-1].supersedes_id is not None:
        chain.append(TreatmentPlan.objects.select_related("protocol_version").get(pk=chain[-1].supersedes_id))
    return chain


def plan_revisions(plan: TreatmentPlan) -> QuerySet[TreatmentPlan]:
    """Later revisions proposed for ``plan`` (draft, approved, superseded or withdrawn), oldest first."""
    return plan.revisions.order_by("created_at", "id")


def current_decision(plan: TreatmentPlan) -> PatientDecision | None:
    """The latest decision on the plan as it stands (an edit makes earlier decisions stale).

    A revision without a decision of its own carries the decision on the plan it supersedes.
    """
    own = plan.decisions.filter(plan_version=plan.version).order_by("-decided_at", "-id").first()
    if own is None and plan.supersedes_id is not None:
        return current_decision(plan_lineage(plan)[1])
    return own


def valid_consent(plan: TreatmentPlan) -> Consent | None:
    """The latest consent not withdrawn, on ``plan`` or (a revision) on the plans it supersedes."""
    for version in plan_lineage(plan):
        consent = version.consents.filter(withdrawn_at__isnull=True).order_by("-given_at", "-id").first()
        if consent is not None:
            return consent
    return None


def consent_history(plan: TreatmentPlan) -> list[Consent]:
    """Every consent on ``plan`` and the plans it revises, newest first (none is ever hidden)."""
    lineage = [version.pk for version in plan_lineage(plan)]
    return list(
        Consent.objects.filter(plan_id__in=lineage).select_related("recorded_by").order_by("-given_at", "-id")
    )


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
