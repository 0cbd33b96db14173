"""Reads for the patient page and the per-role worklist, always site-scoped."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.examinations.models import Encounter, EncounterKind, EncounterStatus, Observation
from stromal.followup.course import course_extra, course_work
from stromal.followup.steps import COURSE_STEPS
from stromal.intake.models import OPEN_STATUSES, ConsultationRequest
from stromal.pathway.timeline import PATHWAY_STEPS, CourseFacts, Timeline, build_timeline
from stromal.patients.guards import site_id_of
from stromal.patients.models import Patient
from stromal.plans.models import EligibilityCheck, PatientDecision, PlanSignature, PlanStatus, TreatmentPlan
from stromal.plans.selectors import active_signatures, current_decision, valid_consent


def course_facts(patient: Patient) -> CourseFacts:
    request = ConsultationRequest.objects.filter(patient=patient).first()
    exam = patient.encounters.filter(kind=EncounterKind.EXAMINATION).order_by("-scheduled_for", "-id").first()
    check = EligibilityCheck.objects.filter(patient=patient).order_by("-checked_at", "-id").first()
    plan = (
        patient.plans.filter(status__in=[PlanStatus.DRAFT, PlanStatus.APPROVED]).first()
        or patient.plans.order_by("-created_at", "-id").first()
    )
    decision = current_decision(plan) if plan else None
    meeting = plan.meetings.order_by("-held_at").first() if plan else None
    consent = valid_consent(plan) if plan else None
    return CourseFacts(
        patient_id=patient.pk,
        registered_at=patient.created_at,
        requested_at=request.created_at if request else None,
        examination_id=exam.pk if exam else None,
        examination_status=exam.status if exam else None,
        examination_at=exam.scheduled_for if exam else None,
        examination_has_results=bool(exam and exam.observations.exists()),
        eligibility_id=check.pk if check else None,
        eligible=check.eligible if check else None,
        eligibility_overridden=bool(check and check.override),
        eligibility_at=check.checked_at if check else None,
        plan_id=plan.pk if plan else None,
        plan_status=plan.status if plan else None,
        plan_at=plan.created_at if plan else None,
        plan_is_control=bool(plan and plan.dose.get("control")),
        protocol_label=f"{plan.protocol_version} · {plan.arm_name}" if plan else "",
        signature_count=active_signatures(plan).count() if plan else 0,
        approved_at=plan.approved_at if plan else None,
        meeting_at=meeting.held_at if meeting else None,
        consent_at=consent.given_at if consent else None,
        decision=decision.decision if decision else None,
        decision_at=decision.decided_at if decision else None,
        extra=course_extra(patient, plan),
    )


def patient_timeline(patient: Patient) -> Timeline:
    # Part 2 of the pathway (administrations, discharge, follow-up) appends its steps.
    return build_timeline(course_facts(patient), [*PATHWAY_STEPS, *COURSE_STEPS])


@dataclass
class Worklist:
    requests: list[ConsultationRequest] = field(default_factory=list)
    examinations: list[Encounter] = field(default_factory=list)
    to_check: list[Encounter] = field(default_factory=list)
    to_sign: list[TreatmentPlan] = field(default_factory=list)
    to_decide: list[TreatmentPlan] = field(default_factory=list)
    more: list[Any] = field(default_factory=list)  # issue-4 sections (stromal.followup.course)

    @property
    def empty(self) -> bool:
        return not (
            self.requests or self.examinations or self.to_check or self.to_sign or self.to_decide or self.more
        )


def _open_examinations(site_id: int, today: dt.date) -> QuerySet[Encounter]:
    """Examinations due today or earlier that are not closed yet."""
    return (
        Encounter.objects.filter(patient__site_id=site_id, scheduled_for__date__lte=today)
        .exclude(status=EncounterStatus.CLOSED)
        .select_related("patient")
        .order_by("scheduled_for")
    )


def worklist(*, user: User, today: dt.date | None = None, limit: int = 50) -> Worklist:
    """What this user must do today, by role."""
    site_id = site_id_of(user)
    today = today or timezone.localdate()
    out = Worklist()
    role = user.role
    live = TreatmentPlan.objects.filter(patient__site_id=site_id).select_related(
        "patient", "protocol_version"
    )
    if role == Role.COORDINATOR:
        out.requests = list(
            ConsultationRequest.objects.filter(site_id=site_id, status__in=OPEN_STATUSES)[:limit]
        )
    if role in (Role.PHYSICIAN, Role.NURSE, Role.LAB):
        out.examinations = list(_open_examinations(site_id, today)[:limit])
    if role == Role.PHYSICIAN:
        has_check = EligibilityCheck.objects.filter(encounter=OuterRef("pk"))
        has_results = Observation.objects.filter(encounter=OuterRef("pk"))
        out.to_check = list(
            Encounter.objects.filter(patient__site_id=site_id, kind=EncounterKind.EXAMINATION)
            .filter(Exists(has_results))
            .exclude(Exists(has_check))
            .exclude(patient__plans__status__in=[PlanStatus.DRAFT, PlanStatus.APPROVED])
            .select_related("patient")[:limit]
        )
        mine = PlanSignature.objects.filter(plan=OuterRef("pk"), signer=user, voided_at__isnull=True)
        out.to_sign = list(live.filter(status=PlanStatus.DRAFT).exclude(Exists(mine))[:limit])
    if role in (Role.PHYSICIAN, Role.COORDINATOR):
        # The latest decision on the plan as it stands, in SQL (one query, not one per plan).
        latest = (
            PatientDecision.objects.filter(plan=OuterRef("pk"), plan_version=OuterRef("version"))
            .order_by("-decided_at", "-id")
            .values("decision")[:1]
        )
        out.to_decide = list(
            live.filter(status__in=[PlanStatus.DRAFT, PlanStatus.APPROVED])
            .annotate(latest_decision=Subquery(latest))
            .filter(Q(latest_decision__isnull=True) | Q(latest_decision="defer"))[:limit]
        )
    out.more = course_work(user=user, today=today, limit=limit)
    return out
