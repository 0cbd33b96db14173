"""Every rule of an administration, proved through the services and the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from stromal.administrations import services
from stromal.administrations.models import AdministrationSession, AdverseEvent, SessionStatus
from stromal.audit.locking import STALE_EDIT
from stromal.audit.models import AuditEvent
from stromal.products.models import LotStatus, ProductLot
from tests.administrations.factories import (
    BASELINE,
    accepted,
    allocated_session,
    checked_session,
    drafted_plan,
    ready_plan,
    running_session,
)
from tests.pathway.factories import EXOSOME, START, approve
from tests.products.factories import received_lot, released_lot

pytestmark = pytest.mark.django_db


def test_the_clinic_plan_schedules_two_iv_sessions_on_days_1_and_2(cast: Any) -> None:
    plan = ready_plan(cast)
    sessions = services.sessions_schedule(plan=plan, user=cast.nina)
    assert [(s.sequence, s.protocol_day, s.route) for s in sessions] == [(1, 1, "iv"), (2, 2, "iv")]
    assert sessions[1].scheduled_date == plan.start_date + dt.timedelta(days=2)
    again = services.sessions_schedule(plan=plan, user=cast.nina)
    assert [s.pk for s in again] == [s.pk for s in sessions]


def test_the_exosome_plan_schedules_five_inhalations(cast: Any) -> None:
    sessions = services.sessions_schedule(plan=ready_plan(cast, EXOSOME), user=cast.nina)
    assert len(sessions) == 5 and {s.route for s in sessions} == {"inhaled"}


def test_no_administration_without_two_physician_signatures(cast: Any) -> None:
    plan = accepted(cast, drafted_plan(cast))  # accepted but not signed
    with pytest.raises(ValidationError, match="approved plan"):
        services.sessions_schedule(plan=plan, user=cast.nina)


def test_no_administration_without_the_patients_accept_decision(cast: Any) -> None:
    plan = approve(cast, drafted_plan(cast))  # signed but not accepted
    with pytest.raises(ValidationError, match="accept decision"):
        services.sessions_schedule(plan=plan, user=cast.nina)


def test_the_start_is_refused_when_the_plan_was_edited_after_allocation(cast: Any) -> None:
    from stromal.plans.services import plan_update

    session = checked_session(cast)
    plan = session.plan
    plan.refresh_from_db()
    plan_update(plan=plan, user=cast.alice, version=plan.version, notes="changed", reason="typo")
    with pytest.raises(ValidationError, match="approved plan"):
        services.session_start(session=session, user=cast.nina, version=session.version, baseline=BASELINE)


def test_a_unit_in_quarantine_cannot_be_allocated(cast: Any) -> None:
    plan = ready_plan(cast)
    session = services.sessions_schedule(plan=plan, user=cast.nina)[0]
    lot = received_lot(cast.luke)
    with pytest.raises(ValidationError, match="not released"):
        services.session_allocate(session=session, lot=lot, user=cast.luke, version=session.version)


def test_an_expired_unit_cannot_be_allocated(cast: Any) -> None:
    plan = ready_plan(cast)
    session = services.sessions_schedule(plan=plan, user=cast.nina)[0]
    lot = released_lot(cast.luke)
    ProductLot.objects.filter(pk=lot.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(ValidationError, match="expired"):
        services.session_allocate(session=session, lot=lot, user=cast.luke, version=session.version)


def test_a_unit_allocated_to_one_patient_cannot_serve_another(cast: Any) -> None:
    first = allocated_session(cast, ready_plan(cast, mrn="MRN-A"))
    other = services.sessions_schedule(plan=ready_plan(cast, mrn="MRN-B"), user=cast.nina)[0]
    assert first.product is not None
    with pytest.raises(ValidationError, match="allocated to another"):
        services.session_allocate(session=other, lot=first.product, user=cast.luke, version=other.version)


def test_the_database_refuses_one_unit_on_two_sessions(cast: Any) -> None:
    first = allocated_session(cast, ready_plan(cast, mrn="MRN-A"))
    other = services.sessions_schedule(plan=ready_plan(cast, mrn="MRN-B"), user=cast.nina)[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        AdministrationSession.objects.filter(pk=other.pk).update(product=first.product)


def test_the_wrong_product_type_is_refused(cast: Any) -> None:
    session = services.sessions_schedule(plan=ready_plan(cast), user=cast.nina)[0]
    lot = released_lot(cast.luke, product_type="msc_exosome")
    with pytest.raises(ValidationError, match="needs uc_msc"):
        services.session_allocate(session=session, lot=lot, user=cast.luke, version=session.version)


def test_allocation_is_for_lab_staff_only(cast: Any) -> None:
    session = services.sessions_schedule(plan=ready_plan(cast), user=cast.nina)[0]
    lot = released_lot(cast.luke)
    with pytest.raises(PermissionDenied):
        services.session_allocate(session=session, lot=lot, user=cast.nina, version=session.version)


def test_the_unit_expires_after_thaw_and_then_cannot_be_started(cast: Any) -> None:
    session = checked_session(cast)
    ProductLot.objects.filter(pk=session.product_id).update(
        thaw_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    with pytest.raises(ValidationError, match="after thaw"):
        services.session_start(session=session, user=cast.nina, version=session.version, baseline=BASELINE)


def test_a_patient_identifier_mismatch_blocks_and_is_recorded(cast: Any) -> None:
    session = allocated_session(cast)
    session = services.session_prepare(session=session, user=cast.nina, version=session.version)
    assert session.product is not None
    result = services.identity_check(
        session=session,
        user=cast.nina,
        version=session.version,
        patient_identifier="MRN-9999",
        product_identifier=session.product.din + session.product.din_check,
    )
    assert not result.matched and result.problems == (services.PATIENT_MISMATCH,)
    session.refresh_from_db()
    assert session.first_checker is None and session.status == SessionStatus.PREPARED
    assert session.identity_checks.get().matched is False
    assert AuditEvent.objects.filter(action="identity_check_mismatch").exists()


def test_a_product_identifier_of_another_unit_blocks(cast: Any) -> None:
    session = allocated_session(cast)
    session = services.session_prepare(session=session, user=cast.nina, version=session.version)
    other = released_lot(cast.luke)
    result = services.identity_check(
        session=session,
        user=cast.nina,
        version=session.version,
        patient_identifier=session.patient.mrn,
        product_identifier=other.din + other.din_check,
    )
    assert not result.matched and result.problems == (services.PRODUCT_MISMATCH,)


def test_the_same_person_cannot_do_both_identity_checks(cast: Any) -> None:
    session = allocated_session(cast)
    session = services.session_prepare(session=session, user=cast.nina, version=session.version)
    assert session.product is not None
    din = session.product.din + session.product.din_check
    first = services.identity_check(
        session=session,
        user=cast.nina,
        version=session.version,
        patient_identifier=session.patient.mrn,
        product_identifier=din,
    )
    with pytest.raises(ValidationError, match="different person"):
        services.identity_check(
            session=first.session,
            user=cast.nina,
            version=first.session.version,
            patient_identifier=session.patient.mrn,
            product_identifier=din,
        )


def test_the_database_refuses_the_same_person_as_both_checkers(cast: Any) -> None:
    session = allocated_session(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        AdministrationSession.objects.filter(pk=session.pk).update(
            first_checker=cast.nina, second_checker=cast.nina
        )


def test_the_start_needs_both_checks(cast: Any) -> None:
    session = allocated_session(cast)
    session = services.session_prepare(session=session, user=cast.nina, version=session.version)
    with pytest.raises(ValidationError, match="Two different people"):
        services.session_start(session=session, user=cast.nina, version=session.version, baseline=BASELINE)


def test_the_database_refuses_a_running_session_without_checks(cast: Any) -> None:
    session = allocated_session(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        AdministrationSession.objects.filter(pk=session.pk).update(
            status=SessionStatus.RUNNING, started_at=timezone.now()
        )


def test_a_normal_session_runs_to_completion_and_the_unit_is_administered(cast: Any) -> None:
    session = running_session(cast)
    for minute in (0, 15, 30):
        result = services.vitals_record(
            session=session,
            user=cast.nina,
            values={"fio2": 0.4, "peep_cmh2o": 5, "spo2_pct": 94},
            scheduled_minute=minute,
        )
        assert not result.stopped
    session.refresh_from_db()
    session = services.session_record_given(
        session=session, user=cast.nina, version=session.version, volume_given_ml=50, cells_given=80e6
    )
    assert session.status == SessionStatus.COMPLETED
    assert ProductLot.objects.get(pk=session.product_id).status == LotStatus.ADMINISTERED


def test_a_start_hypoxaemia_hit_stops_the_session_and_opens_an_adverse_event(cast: Any) -> None:
    session = running_session(cast)
    result = services.vitals_record(
        session=session, user=cast.nina, values={"fio2": 0.6, "peep_cmh2o": 10, "spo2_pct": 89}
    )
    assert result.stopped
    session.refresh_from_db()
    assert session.status == SessionStatus.STOPPED and session.awaiting_stop_confirmation
    assert [h["rule_id"] for h in session.stopping_hits] == ["start.hypoxemia"]
    event = AdverseEvent.objects.get(session=session)
    assert event.from_stopping_rule and event.ctcae_grade is None
    services.session_confirm_stop(session=session, physician=cast.alice, version=session.version)
    session.refresh_from_db()
    assert session.stop_confirmed_by == cast.alice and not session.awaiting_stop_confirmation


def test_a_nurse_cannot_confirm_a_stopping_rule_event(cast: Any) -> None:
    session = running_session(cast)
    services.vitals_record(session=session, user=cast.nina, values={"urticaria": True})
    session.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.session_confirm_stop(session=session, physician=cast.nina, version=session.version)


def test_out_of_range_vitals_are_refused_naming_the_field_and_nothing_is_saved(cast: Any) -> None:
    session = running_session(cast)
    with pytest.raises(ValidationError) as exc:
        services.vitals_record(session=session, user=cast.nina, values={"fio2": 60})
    assert "fio2" in exc.value.message_dict and "did you mean 0.60" in str(exc.value)
    assert not session.vitals.exists()


def test_an_interrupted_session_resumes_and_keeps_the_interruption(cast: Any) -> None:
    session = running_session(cast)
    session = services.session_interrupt(
        session=session, user=cast.nina, version=session.version, reason="line occluded"
    )
    session = services.session_resume(session=session, user=cast.nina, version=session.version)
    assert session.status == SessionStatus.RUNNING
    assert session.interruptions.get().ended_at is not None


def test_a_stale_session_edit_is_refused(cast: Any) -> None:
    session = running_session(cast)
    old_version = session.version
    services.session_interrupt(session=session, user=cast.nina, version=old_version, reason="pump alarm")
    stale = AdministrationSession.objects.get(pk=session.pk)
    with pytest.raises(ValidationError, match=STALE_EDIT[:30]):
        services.session_interrupt(session=stale, user=cast.alice, version=old_version, reason="again")


def test_a_physician_grades_a_serious_event_and_it_is_flagged_for_expedited_review(cast: Any) -> None:
    session = running_session(cast)
    event = services.adverse_event_report(
        session=session, user=cast.nina, term="Anaphylaxis", onset_at=timezone.now()
    )
    event = services.adverse_event_grade(
        event=event,
        physician=cast.alice,
        version=event.version,
        ctcae_grade=4,
        serious=True,
        seriousness_criteria=["life_threatening"],
        relatedness="probable",
        outcome="recovering",
        action_taken="stopped",
    )
    assert event.expedited_review and event.graded_by == cast.alice


def test_grading_is_for_physicians_and_checks_the_ranges(cast: Any) -> None:
    session = running_session(cast)
    event = services.adverse_event_report(
        session=session, user=cast.nina, term="Fever", onset_at=timezone.now()
    )
    kwargs: dict[str, Any] = dict(
        version=event.version,
        ctcae_grade=1,
        serious=False,
        seriousness_criteria=[],
        relatedness="possible",
        outcome="recovered",
        action_taken="none",
    )
    with pytest.raises(PermissionDenied):
        services.adverse_event_grade(event=event, physician=cast.nina, **kwargs)
    with pytest.raises(ValidationError) as exc:
        services.adverse_event_grade(event=event, physician=cast.alice, **{**kwargs, "ctcae_grade": 6})
    assert "ctcae_grade" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.adverse_event_grade(event=event, physician=cast.alice, **{**kwargs, "serious": True})
    assert "seriousness_criteria" in exc.value.message_dict


def test_the_database_refuses_a_serious_event_not_flagged_for_review(cast: Any) -> None:
    session = running_session(cast)
    event = services.adverse_event_report(
        session=session, user=cast.nina, term="Fever", onset_at=timezone.now()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        AdverseEvent.objects.filter(pk=event.pk).update(serious=True)


def test_every_step_is_in_the_audit_trail(cast: Any) -> None:
    session = running_session(cast)
    actions = set(
        AuditEvent.objects.filter(patient_id_at_event=session.patient_id).values_list("action", flat=True)
    )
    assert {
        "session_schedule",
        "session_allocate",
        "session_prepare",
        "identity_check",
        "session_start",
    } <= actions


def test_the_start_like_protocol_uses_the_start_rules_on_a_single_dose(cast: Any) -> None:
    plan = ready_plan(cast, START)
    session = running_session(cast, plan)
    result = services.vitals_record(session=session, user=cast.nina, values={"norepinephrine_ug_min": 12})
    assert result.stopped and result.adverse_event is not None
    assert result.adverse_event.stopping_rule_ids == ["start.vasopressor.norepinephrine"]


def test_a_monitor_changes_nothing(cast: Any) -> None:
    session = running_session(cast)
    with pytest.raises(PermissionDenied):
        services.vitals_record(session=session, user=cast.mona, values={"spo2_pct": 95})


def test_another_sites_physician_cannot_touch_the_session(cast: Any) -> None:
    from django.http import Http404

    session = running_session(cast)
    with pytest.raises(Http404):
        services.vitals_record(session=session, user=cast.oscar, values={"spo2_pct": 95})
