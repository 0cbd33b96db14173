"""Writes for consultation requests: the public submission, triage and conversion."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from stromal.accounts.models import Site, User
from stromal.accounts.roles import Role
from stromal.accounts.zones import format_when
from stromal.audit.locking import check_version, update_versioned
from stromal.audit.services import require_reason, snapshot
from stromal.chronology import require_schedulable
from stromal.examinations.models import Encounter
from stromal.examinations.services import encounter_schedule
from stromal.intake.models import (
    TRANSITIONS,
    ConsultationRequest,
    ContactMethod,
    RequestStatus,
    SenderLock,
)
from stromal.patients.guards import audit_change, require_role, require_site
from stromal.patients.models import Patient
from stromal.patients.services import patient_create

RATE_LIMIT_PER_HOUR = 5
RATE_LIMITED = "We have received several requests from your connection in the last hour. Please try again later or call the clinic."
CONTACT_MISSING = "Give the {method} we should use to reach you."
TRANSITION_REFUSED = "A request that is {old} cannot become {new}."
DECLINE_NEEDS_REASON = "Give the reason for declining the request."
HONEYPOT_FILLED = (
    "Your request was not sent: the hidden field meant to catch automated senders was filled in "
    "(perhaps by the autofill of your browser). It is empty now; please press Send request again."
)
RESCHEDULE_NEEDS_SCHEDULED = "Only a scheduled request can be rescheduled; this one is {status}."
RESCHEDULE_NEEDS_REASON = "Give the reason for moving the appointment."
RESCHEDULE_NEEDS_TIME = "Give the new appointment time."
RESCHEDULE_SAME_TIME = "The new appointment time is the same as the current one."
RESCHEDULE_IN_THE_PAST = "The new appointment time ({value}) has passed; choose a time still to come."
CONVERT_NEEDS_SCHEDULE = (
    "Schedule the request (contact the person and agree on an examination) before converting it."
)

TRIAGE_ROLES = (Role.COORDINATOR,)


def sender_key(address: str) -> str:
    """A salted hash of the sender's network address: enough for a rate limit, useless for tracking."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()


def request_submit(
    *,
    site: Site,
    full_name: str,
    contact_method: str,
    condition: str,
    sender_address: str,
    email: str = "",
    phone: str = "",
    contact_other: str = "",
    honeypot: str = "",
    now: dt.datetime | None = None,
) -> ConsultationRequest:
    """Save a request from the public form.

    Refused with ``RATE_LIMITED`` when the sender already sent
    ``RATE_LIMIT_PER_HOUR`` requests in the last hour: the count and the save
    happen in one transaction while the sender's ``SenderLock`` row is locked,
    so parallel posts cannot all pass (on SQLite every write transaction is
    serialised anyway, ``BEGIN IMMEDIATE``). Refused with ``HONEYPOT_FILLED``
    when the hidden anti-spam field holds text: a person whose browser filled
    it sees why and can send again; nothing is dropped silently. Every field's
    length limit (``intake.models``) is checked by ``full_clean``.
    """
    if honeypot.strip():
        raise ValidationError(HONEYPOT_FILLED, code="honeypot")
    contact = {"email": email, "phone": phone, "other": contact_other}
    if contact_method not in ContactMethod.values:
        raise ValidationError(
            {"contact_method": f"contact_method={contact_method!r}: choose e-mail, phone or other"}
        )
    if not contact[contact_method].strip():
        label = dict(ContactMethod.choices)[contact_method].lower()
        raise ValidationError({_contact_field(contact_method): CONTACT_MISSING.format(method=label)})
    key = sender_key(sender_address)
    request = ConsultationRequest(
        site=site,
        full_name=full_name.strip(),
        contact_method=contact_method,
        email=email.strip(),
        phone=phone.strip(),
        contact_other=contact_other.strip(),
        condition=condition.strip(),
        sender_key=key,
    )
    request.full_clean(exclude=["status", "version"])
    with transaction.atomic():
        SenderLock.objects.bulk_create([SenderLock(key=key)], ignore_conflicts=True)
        SenderLock.objects.select_for_update().get(key=key)
        now = now or timezone.now()
        recent = ConsultationRequest.objects.filter(
            sender_key=key, created_at__gte=now - dt.timedelta(hours=1)
        )
        if recent.count() >= RATE_LIMIT_PER_HOUR:
            raise ValidationError(RATE_LIMITED, code="rate_limited")
        request.save()
        audit_change(
            actor=None, action="create", instance=request, before=None, patient=None, site_id=site.pk
        )
    return request


def _contact_field(method: str) -> str:
    return {"email": "email", "phone": "phone"}.get(method, "contact_other")


def _require_after_receipt(request: ConsultationRequest, field: str, at: dt.datetime) -> None:
    """An appointment cannot lie before the request that asked for it was received, nor more
    than ``chronology.SCHEDULING_HORIZON`` ahead."""
    require_schedulable(
        field,
        at,
        earliest=request.created_at,
        label="The appointment",
        earliest_label="the request's receipt",
    )


@transaction.atomic
def request_transition(
    *,
    request: ConsultationRequest,
    user: User,
    to_status: str,
    version: int,
    reason: str = "",
    notes: str | None = None,
    scheduled_for: dt.datetime | None = None,
) -> ConsultationRequest:
    """Move a request through triage (new → contacted → scheduled; declined with a reason)."""
    require_role(user, "triage consultation requests", *TRIAGE_ROLES)
    require_site(user, request.site_id)
    if to_status not in TRANSITIONS.get(request.status, frozenset()):
        raise ValidationError(TRANSITION_REFUSED.format(old=request.status, new=to_status))
    if to_status == RequestStatus.DECLINED and not reason.strip():
        raise ValidationError({"reason": DECLINE_NEEDS_REASON})
    before = snapshot(request)
    fields: dict[str, object] = {"status": to_status}
    if to_status == RequestStatus.DECLINED:
        fields["decline_reason"] = reason.strip()
    if notes is not None:
        fields["triage_notes"] = notes
    if scheduled_for is not None:
        _require_after_receipt(request, "scheduled_for", scheduled_for)
        fields["scheduled_for"] = scheduled_for
    update_versioned(request, expected_version=version, **fields)
    audit_change(
        actor=user,
        action=f"triage:{to_status}",
        instance=request,
        before=before,
        patient=None,
        reason=reason,
        site_id=request.site_id,
    )
    return request


@transaction.atomic
def request_reschedule(
    *,
    request: ConsultationRequest,
    user: User,
    version: int,
    scheduled_for: dt.datetime | None,
    reason: str,
) -> ConsultationRequest:
    """Move a scheduled request's examination appointment, with the reason in the audit trail.

    Errors: ``RESCHEDULE_NEEDS_SCHEDULED`` (the request is not scheduled),
    ``RESCHEDULE_NEEDS_TIME``, ``RESCHEDULE_SAME_TIME``, ``RESCHEDULE_NEEDS_REASON``
    (keyed by their form fields), ``STALE_EDIT`` when someone changed it meanwhile.
    """
    require_role(user, "reschedule consultation requests", *TRIAGE_ROLES)
    require_site(user, request.site_id)
    if request.status != RequestStatus.SCHEDULED:
        raise ValidationError(RESCHEDULE_NEEDS_SCHEDULED.format(status=request.get_status_display().lower()))
    if scheduled_for is None:
        raise ValidationError({"new_time": RESCHEDULE_NEEDS_TIME})
    if scheduled_for == request.scheduled_for:
        raise ValidationError({"new_time": RESCHEDULE_SAME_TIME})
    if scheduled_for <= timezone.now():
        raise ValidationError({"new_time": RESCHEDULE_IN_THE_PAST.format(value=format_when(scheduled_for))})
    _require_after_receipt(request, "new_time", scheduled_for)
    require_reason(reason, RESCHEDULE_NEEDS_REASON, field="reschedule_reason")
    before = snapshot(request)
    update_versioned(request, expected_version=version, scheduled_for=scheduled_for)
    audit_change(
        actor=user,
        action="triage:rescheduled",
        instance=request,
        before=before,
        patient=None,
        reason=reason.strip(),
        site_id=request.site_id,
    )
    return request


@transaction.atomic
def request_convert(
    *,
    request: ConsultationRequest,
    user: User,
    version: int,
    mrn: str,
    given_name: str,
    family_name: str,
    sex: str,
    date_of_birth: dt.date,
    examination_at: dt.datetime,
    height_cm: float | None = None,
    confirm_duplicate: bool = False,
) -> tuple[Patient, Encounter]:
    """Register the person as a patient with a Day 1 examination appointment."""
    require_role(user, "convert consultation requests", *TRIAGE_ROLES)
    require_site(user, request.site_id)
    check_version(request, expected_version=version)
    if request.status not in (RequestStatus.CONTACTED, RequestStatus.SCHEDULED):
        raise ValidationError(CONVERT_NEEDS_SCHEDULE)
    _require_after_receipt(request, "examination_at", examination_at)
    patient = patient_create(
        user=user,
        mrn=mrn,
        given_name=given_name,
        family_name=family_name,
        sex=sex,
        date_of_birth=date_of_birth,
        height_cm=height_cm,
        email=request.email,
        phone=request.phone,
        synthetic=request.synthetic,
        confirm_duplicate=confirm_duplicate,
    )
    before = snapshot(request)
    update_versioned(
        request,
        expected_version=version,
        status=RequestStatus.CONVERTED,
        patient=patient,
        scheduled_for=examination_at,
    )
    # After the link to the patient, so the examination's earliest time is the request's receipt.
    encounter = encounter_schedule(patient=patient, user=user, scheduled_for=examination_at)
    audit_change(actor=user, action="triage:converted", instance=request, before=before, patient=patient)
    return patient, encounter
