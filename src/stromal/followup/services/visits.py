"""Discharge and follow-up visits. Discharge generates the protocol's
follow-up calendar in the same transaction; every change is audited. A visit
is completed only when each instrument due there is recorded or has a reason
why not (``stromal.followup.services.instruments`` records them)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.administrations.models import OPEN_STATES, AdministrationSession
from stromal.audit.locking import check_version, update_versioned
from stromal.audit.services import require_reason, snapshot
from stromal.chronology import require_not_before, require_not_future
from stromal.followup.models import Discharge, FollowUpVisit, VisitStatus
from stromal.followup.schedule import visit_windows
from stromal.followup.selectors import visit_instruments
from stromal.patients.guards import audit_change, require_patient_access, require_role
from stromal.plans.models import TreatmentPlan
from stromal.plans.selectors import plan_lineage

OPEN_SESSIONS = "Administrations are still open ({n}); finish or cancel them before discharge."
NO_SESSIONS = "No administration has taken place under this plan yet."
ALREADY_DISCHARGED = "This patient was already discharged under this plan."
NEEDS_TEXT = "Record the discharge examination and a summary."
VISIT_CLOSED = "This visit is already {status}."
MISSED_NEEDS_REASON = "Give the reason the visit was missed (e.g. not reachable after three calls)."
AMEND_NEEDS_REASON = "Give the reason for correcting the recorded visit."
AMEND_ONLY_RECORDED = "Only a recorded (completed or missed) visit can be corrected; record it first."
AMEND_NO_CHANGE = "The correction changes nothing."
MISSED_HAS_NO_DATE = "A missed visit has no visit date; correct its reason instead."
NOT_DUE_CLOSED = "This visit is not due: {reason}"
INSTRUMENT_MISSING = "{title} is due at this visit: record it, or give the reason it was not done."

VISIT_RECORDERS = (Role.COORDINATOR, Role.PHYSICIAN, Role.NURSE)


@transaction.atomic
def discharge_record(
    *,
    plan: TreatmentPlan,
    physician: User,
    discharged_at: dt.datetime,
    examination_findings: str,
    summary: str,
    recommendations: str = "",
    spo2_pct: float | None = None,
    respiratory_rate_per_min: float | None = None,
) -> Discharge:
    """Discharge after the last administration and generate the follow-up calendar."""
    require_role(physician, "discharge a patient", Role.PHYSICIAN)
    require_patient_access(physician, plan.patient)
    # The course is the plan and the revisions it supersedes: administrations given under
    # an earlier revision count, and one discharge ends the whole course.
    course = [version.pk for version in plan_lineage(plan)]
    if Discharge.objects.filter(plan_id__in=course).exists():
        raise ValidationError(ALREADY_DISCHARGED)
    if not examination_findings.strip() or not summary.strip():
        raise ValidationError({"summary": NEEDS_TEXT})
    arm = plan.protocol_version.to_protocol().arm(plan.arm_name)
    sessions = AdministrationSession.objects.filter(plan_id__in=course)
    open_count = sessions.filter(status__in=OPEN_STATES).count()
    if open_count:
        raise ValidationError(OPEN_SESSIONS.format(n=open_count))
    if not arm.is_control and not sessions.exists():
        raise ValidationError(NO_SESSIONS)
    require_not_future("discharged_at", discharged_at, label="The discharge")
    require_not_before(
        "discharged_at",
        discharged_at,
        plan.start_date,
        label="The discharge",
        earlier_label="the plan's day 0",
    )
    last = (
        sessions.filter(ended_at__isnull=False)
        .order_by("-ended_at")
        .values_list("ended_at", flat=True)
        .first()
    )
    if last is not None:
        # Compared at the minute, the precision the discharge form records: a discharge typed in
        # the minute the last administration ended is not before it.
        last = last.replace(second=0, microsecond=0)
    require_not_before(
        "discharged_at",
        discharged_at,
        last,
        label="The discharge",
        earlier_label="the end of the last administration",
    )
    discharge = Discharge.objects.create(
        patient=plan.patient,
        plan=plan,
        discharged_at=discharged_at,
        discharged_by=physician,
        examination_findings=examination_findings.strip(),
        summary=summary.strip(),
        recommendations=recommendations.strip(),
        spo2_pct=spo2_pct,
        respiratory_rate_per_min=respiratory_rate_per_min,
    )
    audit_change(actor=physician, action="discharge", instance=discharge, before=None, patient=plan.patient)
    protocol = plan.protocol_version.to_protocol()
    for window in visit_windows(plan.start_date, protocol.follow_up):
        visit = FollowUpVisit.objects.create(
            patient=plan.patient,
            plan=plan,
            code=window.code,
            name=window.name,
            day_offset=window.day_offset,
            target_date=window.target_date,
            window_start=window.window_start,
            window_end=window.window_end,
        )
        audit_change(
            actor=physician, action="followup_schedule", instance=visit, before=None, patient=plan.patient
        )
    return discharge


@transaction.atomic
def visit_complete(
    *, visit: FollowUpVisit, user: User, version: int, completed_on: dt.date, notes: str = ""
) -> FollowUpVisit:
    """Record the visit as done; a date outside the window is kept and flagged."""
    require_role(user, "record follow-up visits", *VISIT_RECORDERS)
    require_patient_access(user, visit.patient)
    check_version(visit, expected_version=version)
    if visit.status != VisitStatus.SCHEDULED:
        raise ValidationError(VISIT_CLOSED.format(status=visit.get_status_display().lower()))
    require_visit_date(visit, completed_on)
    require_instruments_or_reasons(visit)
    before = snapshot(visit)
    update_versioned(
        visit,
        expected_version=version,
        status=VisitStatus.COMPLETED,
        completed_on=completed_on,
        completed_by=user,
        out_of_window=not visit.window_start <= completed_on <= visit.window_end,
        notes=notes.strip(),
    )
    audit_change(actor=user, action="followup_complete", instance=visit, before=before, patient=visit.patient)
    return visit


def require_instruments_or_reasons(visit: FollowUpVisit) -> None:
    """Refuse while an instrument due at the visit has neither a response nor a reason.

    Raises:
        ValidationError: ``{instrument code: INSTRUMENT_MISSING}`` for each one.
    """
    missing = visit_instruments(visit=visit).missing()
    if missing:
        raise ValidationError({i.code: INSTRUMENT_MISSING.format(title=i.title) for i in missing})


def require_visit_date(visit: FollowUpVisit, completed_on: dt.date) -> None:
    """Not later than today; not before the window opens (after its end is kept, flagged late)."""
    require_not_future("completed_on", completed_on, label="The visit date")
    require_not_before(
        "completed_on",
        completed_on,
        visit.window_start,
        label="The visit date",
        earlier_label="its window's start",
    )


@transaction.atomic
def visit_amend(
    *,
    visit: FollowUpVisit,
    user: User,
    version: int,
    reason: str,
    completed_on: dt.date | None = None,
    notes: str | None = None,
) -> FollowUpVisit:
    """Correct a recorded visit: its date (a completed visit) and its notes (a missed visit's
    notes are the reason it was missed). The reason and old -> new go to the audit trail,
    shown as the visit's history.

    Raises:
        ValidationError: the visit is not recorded yet, no reason, nothing changed, a date on a
            missed visit, or a date in the future or before the window opens.
    """
    require_role(user, "correct follow-up visits", *VISIT_RECORDERS)
    require_patient_access(user, visit.patient)
    check_version(visit, expected_version=version)
    if visit.status == VisitStatus.NOT_DUE:
        raise ValidationError(NOT_DUE_CLOSED.format(reason=visit.notes))
    if visit.status == VisitStatus.SCHEDULED:
        raise ValidationError(AMEND_ONLY_RECORDED)
    require_reason(reason, AMEND_NEEDS_REASON)
    fields: dict[str, object] = {}
    if completed_on is not None and completed_on != visit.completed_on:
        if visit.status != VisitStatus.COMPLETED:
            raise ValidationError({"completed_on": MISSED_HAS_NO_DATE})
        require_visit_date(visit, completed_on)
        fields.update(
            completed_on=completed_on,
            out_of_window=not visit.window_start <= completed_on <= visit.window_end,
        )
    if notes is not None and notes.strip() != visit.notes:
        if visit.status == VisitStatus.MISSED and not notes.strip():
            raise ValidationError({"notes": MISSED_NEEDS_REASON})
        fields["notes"] = notes.strip()
    if not fields:
        raise ValidationError(AMEND_NO_CHANGE)
    before = snapshot(visit)
    update_versioned(visit, expected_version=version, **fields)
    audit_change(
        actor=user,
        action="followup_amend",
        instance=visit,
        before=before,
        patient=visit.patient,
        reason=reason.strip(),
    )
    return visit


@transaction.atomic
def visit_mark_missed(*, visit: FollowUpVisit, user: User, version: int, reason: str) -> FollowUpVisit:
    require_role(user, "record missed visits", *VISIT_RECORDERS)
    require_patient_access(user, visit.patient)
    check_version(visit, expected_version=version)
    if visit.status != VisitStatus.SCHEDULED:
        raise ValidationError(VISIT_CLOSED.format(status=visit.get_status_display().lower()))
    require_reason(reason, MISSED_NEEDS_REASON)
    before = snapshot(visit)
    update_versioned(visit, expected_version=version, status=VisitStatus.MISSED, notes=reason.strip())
    audit_change(
        actor=user,
        action="followup_missed",
        instance=visit,
        before=before,
        patient=visit.patient,
        reason=reason,
    )
    return visit
