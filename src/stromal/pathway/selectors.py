"""Reads for the patient page (site-scoped): the record, its timeline and its course, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Count, Exists, FloatField, OuterRef, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.shortcuts import get_object_or_404

from stromal.accounts.models import User
from stromal.administrations.models import AdministrationSession, AdverseEvent, VitalSigns
from stromal.examinations.models import Assessment, Encounter, EncounterKind, Observation
from stromal.followup.course import course_extra_from, patient_course_from
from stromal.followup.models import Discharge, FollowUpVisit
from stromal.followup.steps import COURSE_STEPS
from stromal.intake.models import ConsultationRequest
from stromal.pathway.templatetags.display import plan_arm
from stromal.pathway.timeline import (
    PATHWAY_STEPS,
    CourseFacts,
    PlanRevisionFact,
    Timeline,
    build_timeline,
)
from stromal.patients.guards import site_id_of
from stromal.patients.models import Patient, RelatedPerson
from stromal.plans.models import (
    Consent,
    EligibilityCheck,
    PatientDecision,
    PlanMeeting,
    PlanSignature,
    PlanStatus,
    TreatmentPlan,
)

# Columns the patient page shows or the timeline reads; the protocol definition (a large JSON
# document) is left out and read only in the rare case that needs it.
_PLAN_COLUMNS = (
    "id",
    "patient_id",
    "protocol_version_id",
    "arm_name",
    "status",
    "created_at",
    "approved_at",
    "dose",
    "version",
    "supersedes_id",
    "revision",
    "change_reason",
    "protocol_version__code",
    "protocol_version__version",
    "protocol_version__title",
    "protocol_version__definition",  # the plan's arm label (what it gives) is read from it
)


def _latest(qs: QuerySet[Any], column: str, *ordering: str) -> Subquery:
    return Subquery(qs.order_by(*ordering).values(column)[:1])


def _plans(patient_id: int) -> list[TreatmentPlan]:
    """The patient's plans (newest first), each with what the timeline needs about its records.

    One query: the current decision, meeting, valid consent, signature count and discharge
    are correlated subqueries (one index lookup each per plan), not one query apiece.
    """
    decisions = PatientDecision.objects.filter(plan=OuterRef("pk"), plan_version=OuterRef("version"))
    consents = Consent.objects.filter(plan=OuterRef("pk"), withdrawn_at__isnull=True)
    signatures = (
        PlanSignature.objects.filter(plan=OuterRef("pk"), voided_at__isnull=True)
        .order_by()
        .values("plan")
        .annotate(n=Count("id"))
        .values("n")
    )
    return list(
        TreatmentPlan.objects.filter(patient_id=patient_id)
        .select_related("protocol_version")
        .only(*_PLAN_COLUMNS)
        .annotate(
            decision_now=_latest(decisions, "decision", "-decided_at", "-id"),
            decision_at=_latest(decisions, "decided_at", "-decided_at", "-id"),
            meeting_at=_latest(PlanMeeting.objects.filter(plan=OuterRef("pk")), "held_at", "-held_at", "-id"),
            consent_at=_latest(consents, "given_at", "-given_at", "-id"),
            signature_count=Coalesce(Subquery(signatures), 0),
            discharge_at=Subquery(Discharge.objects.filter(plan=OuterRef("pk")).values("discharged_at")[:1]),
        )
    )


@dataclass(frozen=True)
class PatientPage:
    """Everything the patient page shows, read in a fixed number of queries (at most thirteen)."""

    patient: Patient
    timeline: Timeline
    encounters: Sequence[Encounter]
    plans: list[TreatmentPlan]
    family: list[RelatedPerson]
    course: dict[str, Any]
    vitals: Sequence[VitalSigns]  # every administration's vitals time points (the course charts)


def _patients() -> QuerySet[Patient]:
    requested = ConsultationRequest.objects.filter(patient=OuterRef("pk")).values("created_at")[:1]
    return Patient.objects.annotate(requested_at=Subquery(requested))


def patient_page(*, user: User, pk: int, today: dt.date | None = None) -> PatientPage:
    """The patient page of one patient of the user's site (404 for another site's)."""
    patient = get_object_or_404(_patients(), pk=pk, site_id=site_id_of(user))
    return _read_page(patient, today)


def _current_number(key: str) -> Subquery:
    """An encounter's current value of one numeric observation (a correlated subquery)."""
    current = Observation.objects.filter(encounter=OuterRef("pk"), key=key, current=True)
    return Subquery(current.values("value_number")[:1], output_field=FloatField())


def _latest_assessed(key: str) -> Subquery:
    """One number from an encounter's latest assessment (only that JSON key travels, not the document)."""
    latest = Assessment.objects.filter(encounter=OuterRef("pk")).order_by("-sequence")
    return Subquery(
        latest.annotate(v=Cast(KT(f"results__{key}"), FloatField())).values("v")[:1],
        output_field=FloatField(),
    )


def _read_page(patient: Patient, today: dt.date | None) -> PatientPage:
    pk = patient.pk
    # The oxygenation chart's values ride on the encounters' one query.
    encounters = list(
        Encounter.objects.filter(patient_id=pk)
        .only("id", "patient_id", "kind", "status", "scheduled_for")
        .annotate(
            has_results=Exists(Observation.objects.filter(encounter=OuterRef("pk"))),
            pf_ratio_mmhg=_latest_assessed("pf_ratio"),
            spo2_pct=_current_number("spo2_pct"),
            fio2=_current_number("fio2"),
        )
    )
    check = (
        EligibilityCheck.objects.filter(patient_id=pk)
        .only("id", "eligible", "override", "checked_at")
        .order_by("-checked_at", "-id")
        .first()
    )
    plans = _plans(pk)
    sessions = list(
        AdministrationSession.objects.filter(patient_id=pk)
        .select_related("product")
        .only(
            "id",
            "patient_id",
            "plan_id",
            "sequence",
            "protocol_day",
            "scheduled_date",
            "status",
            "product_id",
            "stop_confirmed_by_id",
            "volume_given_ml",
            "started_at",
            "baseline",
            "weight_kg",
            "product__din",
            "product__din_check",
        )
    )
    started = [s.pk for s in sessions if s.started_at is not None]
    vitals = (
        list(
            VitalSigns.objects.filter(session_id__in=started).only(
                "id", "session_id", "minutes_since_start", "taken_at", "values", "hits"
            )
        )
        if started
        else []
    )
    adverse_events = list(
        AdverseEvent.objects.filter(patient_id=pk).only(
            "id", "patient_id", "term", "ctcae_grade", "serious", "expedited_review", "onset_at"
        )
    )
    visits = list(
        FollowUpVisit.objects.filter(patient_id=pk).only(
            "id", "patient_id", "plan_id", "name", "status", "target_date", "window_start", "window_end"
        )
    )
    family = list(RelatedPerson.objects.filter(patient_id=pk))

    plan = _in_force(plans)
    course_plans = _course(plan, plans)
    course_ids = frozenset(p.pk for p in course_plans)
    exams = [e for e in encounters if e.kind == EncounterKind.EXAMINATION]
    exam = max(exams, key=lambda e: (e.scheduled_for, e.pk)) if exams else None
    facts = _course_facts(patient, exam, check, plan, course_plans)
    extra = (
        course_extra_from(
            plan=plan,
            sessions=sessions,
            visits=visits,
            discharge_at=next(
                (getattr(p, "discharge_at", None) for p in course_plans if getattr(p, "discharge_at", None)),
                None,
            ),
            today=today,
            course_plan_ids=course_ids,
        )
        if plan
        else {}
    )
    approved = next((p for p in plans if p.status == PlanStatus.APPROVED), None)
    course = patient_course_from(
        live=approved,
        sessions=sessions,
        adverse_events=adverse_events,
        has_followup=bool(visits),
        course_plan_ids=course_ids if approved is plan else None,
    )
    return PatientPage(
        patient=patient,
        timeline=build_timeline(replace(facts, extra=extra), [*PATHWAY_STEPS, *COURSE_STEPS]),
        encounters=encounters,
        plans=plans,
        family=family,
        course=course,
        vitals=vitals,
    )


def _in_force(plans: list[TreatmentPlan]) -> TreatmentPlan | None:
    """The plan the course follows: the approved one; else a new draft; else the newest.

    A draft revision never takes over before its two signatures: the plan it would
    supersede stays in force (and approved) until then.
    """
    approved = [p for p in plans if p.status == PlanStatus.APPROVED]
    new_drafts = [p for p in plans if p.status == PlanStatus.DRAFT and p.supersedes_id is None]
    candidates = [*approved, *new_drafts, *plans[:1]]
    return candidates[0] if candidates else None


def _first_recorded(course_plans: list[TreatmentPlan], annotation: str) -> Any:
    """The newest plan's value of an annotation (meeting_at, consent_at) among those that have one."""
    return next((getattr(p, annotation) for p in course_plans if getattr(p, annotation, None)), None)


def _course(plan: TreatmentPlan | None, plans: list[TreatmentPlan]) -> list[TreatmentPlan]:
    """``plan``, the revisions it supersedes and any revision proposed after it, newest first."""
    if plan is None:
        return []
    by_id = {p.pk: p for p in plans}
    chain = [plan]
    while chain[-1].supersedes_id in by_id:
        chain.append(by_id[chain[-1].supersedes_id])
    later = [p for p in plans if p.supersedes_id == plan.pk]
    return [*later, *chain]


def _course_facts(
    patient: Patient,
    exam: Encounter | None,
    check: EligibilityCheck | None,
    plan: TreatmentPlan | None,
    course_plans: list[TreatmentPlan],
) -> CourseFacts:
    """Facts of the course: drafting, meeting, approval and decision as first recorded (the first
    revision), the arm in force from ``plan``, and each later revision as its own fact."""
    if plan is None or len(course_plans) == 1:
        return _facts(patient, exam, check, plan)
    first = course_plans[-1]
    facts = _facts(patient, exam, check, first)
    decided = next((p for p in course_plans if getattr(p, "decision_now", None)), first)
    return replace(
        facts,
        plan_id=plan.pk,
        plan_status=plan.status,
        plan_is_control=bool(plan.dose.get("control")),
        protocol_label=f"{plan.protocol_version} · {plan_arm(plan)}",
        meeting_at=_first_recorded(course_plans, "meeting_at"),
        consent_at=_first_recorded(course_plans, "consent_at"),
        decision=getattr(decided, "decision_now", None),
        decision_at=getattr(decided, "decision_at", None),
        revisions=tuple(
            PlanRevisionFact(
                plan_id=p.pk,
                revision=p.revision,
                arm_name=p.arm_name,
                status=p.status,
                reason=p.change_reason,
                at=p.created_at,
                approved_at=p.approved_at,
                signature_count=getattr(p, "signature_count", 0),
            )
            for p in reversed(course_plans)
            if p.supersedes_id is not None
        ),
    )


def _facts(
    patient: Patient, exam: Encounter | None, check: EligibilityCheck | None, plan: TreatmentPlan | None
) -> CourseFacts:
    return CourseFacts(
        patient_id=patient.pk,
        registered_at=patient.created_at,
        requested_at=getattr(patient, "requested_at", None),
        examination_id=exam.pk if exam else None,
        examination_status=exam.status if exam else None,
        examination_at=exam.scheduled_for if exam else None,
        examination_has_results=bool(exam and getattr(exam, "has_results", False)),
        eligibility_id=check.pk if check else None,
        eligible=check.eligible if check else None,
        eligibility_overridden=bool(check and check.override),
        eligibility_at=check.checked_at if check else None,
        plan_id=plan.pk if plan else None,
        plan_status=plan.status if plan else None,
        plan_at=plan.created_at if plan else None,
        plan_is_control=bool(plan and plan.dose.get("control")),
        protocol_label=f"{plan.protocol_version} · {plan_arm(plan)}" if plan else "",
        signature_count=getattr(plan, "signature_count", 0) if plan else 0,
        approved_at=plan.approved_at if plan else None,
        meeting_at=getattr(plan, "meeting_at", None),
        consent_at=getattr(plan, "consent_at", None),
        decision=getattr(plan, "decision_now", None),
        decision_at=getattr(plan, "decision_at", None),
    )


def patient_timeline(patient: Patient) -> Timeline:
    """The patient's course as a timeline (the patient page reads it with ``patient_page``)."""
    fresh = get_object_or_404(_patients(), pk=patient.pk)
    return _read_page(fresh, None).timeline
