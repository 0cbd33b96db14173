"""All writes to administration sessions and adverse events.

Rules held here (and, where a single row can show it, by the database):
no administration without an approved plan (two distinct physicians'
signatures) that the patient accepted with recorded consent; no unit that is
not released, is expired (also after thaw) or belongs to another session; two
different people check patient and product identity at the bedside, and a
mismatch blocks; a stopping-rule hit stops the session, asks a physician to
confirm and opens an adverse event; every change goes to the audit trail.

Time rules (issue #8, class 5, through ``stromal.chronology``): no clinical
time later than now (thaw, start, end, vitals, adverse-event onset); the
administration starts after the patient's consent and after the thaw, on its
scheduled day (the protocol's window) unless a physician documented why not;
an infusion shorter than the arm's minimum is closed only as "stopped early"
with a reason. Corrections (a regraded adverse event, a changed amount given)
need a reason, kept in the audit trail and shown on the record's page.
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
    DONE_STATES,
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
from stromal.administrations.vitals import (
    canonical_doses,
    stopping_rule_hits,
    validate_baseline,
    validate_vitals,
)
from stromal.audit.locking import check_version, update_versioned
from stromal.audit.services import require_reason, snapshot
from stromal.chronology import require_not_before, require_not_future, require_time_point_reached
from stromal.clinical.protocol import Arm, Protocol
from stromal.clinical.validation import ClinicalInputError
from stromal.examinations.services import current_values
from stromal.patients.guards import audit_change, require_patient_access, require_role
from stromal.plans.models import TreatmentPlan
from stromal.plans.selectors import ready_for_treatment, valid_consent
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
# A mismatch says that it does not match, nothing more: never the expected identifier.
PATIENT_MISMATCH = "The patient identifier does not match this patient."
PRODUCT_MISMATCH = "The product identifier does not match the unit allocated to this administration."
SAME_CHECKER = "The second identity check must be done by a different person."
CHECKS_MISSING = "Two different people must check patient and product identity before the start."
STOP_CONFIRMED = "Stopping-rule event confirmed by the physician."
ALREADY_CONFIRMED = "The stop was already confirmed."
NOT_STOPPED = "Only a session stopped by a stopping rule awaits confirmation."
AMOUNT_NEEDED = "Record the volume given and the cells or particles given."
WRONG_AMOUNT_KIND = "{field}: unit {din} is {product}, which is counted in {unit}; record {right} instead."
GRADE_RANGE = "CTCAE grade must be 1 to 5."
GRADE5_FATAL = "Grade 5 (death) needs outcome 'fatal' and is serious."
SERIOUS_NEEDS_CRITERIA = "A serious event needs at least one seriousness criterion (ICH E2A)."
REGRADE_NEEDS_REASON = "This event is already graded; give the reason for the change."
AMOUNT_ALREADY_RECORDED = "The amount given is already recorded; correct it with a reason."
AMOUNT_NOT_RECORDED = "No amount given is recorded yet; record it first."
CORRECTION_NEEDS_REASON = "Give the reason for correcting the amount given."
OUTSIDE_WINDOW = (
    "Administration {sequence} is scheduled for {scheduled} (without a documented reason it may be "
    "given {first} to {last}); {when} is {on}. Giving it early or late needs a physician's "
    "documented reason first."
)
OFF_SCHEDULE_NEEDS_REASON = "Give the reason for giving this administration outside its scheduled day."
OFF_SCHEDULE_IN_WINDOW = "Administration {sequence} can be given today as scheduled; no reason is needed."
TOO_SHORT = (
    "The infusion ran {minutes:.0f} min; the protocol's minimum is {minimum:g} min. "
    "It can only be closed as stopped early, with the reason."
)
EARLIER_NOT_DONE = (
    "Administration {sequence} cannot {action} while administration {earlier} is '{status}': "
    "an earlier administration must be completed, stopped or cancelled with a reason first."
)
TIME_POINT_NOT_IN_PROTOCOL = "Time point {minute} min is not one of this protocol's vitals times ({minutes})."

SESSION_RUNNERS = (Role.NURSE, Role.PHYSICIAN)
#: The unit has been given (fully or stopped early): a later stopping-rule hit stops nothing.
GIVEN_STATES = (SessionStatus.COMPLETED, SessionStatus.STOPPED_EARLY)
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


def _plan_lineage(plan: TreatmentPlan) -> list[int]:
    """The plan and every plan it revises (``supersedes``, back to revision 1)."""
    ids: list[int] = []
    current: TreatmentPlan | None = plan
    while current is not None:
        ids.append(current.pk)
        current = current.supersedes
    return ids


def _require_earlier_done(session: AdministrationSession, action: str) -> None:
    """Doses are given in their order: every administration of a lower sequence of the plan
    (and of the plans it revises) is done (``DONE_STATES``) before this one is thawed or started.

    Raises:
        ValidationError: ``EARLIER_NOT_DONE`` (code ``earlier_not_done``).
    """
    pending = (
        AdministrationSession.objects.filter(
            plan_id__in=_plan_lineage(session.plan), sequence__lt=session.sequence
        )
        .exclude(status__in=DONE_STATES)
        .order_by("sequence", "id")
        .first()
    )
    if pending is not None:
        raise ValidationError(
            EARLIER_NOT_DONE.format(
                sequence=session.sequence,
                action=action,
                earlier=pending.sequence,
                status=pending.get_status_display().lower(),
            ),
            code="earlier_not_done",
        )


def _protocol(session: AdministrationSession) -> Protocol:
    return session.plan.protocol_version.to_protocol()


def _arm(session: AdministrationSession) -> Arm:
    return _protocol(session).arm(session.plan.arm_name)


def _clinical_error(exc: ClinicalInputError) -> ValidationError:
    return ValidationError({exc.field: exc.in_words()})


def plan_weight_kg(plan: TreatmentPlan) -> float | None:
    """The actual body weight (kg) for dose conversions: the plan's, else its examination's."""
    if plan.weight_kg is not None:
        return plan.weight_kg
    value = current_values(plan.encounter).get("weight_kg")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def administration_window(session: AdministrationSession) -> tuple[dt.date, dt.date]:
    """First and last local date on which the session may be given without a documented reason:
    its scheduled date widened by the protocol's ``administration_window_days_before/after``."""
    protocol = _protocol(session)
    return (
        session.scheduled_date - dt.timedelta(days=protocol.administration_window_days_before),
        session.scheduled_date + dt.timedelta(days=protocol.administration_window_days_after),
    )


def in_window(session: AdministrationSession, at: dt.datetime) -> bool:
    first, last = administration_window(session)
    return first <= timezone.localdate(at) <= last


def _require_in_window(session: AdministrationSession, at: dt.datetime, when: str) -> None:
    """The administration is given inside its scheduled day's window, or a physician said why not."""
    if session.off_schedule_by_id is not None or in_window(session, at):
        return
    first, last = administration_window(session)
    raise ValidationError(
        OUTSIDE_WINDOW.format(
            sequence=session.sequence,
            scheduled=session.scheduled_date.isoformat(),
            first=first.isoformat(),
            last=last.isoformat(),
            when=when,
            on=timezone.localdate(at).isoformat(),
        ),
        code="off_schedule",
    )


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
    require_not_future("thawed_at", at, label="Thaw time")
    _require_in_window(session, at, "the thaw")
    _require_earlier_done(session, "be prepared")
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
    _require_earlier_done(session, "start")
    at = started_at or timezone.now()
    require_not_future("started_at", at, label="Start of the administration")
    consent = valid_consent(session.plan)
    require_not_before(
        "started_at",
        at,
        consent.given_at if consent else None,
        label="Start of the administration",
        earlier_label="the patient's consent",
    )
    require_not_before(
        "started_at", at, session.prepared_at, label="Start of the administration", earlier_label="the thaw"
    )
    _require_in_window(session, at, "the start")
    _check_product_usable(session, at)
    weight_kg = plan_weight_kg(session.plan)
    try:
        clean = validate_baseline(baseline)
        canonical_doses(clean, weight_kg)  # refuse now a dose no rule could read later
    except ClinicalInputError as exc:
        raise _clinical_error(exc) from None
    before = snapshot(session)
    update_versioned(
        session,
        expected_version=version,
        status=SessionStatus.RUNNING,
        started_at=at,
        started_by=user,
        baseline=clean,
        weight_kg=weight_kg,
    )
    _change(session, user, "session_start", before)
    return session


@transaction.atomic
def session_interrupt(
    *, session: AdministrationSession, user: User, version: int, reason: str, at: dt.datetime | None = None
) -> AdministrationSession:
    """Pause a running administration (``at``: when, default now; not later than now, not before the start)."""
    require_role(user, "interrupt an administration", *SESSION_RUNNERS)
    require_patient_access(user, session.patient)
    check_version(session, expected_version=version)
    _require_status(session, "be interrupted", SessionStatus.RUNNING)
    require_reason(reason, "Give the reason for the interruption.")
    when = at or timezone.now()
    require_not_future("at", when, label="Interruption")
    require_not_before("at", when, session.started_at, label="Interruption", earlier_label="the start")
    Interruption.objects.create(session=session, started_at=when, reason=reason.strip(), recorded_by=user)
    before = snapshot(session)
    update_versioned(session, expected_version=version, status=SessionStatus.INTERRUPTED)
    _change(session, user, "session_interrupt", before, reason=reason)
    return session


@transaction.atomic
def session_resume(
    *, session: AdministrationSession, user: User, version: int, at: dt.datetime | None = None
) -> AdministrationSession:
    """Resume an interrupted administration (``at``: when, default now; after the interruption)."""
    require_role(user, "resume an administration", *SESSION_RUNNERS)
    require_patient_access(user, session.patient)
    check_version(session, expected_version=version)
    _require_status(session, "resume", SessionStatus.INTERRUPTED)
    now = at or timezone.now()
    require_not_future("at", now, label="Resumption")
    last = session.interruptions.order_by("-started_at").first()
    require_not_before(
        "at", now, last.started_at if last else None, label="Resumption", earlier_label="the interruption"
    )
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
        SessionStatus.STOPPED_EARLY,
        SessionStatus.STOPPED,
    )
    try:
        clean = validate_vitals(values)
    except ClinicalInputError as exc:
        raise _clinical_error(exc) from None
    if not clean:
        raise ValidationError("Enter at least one value.")
    protocol = _protocol(session)
    if scheduled_minute is not None and scheduled_minute not in protocol.vitals_minutes:
        raise ValidationError(
            {
                "scheduled_minute": TIME_POINT_NOT_IN_PROTOCOL.format(
                    minute=scheduled_minute, minutes=", ".join(str(m) for m in protocol.vitals_minutes)
                )
            }
        )
    at = taken_at or timezone.now()
    require_not_future("taken_at", at, label="Time the vitals were taken")
    assert session.started_at is not None
    require_not_before(
        "taken_at", at, session.started_at, label="Vitals", earlier_label="the start of the administration"
    )
    require_time_point_reached(
        "scheduled_minute",
        scheduled_minute,
        at=at,
        start=session.started_at,
        start_label="the start of the administration",
    )
    minutes = (at - session.started_at).total_seconds() / 60
    weight_kg = session.weight_kg if session.weight_kg is not None else plan_weight_kg(session.plan)
    try:
        hits = stopping_rule_hits(protocol.stopping_rules, session.baseline, clean, minutes, weight_kg)
    except ClinicalInputError as exc:
        raise _clinical_error(exc) from None
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
        action_taken=ActionTaken.NONE if session.status in GIVEN_STATES else ActionTaken.STOPPED,
        description=description,
        reported_by=user,
    )
    audit_change(
        actor=user, action="ae_open_stopping_rule", instance=event, before=None, patient=session.patient
    )
    if session.status in GIVEN_STATES:
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


def infusion_minutes(session: AdministrationSession, ended_at: dt.datetime) -> float:
    """Minutes the product ran: start to ``ended_at`` less the interruptions (an open one ends then)."""
    assert session.started_at is not None
    paused = sum(
        ((i.ended_at or ended_at) - i.started_at).total_seconds() for i in session.interruptions.all()
    )
    return ((ended_at - session.started_at).total_seconds() - paused) / 60


def _check_amount(
    session: AdministrationSession,
    volume_given_ml: float | None,
    cells_given: float | None,
    particles_given: float | None,
) -> ProductLot:
    if volume_given_ml is None or volume_given_ml < 0 or (cells_given is None and particles_given is None):
        raise ValidationError(AMOUNT_NEEDED)
    lot = ProductLot.objects.get(pk=session.product_id or 0)  # started sessions always have a unit
    # A cell product is counted in cells, an exosome product in particles: the other count is refused.
    wrong, right, unit = (
        ("cells_given", "particles_given", "particles")
        if lot.is_exosome
        else ("particles_given", "cells_given", "cells")
    )
    if (cells_given if wrong == "cells_given" else particles_given) is not None:
        raise ValidationError(
            {
                wrong: WRONG_AMOUNT_KIND.format(
                    field=wrong,
                    din=lot.din_display,
                    product=lot.get_product_type_display(),
                    unit=unit,
                    right=right,
                )
            }
        )
    if (particles_given if lot.is_exosome else cells_given) is None:
        raise ValidationError({right: AMOUNT_NEEDED})
    if volume_given_ml > lot.volume_ml:
        raise ValidationError({"volume_given_ml": f"More than the unit holds ({lot.volume_ml:g} mL)."})
    return lot


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
    early_stop_reason: str = "",
) -> AdministrationSession:
    """Record what was actually given, once. A running session completes; a stopped one stays stopped.

    A running infusion shorter than the arm's ``infusion_minutes_min``
    (interruptions not counted) is closed only as 'stopped early', with
    ``early_stop_reason``. The unit becomes 'administered' (a part-given unit
    is not reused). A later change is ``session_correct_given`` (with a reason).
    """
    require_role(user, "record the amount given", *SESSION_RUNNERS)
    require_patient_access(user, session.patient)
    check_version(session, expected_version=version)
    if session.volume_given_ml is not None:
        raise ValidationError(AMOUNT_ALREADY_RECORDED, code="already_recorded")
    _require_status(session, "record the amount given", SessionStatus.RUNNING, SessionStatus.STOPPED)
    lot = _check_amount(session, volume_given_ml, cells_given, particles_given)
    fields: dict[str, Any] = {
        "volume_given_ml": volume_given_ml,
        "cells_given": cells_given,
        "particles_given": particles_given,
    }
    at = ended_at or timezone.now()
    if session.status == SessionStatus.RUNNING:
        require_not_future("ended_at", at, label="End of the administration")
        require_not_before(
            "ended_at", at, session.started_at, label="End of the administration", earlier_label="its start"
        )
        minimum = _arm(session).infusion_minutes_min
        ran = infusion_minutes(session, at)
        if minimum is not None and ran < minimum:
            if not early_stop_reason.strip():
                raise ValidationError(
                    {"early_stop_reason": TOO_SHORT.format(minutes=ran, minimum=minimum)}, code="too_short"
                )
            fields.update(
                status=SessionStatus.STOPPED_EARLY,
                ended_at=at,
                stop_reason=f"Stopped early after {ran:.0f} min (minimum {minimum:g}): "
                + early_stop_reason.strip(),
            )
        else:
            fields.update(status=SessionStatus.COMPLETED, ended_at=at)
    else:
        at = session.ended_at or at
    before = snapshot(session)
    update_versioned(session, expected_version=version, **fields)
    if lot.status == LotStatus.ALLOCATED:
        product_services.lot_mark_administered(
            lot=lot,
            actor=user,
            at=at,
            note=f"patient {session.patient.mrn}, administration {session.sequence}",
        )
    _change(session, user, "session_record_given", before, reason=early_stop_reason.strip())
    return session


@transaction.atomic
def session_correct_given(
    *,
    session: AdministrationSession,
    user: User,
    version: int,
    volume_given_ml: float,
    cells_given: float | None,
    particles_given: float | None,
    reason: str,
) -> AdministrationSession:
    """Correct a recorded amount given; the reason goes to the audit trail and the session's history."""
    require_role(user, "correct the amount given", *SESSION_RUNNERS)
    require_patient_access(user, session.patient)
    check_version(session, expected_version=version)
    if session.volume_given_ml is None:
        raise ValidationError(AMOUNT_NOT_RECORDED, code="not_recorded")
    require_reason(reason, CORRECTION_NEEDS_REASON)
    _check_amount(session, volume_given_ml, cells_given, particles_given)
    before = snapshot(session)
    update_versioned(
        session,
        expected_version=version,
        volume_given_ml=volume_given_ml,
        cells_given=cells_given,
        particles_given=particles_given,
    )
    _change(session, user, "session_correct_given", before, reason=reason.strip())
    return session


@transaction.atomic
def session_authorise_off_schedule(
    *, session: AdministrationSession, physician: User, version: int, reason: str
) -> AdministrationSession:
    """A physician documents why this administration is given outside its scheduled day's window."""
    require_role(physician, "authorise an administration outside its scheduled day", Role.PHYSICIAN)
    require_patient_access(physician, session.patient)
    check_version(session, expected_version=version)
    _require_status(
        session,
        "be moved off its scheduled day",
        SessionStatus.SCHEDULED,
        SessionStatus.PREPARED,
        SessionStatus.CHECKED,
    )
    require_reason(reason, OFF_SCHEDULE_NEEDS_REASON)
    now = timezone.now()
    if in_window(session, now):
        raise ValidationError(OFF_SCHEDULE_IN_WINDOW.format(sequence=session.sequence))
    before = snapshot(session)
    update_versioned(
        session,
        expected_version=version,
        off_schedule_reason=reason.strip(),
        off_schedule_by=physician,
        off_schedule_at=now,
    )
    _change(session, physician, "session_off_schedule", before, reason=reason.strip())
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
    require_reason(reason, "Give the reason for cancelling.")
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
    require_not_future("onset_at", onset_at, label="Onset")
    require_not_before(
        "onset_at",
        onset_at,
        session.started_at,
        label="Onset",
        earlier_label="the start of the administration",
    )
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

    A serious event is flagged for expedited review. Changing an event
    already graded (a regrade) needs ``reason``, kept in its history.
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
    if event.ctcae_grade is not None and not reason.strip():
        errors["reason"] = REGRADE_NEEDS_REASON
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
        action="ae_regrade" if before.get("ctcae_grade") is not None else "ae_grade",
        instance=event,
        before=before,
        patient=event.patient,
        reason=reason.strip(),
    )
    return event
