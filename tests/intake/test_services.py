from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from stromal.audit.locking import STALE_EDIT
from stromal.audit.models import AuditEvent
from stromal.examinations.models import EncounterStatus
from stromal.intake.models import (
    CONDITION_MAX_CHARS,
    CONTACT_OTHER_MAX_CHARS,
    NAME_MAX_CHARS,
    PHONE_MAX_CHARS,
    ConsultationRequest,
    RequestStatus,
)
from stromal.intake.services import (
    CONVERT_NEEDS_SCHEDULE,
    DECLINE_NEEDS_REASON,
    HONEYPOT_FILLED,
    RATE_LIMIT_PER_HOUR,
    RATE_LIMITED,
    RESCHEDULE_IN_THE_PAST,
    RESCHEDULE_NEEDS_REASON,
    RESCHEDULE_NEEDS_SCHEDULED,
    RESCHEDULE_SAME_TIME,
    TRANSITION_REFUSED,
    request_convert,
    request_reschedule,
    request_submit,
    request_transition,
)

pytestmark = pytest.mark.django_db


def _submit(site: Any, address: str = "203.0.113.7", **kwargs: Any) -> ConsultationRequest:
    fields: dict[str, Any] = {
        "full_name": "Rosa Request",
        "contact_method": "email",
        "email": "rosa@example.org",
        "condition": "Short of breath since my ARDS last winter.",
    }
    fields.update(kwargs)
    return request_submit(site=site, sender_address=address, **fields)


def test_a_request_arrives_as_new_and_is_audited(site: Any) -> None:
    request = _submit(site)
    assert request is not None and request.status == RequestStatus.NEW
    assert AuditEvent.objects.filter(
        object_type="intake.consultationrequest", actor_username="system"
    ).exists()


def test_a_filled_honeypot_is_refused_with_a_message_and_saves_nothing(site: Any) -> None:
    with pytest.raises(ValidationError, match=re.escape(HONEYPOT_FILLED)):
        _submit(site, honeypot="http://spam.example")
    assert not ConsultationRequest.objects.exists()


def test_it_refuses_a_condition_longer_than_the_limit_naming_the_field(site: Any) -> None:
    with pytest.raises(ValidationError) as info:
        _submit(site, condition="x" * 2_400_000)
    assert "condition" in str(info.value)
    assert not ConsultationRequest.objects.exists()
    assert _submit(site, condition="x" * CONDITION_MAX_CHARS) is not None


@pytest.mark.parametrize(
    ("field", "limit"),
    [("full_name", NAME_MAX_CHARS), ("phone", PHONE_MAX_CHARS), ("contact_other", CONTACT_OTHER_MAX_CHARS)],
)
def test_it_refuses_every_public_field_longer_than_its_limit(site: Any, field: str, limit: int) -> None:
    with pytest.raises(ValidationError) as info:
        _submit(site, **{field: "x" * (limit + 1)})
    assert field in info.value.message_dict


def test_the_database_refuses_a_condition_longer_than_the_limit(site: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationRequest.objects.create(
            site=site, full_name="x", contact_method="email", email="x@example.org", condition="c" * 5001
        )


def test_it_refuses_more_than_the_hourly_limit_from_one_sender(site: Any) -> None:
    for _ in range(RATE_LIMIT_PER_HOUR):
        _submit(site)
    with pytest.raises(ValidationError, match=RATE_LIMITED):
        _submit(site)
    assert _submit(site, address="198.51.100.1") is not None  # another sender is not affected
    later = timezone.now() + dt.timedelta(hours=1, minutes=1)
    assert _submit(site, now=later) is not None


def test_it_refuses_a_request_without_the_chosen_contact(site: Any) -> None:
    with pytest.raises(ValidationError) as info:
        _submit(site, contact_method="phone", phone="")
    assert "phone" in info.value.message_dict


def test_the_database_refuses_a_request_without_contact(site: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationRequest.objects.create(site=site, full_name="x", contact_method="email", condition="c")


def test_triage_moves_new_to_contacted_to_scheduled(cast: Any, site: Any) -> None:
    request = _submit(site)
    assert request is not None
    request_transition(request=request, user=cast.cora, to_status="contacted", version=request.version)
    request_transition(request=request, user=cast.cora, to_status="scheduled", version=request.version)
    request.refresh_from_db()
    assert request.status == RequestStatus.SCHEDULED
    assert AuditEvent.objects.filter(action="triage:scheduled", actor=cast.cora).exists()


def test_declining_needs_a_reason(cast: Any, site: Any) -> None:
    request = _submit(site)
    assert request is not None
    with pytest.raises(ValidationError, match=DECLINE_NEEDS_REASON):
        request_transition(request=request, user=cast.cora, to_status="declined", version=request.version)
    request_transition(
        request=request, user=cast.cora, to_status="declined", version=request.version, reason="not ARDS"
    )
    assert request.decline_reason == "not ARDS"
    with pytest.raises(ValidationError, match=TRANSITION_REFUSED.format(old="declined", new="contacted")):
        request_transition(request=request, user=cast.cora, to_status="contacted", version=request.version)


def test_a_stale_triage_is_refused(cast: Any, site: Any) -> None:
    request = _submit(site)
    assert request is not None
    stale = ConsultationRequest.objects.get(pk=request.pk)
    request_transition(request=request, user=cast.cora, to_status="contacted", version=request.version)
    with pytest.raises(ValidationError, match=STALE_EDIT):
        request_transition(
            request=stale, user=cast.cora, to_status="declined", version=stale.version, reason="x"
        )


def test_only_a_coordinator_triages(cast: Any, site: Any) -> None:
    request = _submit(site)
    assert request is not None
    for user in (cast.nina, cast.mona, cast.ivan, cast.alice, cast.luke):
        with pytest.raises(PermissionDenied):
            request_transition(request=request, user=user, to_status="contacted", version=request.version)


def test_a_coordinator_of_another_site_cannot_see_the_request(cast: Any, other_site: Any) -> None:
    request = _submit(other_site)
    assert request is not None
    with pytest.raises(Http404):
        request_transition(request=request, user=cast.cora, to_status="contacted", version=request.version)


def test_conversion_creates_a_patient_with_an_examination_appointment(cast: Any, site: Any) -> None:
    request = _submit(site)
    assert request is not None
    with pytest.raises(ValidationError, match=re.escape(CONVERT_NEEDS_SCHEDULE)):
        request_convert(
            request=request,
            user=cast.cora,
            version=request.version,
            mrn="N-1",
            given_name="Rosa",
            family_name="Request",
            sex="female",
            date_of_birth=dt.date(1960, 1, 2),
            examination_at=timezone.now(),
        )
    request_transition(request=request, user=cast.cora, to_status="scheduled", version=request.version)
    when = timezone.now() + dt.timedelta(days=1)
    patient, encounter = request_convert(
        request=request,
        user=cast.cora,
        version=request.version,
        mrn="N-1",
        given_name="Rosa",
        family_name="Request",
        sex="female",
        date_of_birth=dt.date(1960, 1, 2),
        examination_at=when,
        height_cm=162,
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.CONVERTED and request.patient == patient
    assert patient.site == site and patient.email == "rosa@example.org"
    assert encounter.status == EncounterStatus.SCHEDULED and encounter.scheduled_for == when


def _scheduled(cast: Any, site: Any, when: dt.datetime) -> ConsultationRequest:
    request = _submit(site)
    request_transition(
        request=request, user=cast.cora, to_status="scheduled", version=request.version, scheduled_for=when
    )
    return request


def test_a_scheduled_request_is_rescheduled_with_the_reason_in_the_audit_trail(cast: Any, site: Any) -> None:
    first = timezone.now() + dt.timedelta(days=2)
    request = _scheduled(cast, site, first)
    later = first + dt.timedelta(days=3)
    request_reschedule(
        request=request, user=cast.cora, version=request.version, scheduled_for=later, reason="patient asked"
    )
    request.refresh_from_db()
    assert request.scheduled_for == later and request.status == RequestStatus.SCHEDULED
    event = AuditEvent.objects.get(action="triage:rescheduled")
    assert event.reason == "patient asked" and event.actor == cast.cora


def test_rescheduling_needs_a_reason_a_new_time_and_a_scheduled_request(cast: Any, site: Any) -> None:
    when = timezone.now() + dt.timedelta(days=2)
    request = _scheduled(cast, site, when)
    with pytest.raises(ValidationError, match=RESCHEDULE_NEEDS_REASON):
        request_reschedule(
            request=request,
            user=cast.cora,
            version=request.version,
            scheduled_for=when + dt.timedelta(1),
            reason=" ",
        )
    with pytest.raises(ValidationError, match=RESCHEDULE_SAME_TIME):
        request_reschedule(
            request=request, user=cast.cora, version=request.version, scheduled_for=when, reason="x"
        )
    with pytest.raises(ValidationError, match=re.escape(RESCHEDULE_IN_THE_PAST.split("(")[0])):
        request_reschedule(
            request=request,
            user=cast.cora,
            version=request.version,
            scheduled_for=timezone.now() - dt.timedelta(minutes=1),
            reason="x",
        )
    fresh = _submit(site, address="198.51.100.9")
    with pytest.raises(ValidationError, match=RESCHEDULE_NEEDS_SCHEDULED.format(status="new")):
        request_reschedule(
            request=fresh, user=cast.cora, version=fresh.version, scheduled_for=when, reason="x"
        )
    request.refresh_from_db()
    assert request.scheduled_for == when
    assert not AuditEvent.objects.filter(action="triage:rescheduled").exists()


def test_only_a_coordinator_reschedules(cast: Any, site: Any) -> None:
    when = timezone.now() + dt.timedelta(days=2)
    request = _scheduled(cast, site, when)
    for user in (cast.nina, cast.mona, cast.alice):
        with pytest.raises(PermissionDenied):
            request_reschedule(
                request=request,
                user=user,
                version=request.version,
                scheduled_for=when + dt.timedelta(1),
                reason="x",
            )


@pytest.mark.parametrize("year", [1, 9999])
def test_an_appointment_at_an_extreme_year_is_refused_naming_the_field(
    cast: Any, site: Any, year: int
) -> None:
    request = _submit(site)
    assert request is not None
    request_transition(request=request, user=cast.cora, to_status="contacted", version=request.version)
    when = timezone.make_aware(dt.datetime(year, 12 if year == 9999 else 1, 31 if year == 9999 else 1, 12, 0))
    with pytest.raises(ValidationError) as exc:
        request_transition(
            request=request,
            user=cast.cora,
            to_status="scheduled",
            version=request.version,
            scheduled_for=when,
        )
    assert "scheduled_for" in exc.value.message_dict
    request.refresh_from_db()
    assert request.status == "contacted"
