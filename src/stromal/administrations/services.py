"""All writes to administration sessions and adverse events.

Rules held here (and, where a single row can show it, by the database):
no administration without an approved plan (two distinct physicians'
signatures) that the patient accepted with recorded consent; no unit that is
not released, is expired (also after thaw) or belongs to another session; two
different people check patient and product identity at the bedside, and a
mismatch blocks; a stopping-rule hit stops the session, asks a physician to
confirm and opens an adverse event; every change goes to the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.administrations.models import (
    ActionTaken,
    AdministrationSession,
    AdverseEvent,
    IdentityCheck,
    Interruption,
    Outcome,
    Relatedness,
    Seriousness,
    SessionStatus,
    VitalSigns,
)
from stromal.administrations.vitals import stopping_rule_hits, validate_vitals
from stromal.audit.locking import check_version, update_versioned
from stromal.audit.services import snapshot
from stromal.clinical.validation import ClinicalInputError
from stromal.patients.guards import audit_change, require_patient_access, require_role
from stromal.plans.models import TreatmentPlan
from stromal.plans.selectors import ready_for_treatment
from stromal.products import services as product_services
from stromal.products.isbt128 import IdentifierError, parse_din
from stromal.products.models import LotStatus, ProductLot

PLAN_NOT_READY = (
    "No administration without an approved plan (two physicians' signatures) "
    "and the patient's accept decision with recorded consent."
)
CONTROL_ARM = "The plan's arm is conventional treatment only; there is nothing to administer."
PRODUCT_NOT_RELEASED = "Unit {din} is '{status}', not released; it cannot be given."
PRODUCT_ELSEWHERE = "Unit {din} is allocated to another administration."
PRODUCT_WRONG_TYPE = "Unit {din} is {got}; the protocol arm needs {want}."
PRODUCT_OTHER_SITE = "Unit {din} belongs to another site."
NO_PRODUCT = "Allocate a released unit to this administration first."
WRONG_STATUS = "This administration is '{status}'; it cannot {action} now."
PATIENT_MISMATCH = "Patient identifier {given!r} does not match this patient."
PRODUCT_MISMATCH = "Product identifier {given!r} does not match the allocated unit {din}."
SAME_CHECKER = "The second identity check must be done by a different person."
CHECKS_MISSING = "Two different people must check patient and product identity before the start."
STOP_CONFIRMED = "Stopping-rule event confirmed by the physician."
ALREADY_CONFIRMED = "The stop was already confirmed."
NOT_STOPPED = "Only a session stopped by a stopping rule awaits confirmation."
AMOUNT_NEEDED = "Record the volume given and the cells or particles given."
GRADE_RANGE = "CTCAE grade must be 1 to 5."
GRADE5_FATAL = "Grade 5 (death) needs outcome 'fatal' and is serious."
SERIOUS_NEEDS_CRITERIA = "A serious event needs at least one seriousness criterion (ICH E2A)."

SESSION_RUNNERS = (Role.NURSE, Role.PHYSICIAN)
SCHEDULERS = (Role.NURSE, Role.PHYSICIAN, Role.COORDINATOR)
AE_REPORTERS = (Role.NURSE, Role.PHYSICIAN)


def _change(
    session: AdministrationSession, user: User, action: str, before: Mapping[str, Any], reason: str = ""
) -> None:
    audit_change(
        actor=user, action=action, instance=session, before=before, patient=session.patient, reason=reason
    )


def _require_status(session: AdministrationSession, action: str, *allowed: str) -> None:
    if session.status not in allowed:
        raise ValidationError(WRONG_STATUS.format(status=session.status, action=action), code="status")


def _require_ready(plan: TreatmentPlan) -> None:
    plan.refresh_from_db()
    if not ready_for_treatment(plan):
        raise ValidationError(PLAN_NOT_READY, code="plan_not_ready")


# --- scheduling and product ---------------------------------------------------------------


@transaction.atomic
def sessions_schedule(*, plan: TreatmentPlan, user: User) -> list[AdministrationSession]:
    """Create one session per administration day of the plan's arm (idempotent)."""
    require_role(user, "schedule administrations", *SCHEDULERS)
    require_patient_access(user, plan.patient)
    _require_ready(plan)
    arm = plan.protocol_version.to_protocol().arm(plan.arm_name)
    if arm.is_control or arm.route is None:
        raise ValidationError(CONTROL_ARM)
    sessions = []
    for sequence, day in enumerate(arm.days, start=1):
        session, created = AdministrationSession.objects.get_or_create(
            plan=plan,
            sequence=sequence,
            defaults={
                "patient": plan.patient,
                "protocol_day": day,
                "scheduled_date": plan.start_date + dt.timedelta(days=day),
                "route": arm.route.value,
            },
        )
        if created:
            _change(session, user, "session_schedule", {})
        sessions.append(session)
    return sessions


@transaction.atomic
def session_allocate(
    *, session: AdministrationSession, lot: ProductLot, user: User, version: int
) -> AdministrationSession:
    """Lab / pharmacy allocate one released, unexpired unit of the right product to this session."""
    require_role(user, "allocate product units", Role.LAB)
    require_patient_access(user, session.patient)
    check_version(session, expected_version=version)
    _require_status(session, "take a unit", SessionStatus.SCHEDULED)
    _require_ready(session.plan)
    lot = ProductLot.objects.select_for_update().get(pk=lot.pk)
    if lot.site_id != session.patient.site_id:
        raise ValidationError({"lot": PRODUCT_OTHER_SITE.format(din=lot.din_display)})
    if session.product_id is not None:
        raise ValidationError({"lot": "This administration already has a unit; withdraw it first."})
    if AdministrationSession.objects.filter(product=lot).exists():
        raise ValidationError({"lot": PRODUCT_ELSEWHERE.format(din=lot.din_display)})
    if lot.status != LotStatus.RELEASED:
        raise ValidationError({"lot": PRODUCT_NOT_RELEASED.format(din=lot.din_display, status=lot.status)})
    arm = session.plan.protocol_version.to_protocol().arm(session.plan.arm_name)
    if arm.product is not None and lot.product_type != arm.product.value:
        raise ValidationError(
            {
                "lot": PRODUCT_WRONG_TYPE.format(
                    din=lot.din_display, got=lot.product_type, want=arm.product.value
                )
            }
        )
    now = timezone.now()
    try:
        product_services.lot_allocate(
            lot=lot,
            actor=user,
            at=now,
            note=f"patient {session.patient.mrn}, administration {session.sequence}",
        )
    except ValidationError as exc:
        raise ValidationError({"lot": exc.messages}) from None
    before = snapshot(session)
    update_versioned(session, expected_version=version, product=lot)
    _change(session, user, "session_allocate", before)
    return session


def _check_product_usable(session: AdministrationSession, at: dt.datetime) -> ProductLot:
    if session.product_id is None:
        raise ValidationError(NO_PRODUCT, code="no_product")
    lot = ProductLot.objects.get(pk=session.product_id)
    if lot.status != LotStatus.ALLOCATED:
        raise ValidationError(PRODUCT_NOT_RELEASED.format(din=lot.din_display, status=lot.status))
    problem = product_services.lot_expiry_problem(lot, at=at)
    if problem:
        raise ValidationError(problem, code="expired")
    return lot


@transaction.atomic
def session_prepare(
    *, session: AdministrationSession, user: User, version: int, thawed_at: dt.datetime | None = None
) -> AdministrationSession:
    """Thaw / prepare the allocated unit; from now its expiry after thaw runs."""
    require_role(user, "prepare an administration", *SESSION_RUNNERS)
    require_patient_access(user, session.patient)
    check_version(session, expected_version=version)
    _require_status(session, "be prepared", SessionStatus.SCHEDULED)
    _require_ready(session.plan)
    at = thawed_at or timezone.now()
    lot = _check_product_usable(session, at)
    product_services.lot_thaw(lot=lot, actor=user, thawed_at=at)
    before = snapshot(session)
    update_versioned(
        session, expected_version=version, status=SessionStatus.PREPARED, prepared_at=at, prepared_by=user
    )
    _change(session, user, "session_prepare", before)
    return session


# --- bedside identity check ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    matched: bool
    problems: tuple[str, ...]
    session: AdministrationSession


def _normalise_identifier(text: str) -> str:
    return "".join(text.split()).upper()


def identity_check(
    *,
    session: AdministrationSession,
    user: User,
    version: int,
    patient_identifier: str,
    product_identifier: str,
) -> CheckResult:
    """One person's bedside check. A mismatch is recorded (and audited) and blocks the start.

    The attempt is saved in its own transaction so a refused check stays on
    record; the caller shows ``problems`` next to the fields.
    """
    require_role(user, "check identity at the bedside", *SESSION_RUNNERS)
    require_patient_access(user, session.patient)
    with transaction.atomic():
        session = (
            # Lock only the session row: PostgreSQL refuses FOR UPDATE on the
            # nullable side of the outer join to the product.
            AdministrationSession.objects.select_for_update(of=("self",))
            .select_related("patient", "product")
            .get(pk=session.pk)
        )
        check_version(session, expected_version=version)
        _require_status(session, "be checked", SessionStatus.PREPARED)
        if session.first_checker_id == user.pk:
            raise ValidationError(SAME_CHECKER, code="same_checker")
        lot = session.product
        assert lot is not None  # a prepared session has a unit
        problems = []
        if _normalise_identifier(patient_identifier) != _normalise_identifier(session.patient.mrn):
            problems.append(PATIENT_MISMATCH.format(given=patient_identifier))
        try:
            din = parse_din(product_identifier)
            if din.number != lot.din:
                problems.append(PRODUCT_MISMATCH.format(given=product_identifier, din=lot.din_display))
        except IdentifierError as exc:
            problems.append(str(exc))
        check = IdentityCheck.objects.create(
            session=session,
            checker=user,
            patient_identifier=patient_identifier[:60],
            product_identifier=product_identifier[:60],
            matched=not problems,
            mismatch="; ".join(problems),
        )
        audit_change(
            actor=user,
            action="identity_check" if not problems else "identity_check_mismatch",
            instance=check,
            before=None,
            patient=session.patient,
        )
        if problems:
            return CheckResult(False, tuple(problems), session)
        before = snapshot(session)
        if session.first_checker_id is None:
            update_versioned(session, expected_version=version, first_checker=user)
        else:
            update_versioned(
                session, expected_version=version, second_checker=user, status=SessionStatus.CHECKED
            )
        _change(session, user, "session_identity_checked", before)
        return CheckResult(True, (), session)


# --- running the session -------------------------------------------------------------------


@transaction.atomic
def session_start(
    *,
    session: AdministrationSession,
    user: User,
    version: int,
    baseline: Mapping[str, Any],
    started_at: dt.datetime | None = None,
) -> AdministrationSession:
    """Start after both identity checks; the baseline vitals anchor the stopping rules."""
    require_role(user, "start an administration", *SESSION_RUNNERS)
    require_patient_access(user, session.patient)
    check_version(session, expected_version=version)
    if session.status == SessionStatus.PREPARED:
        raise ValidationError(CHECKS_MISSING, code="checks_missing")
    _require_status(session, "start", SessionStatus.CHECKED)
    _require_ready(session.plan)
    at = started_at or timezone.now()
    _check_product_usable(session, at)
    try:
        clean = validate_vitals(baseline)
    except ClinicalInputError as exc:
        raise ValidationError({exc.field: str(exc)}) from None
    before = snapshot(session)
    update_versioned(
        session,
        expected_version=version,
        status=SessionStatus.RUNNING,
        started_at=at,
        started_by=user,
        baseline=clean,
    )
    _change(session, user, "session_start", before)
    return session


@transaction.atomic
def session_interrupt(
    *, session: AdministrationSession, user: User, version: int, reason: str
) -> AdministrationSession:
    require_role(user, "interrupt an administration", *SESSION_RUNNERS)
    require_patient_access(user, session.patient)
    check_version(session, expected_version=version)
    _require_status(session, "be interrupted", SessionStatus.RUNNING)
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the interruption."})
    Interruption.objects.create(
        session=session, started_at=timezone.now(), reason=reason.strip(), recorded_by=user
    )
    before = snapshot(session)
    update_versioned(session, expected_version=version, status=SessionStatus.INTERRUPTED)
    _change(session, user, "session_interrupt", before, reason=reason)
    return session


@transaction.atomic
def session_resume(*, session: AdministrationSession, user: User, version: int) -> AdministrationSession:
    require_role(user, "resume an administration", *SESSION_RUNNERS)
    require_patient_access(user, session.patient)
    check_version(session, expected_version=version)
    _require_status(session, "resume", SessionStatus.INTERRUPTED)
    now = timezone.now()
    _check_product_usable(session, now)
    session.interruptions.filter(ended_at__isnull=True).update(ended_at=now)
    before = snapshot(session)
    update_versioned(session, expected_version=version, status=SessionStatus.RUNNING)
    _change(session, user, "session_resume", before)
    return session


@dataclass(frozen=True)
class VitalsResult:
    vitals: VitalSigns
    stopped: bool
    adverse_event: AdverseEvent | None


@transaction.atomic
def vitals_record(
    *,
    session: AdministrationSession,
    user: User,
    values: Mapping[str, Any],
    taken_at: dt.datetime | None = None,
    scheduled_minute: int | None = None,
) -> VitalsResult:
    """Record vitals and evaluate the protocol's stopping rules on them at once.

    A hit stops the session (status 'stopped', awaiting the physician's
    confirmation) and opens an adverse event in the same transaction.
    Vitals are appended, never edited, so no version is needed.
    """
    require_role(user, "record vitals", *SESSION_RUNNERS)
    require_patient_access(user, session.patient)
    session = AdministrationSession.objects.select_for_update().get(pk=session.pk)
    _require_status(
        session,
        "take vitals",
        SessionStatus.RUNNING,
        SessionStatus.INTERRUPTED,
        SessionStatus.COMPLETED,
        SessionStatus.STOPPED,
    )
    try:
        clean = validate_vitals(values)
    except ClinicalInputError as exc:
        raise ValidationError({exc.field: str(exc)}) from None
    if not clean:
        raise ValidationError("Enter at least one value.")
    at = taken_at or timezone.now()
    assert session.started_at is not None
    minutes = (at - session.started_at).total_seconds() / 60
    if minutes < 0:
        raise ValidationError({"taken_at": "Vitals cannot be taken before the start of the administration."})
    protocol = session.plan.protocol_version.to_protocol()
    hits = stopping_rule_hits(protocol.stopping_rules, session.baseline, clean, minutes)
    vitals = VitalSigns.objects.create(
        session=session,
        scheduled_minute=scheduled_minute,
        minutes_since_start=round(minutes, 2),
        taken_at=at,
        recorded_by=user,
        values=clean,
        hits=[h.as_dict() for h in hits],
    )
    audit_change(actor=user, action="vitals_record", instance=vitals, before=None, patient=session.patient)
    if not hits or session.status in (SessionStatus.STOPPED,):
        return VitalsResult(vitals, False, None)
    description = "; ".join(h.description for h in hits)
    event = AdverseEvent.objects.create(
        patient=session.patient,
        session=session,
        term="Infusion-associated event: " + description[:160],
        onset_at=at,
        from_stopping_rule=True,
        stopping_rule_ids=[h.rule_id for h in hits],
        action_taken=ActionTaken.STOPPED if session.status != SessionStatus.COMPLETED else ActionTaken.NONE,
        description=description,
        reported_by=user,
    )
    audit_change(
        actor=user, action="ae_open_stopping_rule", instance=event, before=None, patient=session.patient
    )
    if session.status == SessionStatus.COMPLETED:
        # Within the post-administration window the unit is already given: nothing to stop.
        return VitalsResult(vitals, False, event)
    session.interruptions.filter(ended_at__isnull=True).update(ended_at=at)
    before = snapshot(session)
    update_versioned(
        session,
        expected_version=session.version,
        status=SessionStatus.STOPPED,
        ended_at=at,
        stop_reason="Stopping rule: " + description,
        stopping_hits=[h.as_dict() for h in hits],
    )
    _change(session, user, "session_stopped_by_rule", before, reason=description)
    return VitalsResult(vitals, True, event)


@transaction.atomic
def session_confirm_stop(
    *, session: AdministrationSession, physician: User, version: int, note: str = ""
) -> AdministrationSession:
    """A physician confirms the stopping-rule event (the session stays stopped)."""
    require_role(physician, "confirm a stopping-rule event", Role.PHYSICIAN)
    require_patient_access(physician, session.patient)
    check_version(session, expected_version=version)
    if session.status != SessionStatus.STOPPED:
        raise ValidationError(NOT_STOPPED)
    if session.stop_confirmed_by_id is not None:
        raise ValidationError(ALREADY_CONFIRMED)
    before = snapshot(session)
    update_versioned(
        session,
        expected_version=version,
        stop_confirmed_by=physician,
        stop_confirmed_at=timezone.now(),
        notes=(session.notes + "\n" + note).strip() if note else session.notes,
    )
    _change(session, physician, "session_confirm_stop", before, reason=note or STOP_CONFIRMED)
    return session


@transaction.atomic
def session_record_given(
    *,
    session: AdministrationSession,
    user: User,
    version: int,
    volume_given_ml: float,
    cells_given: float | None = None,
    particles_given: float | None = None,
    ended_at: dt.datetime | None = None,
) -> AdministrationSession:
    """Record what was actually given. A running session completes; a stopped one stays stopped.

    The unit becomes 'administered' (a part-given unit is not reused).
    """
    require_role(user, "record the amount given", *SESSION_RUNNERS)
    require_patient_access(user, session.patient)
    check_version(session, expected_version=version)
    _require_status(session, "record the amount given", SessionStatus.RUNNING, SessionStatus.STOPPED)
    if volume_given_ml is None or volume_given_ml < 0 or (cells_given is None and particles_given is None):
        raise ValidationError(AMOUNT_NEEDED)
    lot = ProductLot.objects.get(pk=session.product_id or 0)  # started sessions always have a unit
    if volume_given_ml > lot.volume_ml:
        raise ValidationError({"volume_given_ml": f"More than the unit holds ({lot.volume_ml:g} mL)."})
    at = ended_at or timezone.now()
    fields: dict[str, Any] = {
        "volume_given_ml": volume_given_ml,
        "cells_given": cells_given,
        "particles_given": particles_given,
    }
    if session.status == SessionStatus.RUNNING:
        fields.update(status=SessionStatus.COMPLETED, ended_at=at)
    before = snapshot(session)
    update_versioned(session, expected_version=version, **fields)
    if lot.status == LotStatus.ALLOCATED:
        product_services.lot_mark_administered(
            lot=lot,
            actor=user,
            at=at,
            note=f"patient {session.patient.mrn}, administration {session.sequence}",
        )
    _change(session, user, "session_record_given", before)
    return session


@transaction.atomic
def session_cancel(
    *, session: AdministrationSession, user: User, version: int, reason: str
) -> AdministrationSession:
    """Cancel an administration not yet started; an allocated, unthawed unit goes back to stock."""
    require_role(user, "cancel an administration", Role.PHYSICIAN)
    require_patient_access(user, session.patient)
    check_version(session, expected_version=version)
    _require_status(
        session, "be cancelled", SessionStatus.SCHEDULED, SessionStatus.PREPARED, SessionStatus.CHECKED
    )
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for cancelling."})
    before = snapshot(session)
    lot = ProductLot.objects.get(pk=session.product_id) if session.product_id is not None else None
    fields: dict[str, Any] = {"status": SessionStatus.CANCELLED}
    if lot is not None and lot.thawed_at is None:
        product_services.lot_deallocate(lot=lot, actor=user, reason=reason)
        fields["product"] = None
    # A thawed unit stays with the cancelled session: it cannot go back to
    # stock, and lab / pharmacy discard it with their own record.
    update_versioned(session, expected_version=version, **fields)
    _change(session, user, "session_cancel", before, reason=reason)
    return session


# --- adverse events -------------------------------------------------------------------------


@transaction.atomic
def adverse_event_report(
    *,
    session: AdministrationSession,
    user: User,
    term: str,
    onset_at: dt.datetime,
    description: str = "",
) -> AdverseEvent:
    """Report an adverse event during or after an administration (graded later by a physician)."""
    require_role(user, "report adverse events", *AE_REPORTERS)
    require_patient_access(user, session.patient)
    if not term.strip():
        raise ValidationError({"term": "Name the event (e.g. 'fever', 'infusion related reaction')."})
    event = AdverseEvent.objects.create(
        patient=session.patient,
        session=session,
        term=term.strip()[:200],
        onset_at=onset_at,
        description=description,
        reported_by=user,
    )
    audit_change(actor=user, action="ae_report", instance=event, before=None, patient=event.patient)
    return event


@transaction.atomic
def adverse_event_grade(
    *,
    event: AdverseEvent,
    physician: User,
    version: int,
    ctcae_grade: int,
    serious: bool,
    seriousness_criteria: list[str],
    relatedness: str,
    outcome: str,
    action_taken: str,
    reason: str = "",
) -> AdverseEvent:
    """A physician grades the event (CTCAE v5.0) and assesses seriousness and causality.

    A serious event is flagged for expedited review.
    """
    require_role(physician, "grade adverse events", Role.PHYSICIAN)
    require_patient_access(physician, event.patient)
    check_version(event, expected_version=version)
    errors: dict[str, str] = {}
    if not 1 <= ctcae_grade <= 5:
        errors["ctcae_grade"] = GRADE_RANGE
    if relatedness not in Relatedness.values:
        errors["relatedness"] = f"relatedness={relatedness!r}: must be one of {', '.join(Relatedness.values)}"
    if outcome not in Outcome.values:
        errors["outcome"] = f"outcome={outcome!r}: must be one of {', '.join(Outcome.values)}"
    if action_taken not in ActionTaken.values:
        errors["action_taken"] = (
            f"action_taken={action_taken!r}: must be one of {', '.join(ActionTaken.values)}"
        )
    unknown = [c for c in seriousness_criteria if c not in Seriousness.values]
    if unknown:
        errors["seriousness_criteria"] = f"{unknown[0]!r} is not an ICH E2A seriousness criterion"
    if serious and not seriousness_criteria:
        errors["seriousness_criteria"] = SERIOUS_NEEDS_CRITERIA
    if ctcae_grade == 5 and (outcome != Outcome.FATAL or not serious):
        errors["ctcae_grade"] = GRADE5_FATAL
    if errors:
        raise ValidationError(errors)
    before = snapshot(event)
    update_versioned(
        event,
        expected_version=version,
        ctcae_grade=ctcae_grade,
        serious=serious,
        seriousness_criteria=list(seriousness_criteria) if serious else [],
        relatedness=relatedness,
        outcome=outcome,
        action_taken=action_taken,
        expedited_review=serious,
        graded_by=physician,
        graded_at=timezone.now(),
    )
    audit_change(
        actor=physician,
        action="ae_grade",
        instance=event,
        before=before,
        patient=event.patient,
        reason=reason,
    )
    return event
