"""Writes for eligibility, treatment plans, meetings, consent, decisions and signatures.

Rules held here and by the database: a plan is approved only with two
distinct physicians' signatures, each after re-entering the password;
editing a plan voids its signatures; an accept decision needs recorded
consent; every change goes to the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.accounts.zones import format_when
from stromal.administrations.models import OPEN_STATES, STARTED_STATES, AdministrationSession, SessionStatus
from stromal.administrations.services import session_cancel
from stromal.audit.locking import check_version, update_versioned
from stromal.audit.services import require_reason, snapshot
from stromal.chronology import require_not_before, require_not_future
from stromal.clinical.protocol import ProtocolError, evaluate_eligibility
from stromal.examinations.models import Encounter
from stromal.examinations.services import current_values
from stromal.patients.guards import audit_change, require_patient_access, require_role
from stromal.patients.models import RelatedPerson
from stromal.plans.dosing import compute_dose
from stromal.plans.eligibility import eligibility_inputs
from stromal.plans.models import (
    CONVENTIONAL_OPTION,
    SIGNATURE_MEANING,
    Consent,
    Decision,
    EligibilityCheck,
    PatientDecision,
    PlanMeeting,
    PlanSignature,
    PlanStatus,
    TreatmentPlan,
)
from stromal.plans.selectors import consent_history, plan_lineage
from stromal.protocols.models import ProtocolVersion
from stromal.protocols.services import protocol_mark_used

OVERRIDE_NEEDS_REASON = "An eligibility override needs a documented reason."
NOT_ELIGIBLE = "The eligibility check does not allow a plan: criteria unmet or missing, and no override."
LIVE_PLAN_EXISTS = "This patient already has a live plan; withdraw it before drafting another."
UNKNOWN_ARM = "Protocol {protocol} has no arm named {arm!r}."
WRONG_PASSWORD = "The password is not correct; the plan was not signed."
ALREADY_SIGNED = "You have already signed this plan; a second physician must sign."
PLAN_NOT_SIGNABLE = "Only a draft plan awaiting signatures can be signed."
DRAFTER_SIGNS = (
    "You drafted this plan, so you cannot also sign it: two other physicians approve it "
    "(segregation of duties, set by protocol {protocol})."
)
PLAN_WITHDRAWN = "This plan is withdrawn and cannot change."
EDIT_NEEDS_REASON = "Give the reason for changing the plan."
ACCEPT_NEEDS_CONSENT = "An accept decision needs the patient's recorded consent."
CONSENT_OTHER_PLAN = "That consent belongs to another plan."
CONSENT_AFTER_FIRST_ADMINISTRATION = (
    "Consent ({value}) cannot be dated after the first administration started ({started}): consent "
    "comes before treatment. A new consent after treatment began is a re-consent: give its reason."
)
RECONSENT_NEEDS_REASON = (
    "A consent is already recorded on this plan ({previous}); a new one is a re-consent: give its reason."
)
CONVENTIONAL_NOT_DISCUSSED = "The meeting must discuss conventional treatment only as an option."
MEETING_NEEDS_PHYSICIANS = "Two physicians join the plan meeting."
NOT_A_PHYSICIAN = "{name} is not a physician of this site."
NOT_FAMILY = "{name} is not a family member of this patient."
SIGNATURES_VOIDED = "plan edited after signing"
PLAN_SUPERSEDED = "This plan is superseded by a later revision and cannot change."
PLAN_LOCKED_AFTER_START = (
    "Administrations have started under this plan: its arm and dose cannot change. "
    "Make a new revision of the plan instead (a reason and two new signatures)."
)
REVISION_BEFORE_START = (
    "No administration has started under this plan yet: change the plan itself instead of revising it."
)
REVISION_NEEDS_APPROVED = "Only the approved plan in force can be revised."
REVISION_PENDING = "A revision of this plan is already awaiting signatures; change or withdraw it first."
REVISION_WHILE_RUNNING = "An administration is in progress; finish it before revising the plan."
REVISION_NO_CHANGE = "The revision changes nothing: choose another arm or change the notes."
SESSION_SUPERSEDED = "plan superseded by revision {revision}"
REVISED_PLAN_NOT_IN_FORCE = (
    "The plan this revision changes is no longer in force ({status}); withdraw the revision."
)

PHYSICIANS = (Role.PHYSICIAN,)
DECISION_RECORDERS = (Role.PHYSICIAN, Role.COORDINATOR)


def _plan_audit(
    user: User | None, action: str, plan: TreatmentPlan, before: dict[str, Any] | None, reason: str = ""
) -> None:
    audit_change(actor=user, action=action, instance=plan, before=before, patient=plan.patient, reason=reason)


@transaction.atomic
def eligibility_check(
    *, encounter: Encounter, protocol_version: ProtocolVersion, user: User
) -> EligibilityCheck:
    """Evaluate the protocol's criteria on the examination's current results; store the snapshot."""
    require_role(user, "check eligibility", *PHYSICIANS)
    require_patient_access(user, encounter.patient)
    protocol = protocol_version.to_protocol()
    inputs = eligibility_inputs(encounter=encounter, values=current_values(encounter))
    result = evaluate_eligibility(protocol.eligibility, inputs)
    check = EligibilityCheck.objects.create(
        patient=encounter.patient,
        encounter=encounter,
        protocol_version=protocol_version,
        inputs=inputs,
        results=[
            {"code": r.code, "description": r.description, "status": r.status, "observed": r.observed}
            for r in result.results
        ],
        eligible=result.eligible,
        checked_by=user,
    )
    audit_change(actor=user, action="eligibility", instance=check, before=None, patient=encounter.patient)
    return check


@transaction.atomic
def eligibility_override(*, check: EligibilityCheck, user: User, reason: str) -> EligibilityCheck:
    require_role(user, "override eligibility", *PHYSICIANS)
    require_patient_access(user, check.patient)
    require_reason(reason, OVERRIDE_NEEDS_REASON)
    before = snapshot(check)
    EligibilityCheck.objects.filter(pk=check.pk).update(
        override=True, override_reason=reason.strip(), overridden_by=user
    )
    check.refresh_from_db()
    audit_change(
        actor=user,
        action="eligibility:override",
        instance=check,
        before=before,
        patient=check.patient,
        reason=reason,
    )
    return check


def _dose_for(
    plan_protocol: ProtocolVersion,
    arm_name: str,
    *,
    sex: str,
    height_cm: float | None,
    weight_kg: float | None,
) -> dict[str, Any]:
    protocol = plan_protocol.to_protocol()
    try:
        arm = protocol.arm(arm_name)
    except ProtocolError:
        raise ValidationError(
            {"arm_name": UNKNOWN_ARM.format(protocol=plan_protocol, arm=arm_name)}
        ) from None
    return compute_dose(arm=arm, sex=sex, height_cm=height_cm, weight_kg=weight_kg)


def _weight_kg(encounter: Encounter) -> float | None:
    value = current_values(encounter).get("weight_kg")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@transaction.atomic
def plan_draft(*, check: EligibilityCheck, user: User, arm_name: str, notes: str = "") -> TreatmentPlan:
    """Draft a plan from an eligibility check (eligible or overridden); the dose comes from the recorded weight."""
    require_role(user, "draft treatment plans", *PHYSICIANS)
    patient = check.patient
    require_patient_access(user, patient)
    if not check.proceed:
        raise ValidationError(NOT_ELIGIBLE)
    if TreatmentPlan.objects.filter(
        patient=patient, status__in=[PlanStatus.DRAFT, PlanStatus.APPROVED]
    ).exists():
        raise ValidationError(LIVE_PLAN_EXISTS)
    weight = _weight_kg(check.encounter)
    dose = _dose_for(
        check.protocol_version, arm_name, sex=patient.sex, height_cm=patient.height_cm, weight_kg=weight
    )
    try:
        with transaction.atomic():
            plan = TreatmentPlan.objects.create(
                patient=patient,
                protocol_version=check.protocol_version,
                arm_name=arm_name,
                encounter=check.encounter,
                eligibility_check=check,
                start_date=timezone.localdate(check.encounter.scheduled_for),
                sex=patient.sex,
                height_cm=patient.height_cm,
                weight_kg=weight,
                dose=dose,
                notes=notes,
                drafted_by=user,
                awaiting_decision=True,  # no decision on a new plan yet
            )
    except IntegrityError as exc:
        raise ValidationError(LIVE_PLAN_EXISTS) from exc
    protocol_mark_used(record=check.protocol_version)
    _plan_audit(user, "create", plan, None)
    return plan


def treatment_started(plan: TreatmentPlan) -> bool:
    """True once the first administration under ``plan`` has started (what was given is fixed)."""
    return plan.administrations.filter(status__in=STARTED_STATES).exists()


def _require_changeable(plan: TreatmentPlan) -> None:
    if plan.status == PlanStatus.WITHDRAWN:
        raise ValidationError(PLAN_WITHDRAWN)
    if plan.status == PlanStatus.SUPERSEDED:
        raise ValidationError(PLAN_SUPERSEDED)


@transaction.atomic
def plan_revise(
    *, plan: TreatmentPlan, user: User, version: int, reason: str, arm_name: str, notes: str = ""
) -> TreatmentPlan:
    """Propose a new revision of a plan under which administrations have started.

    The revision is a new plan row (``supersedes`` = ``plan``, ``revision`` + 1, the
    reason kept) in draft: ``plan`` stays in force until two physicians sign the
    revision (``plan_sign``), which then supersedes it. Day 0 and the frozen sex,
    height and weight carry over; the dose is computed for the new arm. Nothing
    recorded under ``plan`` (administrations, amounts given) changes. The patient's
    decision and consent on ``plan`` carry over unless one is recorded on the revision.

    Raises:
        ValidationError: not approved, no administration started yet, one running,
            a revision already pending, no reason, nothing changed, or an unknown arm.
    """
    require_role(user, "revise treatment plans", *PHYSICIANS)
    require_patient_access(user, plan.patient)
    _require_changeable(plan)
    if plan.status != PlanStatus.APPROVED:
        raise ValidationError(REVISION_NEEDS_APPROVED)
    if not treatment_started(plan):
        raise ValidationError(REVISION_BEFORE_START)
    running = [SessionStatus.RUNNING, SessionStatus.INTERRUPTED]
    if plan.administrations.filter(status__in=running).exists():
        raise ValidationError(REVISION_WHILE_RUNNING)
    require_reason(reason, EDIT_NEEDS_REASON)
    check_version(plan, expected_version=version)
    if TreatmentPlan.objects.filter(patient=plan.patient, status=PlanStatus.DRAFT).exists():
        raise ValidationError(REVISION_PENDING)
    if arm_name == plan.arm_name and notes.strip() == plan.notes.strip():
        raise ValidationError({"arm_name": REVISION_NO_CHANGE})
    dose = _dose_for(
        plan.protocol_version, arm_name, sex=plan.sex, height_cm=plan.height_cm, weight_kg=plan.weight_kg
    )
    try:
        with transaction.atomic():
            revision = TreatmentPlan.objects.create(
                patient=plan.patient,
                protocol_version=plan.protocol_version,
                arm_name=arm_name,
                encounter=plan.encounter,
                eligibility_check=plan.eligibility_check,
                start_date=plan.start_date,
                sex=plan.sex,
                height_cm=plan.height_cm,
                weight_kg=plan.weight_kg,
                dose=dose,
                notes=notes.strip(),
                drafted_by=user,
                supersedes=plan,
                revision=plan.revision + 1,
                change_reason=reason.strip(),
            )
    except IntegrityError as exc:
        raise ValidationError(REVISION_PENDING) from exc
    _plan_audit(user, "revise", revision, None, reason=reason.strip())
    return revision


def _supersede(predecessor: TreatmentPlan, revision: TreatmentPlan, physician: User) -> None:
    """Retire ``predecessor`` as ``revision`` comes into force; its administrations not
    yet started are cancelled (their unit back to stock), those given stay as they are."""
    before = snapshot(predecessor)
    TreatmentPlan.objects.filter(pk=predecessor.pk).update(
        status=PlanStatus.SUPERSEDED, awaiting_decision=False
    )
    predecessor.refresh_from_db()
    _plan_audit(physician, "supersede", predecessor, before, reason=revision.change_reason)
    for session in predecessor.administrations.filter(status__in=OPEN_STATES).exclude(
        status__in=STARTED_STATES
    ):
        session_cancel(
            session=session,
            user=physician,
            version=session.version,
            reason=SESSION_SUPERSEDED.format(revision=revision.revision),
        )


def _void_signatures(plan: TreatmentPlan, reason: str) -> int:
    return PlanSignature.objects.filter(plan=plan, voided_at__isnull=True).update(
        voided_at=timezone.now(), void_reason=reason
    )


@transaction.atomic
def plan_update(
    *,
    plan: TreatmentPlan,
    user: User,
    version: int,
    reason: str,
    arm_name: str | None = None,
    notes: str | None = None,
) -> TreatmentPlan:
    """Change a plan. A signed or approved plan loses its signatures and returns to draft."""
    require_role(user, "change treatment plans", *PHYSICIANS)
    require_patient_access(user, plan.patient)
    _require_changeable(plan)
    if treatment_started(plan):
        raise ValidationError(PLAN_LOCKED_AFTER_START)
    require_reason(reason, EDIT_NEEDS_REASON)
    check_version(plan, expected_version=version)
    before = snapshot(plan)
    fields: dict[str, Any] = {}
    if arm_name is not None and arm_name != plan.arm_name:
        fields["arm_name"] = arm_name
        fields["dose"] = _dose_for(
            plan.protocol_version, arm_name, sex=plan.sex, height_cm=plan.height_cm, weight_kg=plan.weight_kg
        )
    if notes is not None and notes != plan.notes:
        fields["notes"] = notes
    voided = _void_signatures(plan, SIGNATURES_VOIDED)
    # An edit makes a new plan version: earlier decisions no longer count.
    fields.update(
        status=PlanStatus.DRAFT,
        approved_at=None,
        first_signer=None,
        second_signer=None,
        awaiting_decision=True,
    )
    update_versioned(plan, expected_version=version, **fields)
    _plan_audit(
        user,
        "update",
        plan,
        before,
        reason=f"{reason.strip()} ({voided} signature(s) voided)" if voided else reason,
    )
    return plan


@transaction.atomic
def plan_sign(*, plan: TreatmentPlan, physician: User, password: str, version: int) -> PlanSignature:
    """Sign as one of the two approving physicians, after re-entering the password."""
    require_role(physician, "sign treatment plans", *PHYSICIANS)
    require_patient_access(physician, plan.patient)
    locked = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    check_version(locked, expected_version=version)
    if locked.status != PlanStatus.DRAFT:
        raise ValidationError(PLAN_NOT_SIGNABLE)
    if not physician.check_password(password):
        raise ValidationError({"password": WRONG_PASSWORD})
    if physician.pk in (locked.first_signer_id, locked.second_signer_id):
        raise ValidationError(ALREADY_SIGNED)
    if physician.pk == locked.drafted_by_id and locked.protocol_version.to_protocol().signers_exclude_drafter:
        raise ValidationError(DRAFTER_SIGNS.format(protocol=locked.protocol_version))
    if locked.supersedes is not None and locked.supersedes.status != PlanStatus.APPROVED:
        raise ValidationError(REVISED_PLAN_NOT_IN_FORCE.format(status=locked.supersedes.get_status_display()))
    before = snapshot(locked)
    try:
        with transaction.atomic():
            signature = PlanSignature.objects.create(
                plan=locked,
                signer=physician,
                printed_name=physician.display_name(),
                meaning=SIGNATURE_MEANING,
                plan_version=locked.version,
            )
    except IntegrityError as exc:
        raise ValidationError(ALREADY_SIGNED) from exc
    fields: dict[str, Any] = {}
    if locked.first_signer_id is None:
        fields["first_signer"] = physician
    else:
        now = timezone.now()
        fields.update(second_signer=physician, status=PlanStatus.APPROVED, approved_at=now)
        if locked.supersedes is not None:
            # The predecessor leaves force first: one approved plan per patient.
            _supersede(locked.supersedes, locked, physician)
    # Signing is not an edit: the plan's content version stays; only the signers change.
    TreatmentPlan.objects.filter(pk=locked.pk).update(**fields)
    locked.refresh_from_db()
    audit_change(actor=physician, action="sign", instance=signature, before=None, patient=locked.patient)
    _plan_audit(physician, "approve" if locked.is_approved else "sign", locked, before)
    plan.refresh_from_db()
    return signature


@transaction.atomic
def plan_withdraw(*, plan: TreatmentPlan, user: User, version: int, reason: str) -> TreatmentPlan:
    require_role(user, "withdraw treatment plans", *PHYSICIANS)
    require_patient_access(user, plan.patient)
    _require_changeable(plan)
    require_reason(reason, EDIT_NEEDS_REASON)
    before = snapshot(plan)
    _void_signatures(plan, "plan withdrawn")
    update_versioned(
        plan,
        expected_version=version,
        status=PlanStatus.WITHDRAWN,
        first_signer=None,
        second_signer=None,
        approved_at=None,
        awaiting_decision=False,
    )
    _plan_audit(user, "withdraw", plan, before, reason=reason)
    return plan


def _require_on_course(plan: TreatmentPlan, field: str, at: dt.datetime, *, label: str) -> None:
    """A plan event happens no later than now and not before the plan's day 0 (the examination day)."""
    require_not_future(field, at, label=label)
    require_not_before(field, at, plan.start_date, label=label, earlier_label="the plan's day 0")


@transaction.atomic
def meeting_record(
    *,
    plan: TreatmentPlan,
    user: User,
    held_at: dt.datetime,
    physicians: Sequence[User],
    options_discussed: Sequence[str],
    family_members: Sequence[RelatedPerson] = (),
    patient_present: bool = True,
    notes: str = "",
) -> PlanMeeting:
    """Record the plan meeting: who took part and which options, always including conventional treatment only."""
    require_role(user, "record plan meetings", *DECISION_RECORDERS)
    require_patient_access(user, plan.patient)
    _require_changeable(plan)
    _require_on_course(plan, "held_at", held_at, label="The meeting")
    options = list(dict.fromkeys(options_discussed))
    if CONVENTIONAL_OPTION not in options:
        raise ValidationError({"options_discussed": CONVENTIONAL_NOT_DISCUSSED})
    arms = {a.name for a in plan.protocol_version.to_protocol().arms} | {CONVENTIONAL_OPTION}
    unknown = [o for o in options if o not in arms]
    if unknown:
        raise ValidationError(
            {"options_discussed": UNKNOWN_ARM.format(protocol=plan.protocol_version, arm=unknown[0])}
        )
    doctors = list(dict.fromkeys(physicians))
    if len(doctors) < 2:
        raise ValidationError({"physicians": MEETING_NEEDS_PHYSICIANS})
    for doctor in doctors:
        if doctor.role != Role.PHYSICIAN or doctor.site_id != plan.patient.site_id:
            raise ValidationError({"physicians": NOT_A_PHYSICIAN.format(name=doctor.display_name())})
    for person in family_members:
        if person.patient_id != plan.patient_id:
            raise ValidationError({"family_members": NOT_FAMILY.format(name=person.name)})
    meeting = PlanMeeting.objects.create(
        plan=plan,
        held_at=held_at,
        patient_present=patient_present,
        options_discussed=options,
        conventional_option_discussed=True,
        notes=notes,
        recorded_by=user,
    )
    meeting.physicians.set(doctors)
    meeting.family_members.set(list(family_members))
    audit_change(actor=user, action="create", instance=meeting, before=None, patient=plan.patient)
    audit_change(
        actor=user,
        action="meeting:participants",
        instance=meeting,
        before={},
        patient=plan.patient,
        reason="physicians "
        + ", ".join(d.display_name() for d in doctors)
        + ("; family " + ", ".join(p.name for p in family_members) if family_members else ""),
    )
    return meeting


@transaction.atomic
def consent_record(
    *,
    plan: TreatmentPlan,
    user: User,
    given_by: str,
    given_at: dt.datetime,
    witness_name: str,
    information_sheet_version: str,
    given_by_relationship: str = "self",
    reason: str = "",
) -> Consent:
    """Record the patient's consent to ``plan``.

    Rules (issue #8; ICH E6(R2) 4.8.8: consent is signed and dated before participation):
    consent lies on the plan's course (not before day 0, not in the future) and
    before the first administration started. A consent when one is already
    recorded on the plan or the plans it revises is a re-consent: it needs
    ``reason`` (kept on the consent and in the audit trail), it may follow the start
    of treatment but not precede the latest consent, and every earlier consent stays
    (``selectors.consent_history``).

    Raises:
        ValidationError: keyed ``reason`` (``RECONSENT_NEEDS_REASON``) or ``given_at``
            (``CONSENT_AFTER_FIRST_ADMINISTRATION``, or out of order).
    """
    require_role(user, "record consent", *DECISION_RECORDERS)
    require_patient_access(user, plan.patient)
    _require_changeable(plan)
    _require_on_course(plan, "given_at", given_at, label="Consent")
    previous = consent_history(plan)
    lineage = [version.pk for version in plan_lineage(plan)]
    first_start = (
        AdministrationSession.objects.filter(plan_id__in=lineage, started_at__isnull=False)
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    if previous:
        if not reason.strip():
            shown = f"given by {previous[0].given_by} on {format_when(previous[0].given_at)}"
            raise ValidationError({"reason": RECONSENT_NEEDS_REASON.format(previous=shown)})
        require_not_before(
            "given_at",
            given_at,
            previous[0].given_at,
            label="The re-consent",
            earlier_label="the latest consent",
        )
    elif first_start is not None and given_at >= first_start:
        raise ValidationError(
            {
                "given_at": CONSENT_AFTER_FIRST_ADMINISTRATION.format(
                    value=format_when(given_at), started=format_when(first_start)
                )
            }
        )
    errors = {
        k: f"{k}: is required"
        for k, v in {
            "given_by": given_by,
            "witness_name": witness_name,
            "information_sheet_version": information_sheet_version,
        }.items()
        if not v.strip()
    }
    if errors:
        raise ValidationError(errors)
    consent = Consent.objects.create(
        plan=plan,
        given_by=given_by.strip(),
        given_by_relationship=given_by_relationship.strip() or "self",
        given_at=given_at,
        witness_name=witness_name.strip(),
        information_sheet_version=information_sheet_version.strip(),
        recorded_by=user,
        reason=reason.strip() if previous else "",
    )
    if previous:
        audit_change(
            actor=user,
            action="consent:reconsent",
            instance=consent,
            before=None,
            patient=plan.patient,
            reason=reason.strip(),
        )
    else:
        audit_change(actor=user, action="create", instance=consent, before=None, patient=plan.patient)
    return consent


@transaction.atomic
def decision_record(
    *,
    plan: TreatmentPlan,
    user: User,
    decision: str,
    consent: Consent | None = None,
    meeting: PlanMeeting | None = None,
    notes: str = "",
) -> PatientDecision:
    """Record the patient's decision (accept / decline / defer) on the plan as it stands now."""
    require_role(user, "record the patient's decision", *DECISION_RECORDERS)
    require_patient_access(user, plan.patient)
    _require_changeable(plan)
    if decision not in Decision.values:
        raise ValidationError({"decision": f"decision={decision!r}: must be one of accept, decline, defer"})
    if decision == Decision.ACCEPT:
        if consent is None or consent.withdrawn_at is not None:
            raise ValidationError({"consent": ACCEPT_NEEDS_CONSENT})
        if consent.plan_id not in {version.pk for version in plan_lineage(plan)}:
            raise ValidationError({"consent": CONSENT_OTHER_PLAN})
        # Consent supports the decision, so it cannot be dated after it (the decision is now).
        require_not_before(
            "consent", timezone.now(), consent.given_at, label="The decision", earlier_label="consent"
        )
    if meeting is not None and meeting.plan_id != plan.pk:
        raise ValidationError({"meeting": "That meeting belongs to another plan."})
    record = PatientDecision.objects.create(
        plan=plan,
        plan_version=plan.version,
        decision=decision,
        consent=consent,
        meeting=meeting,
        notes=notes,
        recorded_by=user,
    )
    # This decision is now the latest on the plan version; an edit or withdrawal that got in
    # first changed the version (and set the flag itself), so this one then counts for nothing.
    awaiting = decision == Decision.DEFER
    if TreatmentPlan.objects.filter(
        pk=plan.pk, version=plan.version, status__in=[PlanStatus.DRAFT, PlanStatus.APPROVED]
    ).update(awaiting_decision=awaiting):
        plan.awaiting_decision = awaiting
    audit_change(
        actor=user, action=f"decision:{decision}", instance=record, before=None, patient=plan.patient
    )
    return record
