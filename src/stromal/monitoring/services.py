"""Writes of monitoring: verify a record, the life of a query, casebook sign-off and unlock.

Every step is audited. Roles: a monitor verifies and opens, closes or
re-opens queries; site staff (coordinator, physician, nurse, lab) answer them
and correct values through each record's own amendment path; the
investigator signs the casebook off with username and password (21 CFR
11.200(a)(1)), which locks it; only an administrator unlocks, with a reason.
"""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.audit.locking import update_versioned
from stromal.audit.models import AuditEvent, CasebookLock
from stromal.audit.selectors import record_label
from stromal.audit.services import audit_record, snapshot
from stromal.examinations.fields import SPECS as EXAMINATION_SPECS
from stromal.monitoring.models import (
    CasebookSignature,
    DataQuery,
    QueryMessage,
    QueryStatus,
    QueryStep,
    SourceVerification,
)
from stromal.patients.guards import require_patient_access, require_role
from stromal.patients.models import Patient

VERIFIERS = (Role.MONITOR,)
QUERY_OWNERS = (Role.MONITOR,)
QUERY_ANSWERERS = (Role.COORDINATOR, Role.PHYSICIAN, Role.NURSE, Role.LAB)
CASEBOOK_SIGNERS = (Role.INVESTIGATOR,)
CASEBOOK_UNLOCKERS = (Role.ADMIN,)

#: What the investigator's signature means (21 CFR 11.50(a)(3)).
CASEBOOK_MEANING = "Reviewed and approved: this casebook is complete and accurate (investigator sign-off)"

NOT_A_RECORD = "There is no audited record {object_type} #{object_id} for this patient."
NOT_A_FIELD = "{record} has no field '{field}'; leave it empty to query the whole record."
TEXT_NEEDED = "Write what the query is about."
ANSWER_NEEDED = "Write the answer (correct the value itself through the record's amendment)."
QUERY_NOT_OPEN = "This query is '{status}'; only an open query can be answered."
QUERY_NOT_ANSWERABLE = "This query is '{status}'; it cannot be {step} now."
TEXT_TOO_LONG = "At most 4,000 characters."
WRONG_CREDENTIALS = "Username or password is not correct; the casebook was not signed."
ALREADY_LOCKED = "This casebook is already signed off and locked."
NOT_LOCKED = "This casebook is not locked."
QUERIES_OUTSTANDING = "{count} query(ies) are still open or awaiting review; close them before sign-off."
UNLOCK_REASON_NEEDED = "Give the reason for unlocking a signed-off casebook."
MAX_TEXT = 4000


def _audit(
    user: User, action: str, instance: object, patient: Patient, reason: str = "", **changes: object
) -> None:
    audit_record(
        actor=user,
        action=action,
        instance=instance,  # type: ignore[arg-type]
        changes={k: [None, v] for k, v in changes.items()},
        reason=reason,
        site_id=patient.site_id,
        patient_id=patient.pk,
    )


def _text(value: str, field: str, missing: str) -> str:
    text = value.strip()
    if not text:
        raise ValidationError({field: missing})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: TEXT_TOO_LONG})
    return text


def record_fields(object_type: str) -> set[str]:
    """The names a query may point at: the record's own fields, and for an examination
    every observation it can hold (they live in rows, not columns)."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return set()
    names = {f.name for f in model._meta.concrete_fields} | {f.attname for f in model._meta.concrete_fields}
    if object_type == "examinations.encounter":
        names |= set(EXAMINATION_SPECS)
    return names


def latest_change(*, patient: Patient, object_type: str, object_id: str) -> AuditEvent:
    """The record's latest audit event for this patient (the state a verification covers)."""
    event = (
        AuditEvent.objects.filter(
            patient_id_at_event=patient.pk, object_type=object_type, object_id=str(object_id)
        )
        .order_by("-sequence")
        .first()
    )
    if event is None:
        raise ValidationError(NOT_A_RECORD.format(object_type=object_type, object_id=object_id))
    return event


@transaction.atomic
def record_verify(*, user: User, patient: Patient, object_type: str, object_id: str) -> SourceVerification:
    """Mark the record's current state as verified against the source."""
    require_role(user, "verify source data", *VERIFIERS)
    require_patient_access(user, patient)
    event = latest_change(patient=patient, object_type=object_type, object_id=object_id)
    verification = SourceVerification.objects.create(
        patient=patient,
        object_type=object_type,
        object_id=str(object_id),
        audit_sequence=event.sequence,
        verified_by=user,
    )
    _audit(user, "sdv_verify", verification, patient, record=f"{object_type}#{object_id}")
    return verification


@transaction.atomic
def query_open(
    *, user: User, patient: Patient, object_type: str, object_id: str, field: str, text: str
) -> DataQuery:
    """Open a query on a record (or one of its fields) for the site to answer."""
    require_role(user, "open queries", *QUERY_OWNERS)
    require_patient_access(user, patient)
    latest_change(patient=patient, object_type=object_type, object_id=object_id)
    field = field.strip()
    if field and field not in record_fields(object_type):
        raise ValidationError({"field": NOT_A_FIELD.format(record=record_label(object_type), field=field)})
    body = _text(text, "text", TEXT_NEEDED)
    query = DataQuery.objects.create(
        patient=patient,
        object_type=object_type,
        object_id=str(object_id),
        field=field.strip()[:100],
        opened_by=user,
    )
    QueryMessage.objects.create(query=query, step=QueryStep.OPEN, author=user, text=body)
    _audit(user, "query_open", query, patient, text=body, field=query.field)
    return query


def _step(
    *, query: DataQuery, user: User, version: int, step: QueryStep, text: str, allowed: tuple[str, ...]
) -> DataQuery:
    locked = DataQuery.objects.select_for_update().get(pk=query.pk)
    if locked.status not in allowed:
        raise ValidationError(QUERY_NOT_ANSWERABLE.format(status=locked.status, step=step.label))
    before = snapshot(locked)
    new_status = {
        QueryStep.ANSWER: QueryStatus.ANSWERED,
        QueryStep.CLOSE: QueryStatus.CLOSED,
        QueryStep.REOPEN: QueryStatus.OPEN,
    }[step]
    update_versioned(locked, expected_version=version, status=new_status)
    QueryMessage.objects.create(query=locked, step=step, author=user, text=text)
    audit_record(
        actor=user,
        action=f"query_{step.value}",
        instance=locked,
        changes={"status": [before["status"], new_status], "text": [None, text]},
        site_id=locked.patient.site_id,
        patient_id=locked.patient_id,
    )
    return locked


@transaction.atomic
def query_answer(*, query: DataQuery, user: User, version: int, text: str) -> DataQuery:
    """The site's answer; the value itself is corrected through the record's amendment path."""
    require_role(user, "answer queries", *QUERY_ANSWERERS)
    require_patient_access(user, query.patient)
    body = _text(text, "text", ANSWER_NEEDED)
    if query.status != QueryStatus.OPEN:
        raise ValidationError(QUERY_NOT_OPEN.format(status=query.status))
    return _step(
        query=query, user=user, version=version, step=QueryStep.ANSWER, text=body, allowed=(QueryStatus.OPEN,)
    )


@transaction.atomic
def query_close(*, query: DataQuery, user: User, version: int, text: str) -> DataQuery:
    """The monitor accepts the answer (or withdraws the query) and closes it."""
    require_role(user, "close queries", *QUERY_OWNERS)
    require_patient_access(user, query.patient)
    body = _text(text, "text", TEXT_NEEDED)
    return _step(
        query=query,
        user=user,
        version=version,
        step=QueryStep.CLOSE,
        text=body,
        allowed=(QueryStatus.OPEN, QueryStatus.ANSWERED),
    )


@transaction.atomic
def query_reopen(*, query: DataQuery, user: User, version: int, text: str) -> DataQuery:
    """The monitor is not satisfied: the query goes back to the site."""
    require_role(user, "re-open queries", *QUERY_OWNERS)
    require_patient_access(user, query.patient)
    body = _text(text, "text", TEXT_NEEDED)
    return _step(
        query=query,
        user=user,
        version=version,
        step=QueryStep.REOPEN,
        text=body,
        allowed=(QueryStatus.ANSWERED, QueryStatus.CLOSED),
    )


@transaction.atomic
def casebook_sign(*, user: User, patient: Patient, username: str, password: str) -> CasebookSignature:
    """The investigator signs the casebook off, re-entering username and password; it is then locked."""
    require_role(user, "sign casebooks off", *CASEBOOK_SIGNERS)
    require_patient_access(user, patient)
    if username.strip() != user.username or not user.check_password(password):
        raise ValidationError({"password": WRONG_CREDENTIALS})
    if CasebookLock.objects.select_for_update().filter(patient_id=patient.pk).exists():
        raise ValidationError(ALREADY_LOCKED)
    outstanding = DataQuery.objects.filter(patient=patient).exclude(status=QueryStatus.CLOSED).count()
    if outstanding:
        raise ValidationError(QUERIES_OUTSTANDING.format(count=outstanding))
    signature = CasebookSignature.objects.create(
        patient=patient, signer=user, printed_name=user.display_name(), meaning=CASEBOOK_MEANING
    )
    _audit(user, "casebook_sign", signature, patient, meaning=CASEBOOK_MEANING)
    CasebookLock.objects.create(patient_id=patient.pk, site_id=patient.site_id, locked_by=user)
    return signature


@transaction.atomic
def casebook_unlock(*, user: User, patient: Patient, reason: str) -> CasebookSignature:
    """An administrator unlocks a signed-off casebook, with a reason; the signature stays as history."""
    require_role(user, "unlock casebooks", *CASEBOOK_UNLOCKERS)
    require_patient_access(user, patient)
    why = _text(reason, "reason", UNLOCK_REASON_NEEDED)
    lock = CasebookLock.objects.select_for_update().filter(patient_id=patient.pk).first()
    if lock is None:
        raise ValidationError(NOT_LOCKED)
    signature = CasebookSignature.objects.filter(patient=patient, unlocked_at__isnull=True).latest(
        "signed_at"
    )
    signature.unlocked_at = timezone.now()
    signature.unlocked_by = user
    signature.unlock_reason = why
    signature.save(update_fields=["unlocked_at", "unlocked_by", "unlock_reason"])
    lock.delete()
    _audit(user, "casebook_unlock", signature, patient, reason=why, unlocked_at=signature.unlocked_at)
    return signature
