"""Monitoring rules: verification is cleared by a change; a query's life cycle; sign-off locks, unlock needs a reason."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from stromal.audit.models import AuditEvent
from stromal.audit.services import CASEBOOK_LOCKED
from stromal.monitoring import services
from stromal.monitoring.models import QueryStatus
from stromal.monitoring.selectors import CLEARED, UNVERIFIED, VERIFIED, patient_records
from stromal.patients.models import Patient
from stromal.patients.services import patient_update
from tests.conftest import PASSWORD
from tests.pathway.factories import make_patient

pytestmark = pytest.mark.django_db

PATIENT = "patients.patient"


def _state(patient: Patient) -> str:
    (record,) = [r for r in patient_records(patient=patient) if r.object_type == PATIENT]
    return record.state


def _correct_height(cast: Any, patient: Patient, height_cm: float) -> None:
    patient.refresh_from_db()
    patient_update(
        patient=patient, user=cast.cora, version=patient.version, reason="re-measured", height_cm=height_cm
    )


def test_a_verified_record_is_cleared_by_a_later_change_which_is_named(cast: Any) -> None:
    patient = make_patient(cast.cora)
    assert _state(patient) == UNVERIFIED
    services.record_verify(user=cast.mona, patient=patient, object_type=PATIENT, object_id=str(patient.pk))
    assert _state(patient) == VERIFIED
    _correct_height(cast, patient, 170.0)
    (record,) = [r for r in patient_records(patient=patient) if r.object_type == PATIENT]
    assert record.state == CLEARED
    assert record.cleared_by is not None
    assert record.cleared_by.actor_username == "cora"
    services.record_verify(user=cast.mona, patient=patient, object_type=PATIENT, object_id=str(patient.pk))
    assert _state(patient) == VERIFIED


def test_only_a_monitor_verifies_and_only_records_that_exist(cast: Any) -> None:
    patient = make_patient(cast.cora)
    with pytest.raises(PermissionDenied):
        services.record_verify(
            user=cast.cora, patient=patient, object_type=PATIENT, object_id=str(patient.pk)
        )
    with pytest.raises(ValidationError, match="no audited record"):
        services.record_verify(user=cast.mona, patient=patient, object_type=PATIENT, object_id="999999")


def test_a_query_goes_open_answered_reopened_answered_closed_and_every_step_is_audited(cast: Any) -> None:
    patient = make_patient(cast.cora)
    query = services.query_open(
        user=cast.mona,
        patient=patient,
        object_type=PATIENT,
        object_id=str(patient.pk),
        field="height_cm",
        text="Height 165 cm? Source says 156.",
    )
    assert query.status == QueryStatus.OPEN
    with pytest.raises(PermissionDenied):
        services.query_answer(query=query, user=cast.mona, version=query.version, text="x")
    query = services.query_answer(
        query=query, user=cast.cora, version=query.version, text="Typo; corrected to 156."
    )
    assert query.status == QueryStatus.ANSWERED
    with pytest.raises(PermissionDenied):
        services.query_close(query=query, user=cast.cora, version=query.version, text="done")
    query = services.query_reopen(
        query=query, user=cast.mona, version=query.version, text="Record still shows 165."
    )
    assert query.status == QueryStatus.OPEN
    query = services.query_answer(query=query, user=cast.cora, version=query.version, text="Amended now.")
    query = services.query_close(query=query, user=cast.mona, version=query.version, text="Confirmed.")
    assert query.status == QueryStatus.CLOSED
    with pytest.raises(ValidationError, match="only an open query"):
        services.query_answer(query=query, user=cast.cora, version=query.version, text="late")
    steps = list(query.messages.values_list("step", flat=True))
    assert steps == ["open", "answer", "reopen", "answer", "close"]
    actions = list(
        AuditEvent.objects.filter(object_type="monitoring.dataquery")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["query_open", "query_answer", "query_reopen", "query_answer", "query_close"]


def test_a_stale_answer_is_refused(cast: Any) -> None:
    patient = make_patient(cast.cora)
    query = services.query_open(
        user=cast.mona, patient=patient, object_type=PATIENT, object_id=str(patient.pk), field="", text="?"
    )
    with pytest.raises(ValidationError, match="Someone else changed"):
        services.query_answer(query=query, user=cast.cora, version=query.version + 5, text="x")


def test_sign_off_needs_the_right_username_and_password_and_no_open_query(cast: Any) -> None:
    patient = make_patient(cast.cora)
    with pytest.raises(ValidationError, match="not correct"):
        services.casebook_sign(user=cast.ivan, patient=patient, username="ivan", password="wrong")
    with pytest.raises(ValidationError, match="not correct"):
        services.casebook_sign(user=cast.ivan, patient=patient, username="mona", password=PASSWORD)
    services.query_open(
        user=cast.mona, patient=patient, object_type=PATIENT, object_id=str(patient.pk), field="", text="?"
    )
    with pytest.raises(ValidationError, match="close them before sign-off"):
        services.casebook_sign(user=cast.ivan, patient=patient, username="ivan", password=PASSWORD)


def test_a_signed_off_casebook_refuses_every_write_until_an_administrator_unlocks_it_with_a_reason(
    cast: Any,
) -> None:
    patient = make_patient(cast.cora)
    signature = services.casebook_sign(user=cast.ivan, patient=patient, username="ivan", password=PASSWORD)
    assert signature.printed_name == "Ivan Ivanov"
    with pytest.raises(PermissionDenied, match=CASEBOOK_LOCKED[:30]):
        _correct_height(cast, patient, 180.0)
    assert Patient.objects.get(pk=patient.pk).height_cm == 165.0
    with pytest.raises(PermissionDenied):
        services.casebook_unlock(user=cast.ivan, patient=patient, reason="x")
    with pytest.raises(ValidationError, match="reason"):
        services.casebook_unlock(user=cast.ada, patient=patient, reason="  ")
    services.casebook_unlock(user=cast.ada, patient=patient, reason="late laboratory result to enter")
    _correct_height(cast, patient, 180.0)
    assert Patient.objects.get(pk=patient.pk).height_cm == 180.0
    unlock = AuditEvent.objects.get(action="casebook_unlock")
    assert unlock.reason == "late laboratory result to enter"
    assert unlock.actor_username == "ada"


def test_a_query_on_a_field_the_record_does_not_have_is_refused(cast: Any) -> None:
    patient = make_patient(cast.cora)
    with pytest.raises(ValidationError, match="has no field 'nonexistent_field'"):
        services.query_open(
            user=cast.mona,
            patient=patient,
            object_type=PATIENT,
            object_id=str(patient.pk),
            field="nonexistent_field",
            text="?",
        )
    query = services.query_open(
        user=cast.mona,
        patient=patient,
        object_type=PATIENT,
        object_id=str(patient.pk),
        field="height_cm",
        text="?",
    )
    assert query.field == "height_cm"
