"""Issue #8 class 5 for administrations: no clinical time in the future, the pathway's order,
each dose inside its scheduled day's window, and no infusion shorter than the protocol allows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from stromal.administrations import services
from stromal.administrations.models import AdministrationSession, AdverseEvent, SessionStatus, VitalSigns
from stromal.plans.models import Consent
from tests.administrations.factories import (
    BASELINE,
    OFF_SCHEDULE_REASON,
    STARTED_AGO,
    allocated_session,
    checked_session,
    ready_plan,
    running_session,
)
from tests.products.factories import released_lot

pytestmark = pytest.mark.django_db

FAR_FUTURE = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def test_vitals_taken_on_9999_12_31_are_refused(cast: Any) -> None:
    session = running_session(cast)
    with pytest.raises(ValidationError) as exc:
        services.vitals_record(session=session, user=cast.nina, values={"spo2_pct": 95}, taken_at=FAR_FUTURE)
    assert "taken_at" in exc.value.message_dict and "later than now" in str(exc.value)
    assert not session.vitals.exists()


def test_vitals_a_few_minutes_ahead_within_clock_skew_are_accepted(cast: Any) -> None:
    session = running_session(cast)
    ahead = timezone.now() + dt.timedelta(minutes=3)
    result = services.vitals_record(session=session, user=cast.nina, values={"spo2_pct": 95}, taken_at=ahead)
    assert result.vitals.taken_at == ahead


def test_vitals_before_the_start_are_refused(cast: Any) -> None:
    session = running_session(cast)
    assert session.started_at is not None
    early = session.started_at - dt.timedelta(minutes=1)
    with pytest.raises(ValidationError, match="cannot be before the start"):
        services.vitals_record(session=session, user=cast.nina, values={"spo2_pct": 95}, taken_at=early)


def test_an_adverse_event_starting_9999_12_31_is_refused(cast: Any) -> None:
    session = running_session(cast)
    with pytest.raises(ValidationError) as exc:
        services.adverse_event_report(session=session, user=cast.nina, term="Fever", onset_at=FAR_FUTURE)
    assert "onset_at" in exc.value.message_dict
    assert not AdverseEvent.objects.exists()


def test_an_adverse_event_before_the_start_of_the_administration_is_refused(cast: Any) -> None:
    session = running_session(cast)
    assert session.started_at is not None
    with pytest.raises(ValidationError, match="cannot be before the start"):
        services.adverse_event_report(
            session=session,
            user=cast.nina,
            term="Fever",
            onset_at=session.started_at - dt.timedelta(hours=1),
        )


def test_a_start_in_the_future_is_refused(cast: Any) -> None:
    session = checked_session(cast)
    with pytest.raises(ValidationError) as exc:
        services.session_start(
            session=session,
            user=cast.nina,
            version=session.version,
            baseline=BASELINE,
            started_at=timezone.now() + dt.timedelta(hours=1),
        )
    assert "started_at" in exc.value.message_dict


def test_a_thaw_in_the_future_is_refused(cast: Any) -> None:
    session = allocated_session(cast)
    with pytest.raises(ValidationError) as exc:
        services.session_prepare(
            session=session,
            user=cast.nina,
            version=session.version,
            thawed_at=timezone.now() + dt.timedelta(hours=1),
        )
    assert "thawed_at" in exc.value.message_dict


def test_an_administration_before_the_consent_is_refused(cast: Any) -> None:
    session = checked_session(cast)
    consent = Consent.objects.get(plan=session.plan)
    assert session.prepared_at is not None
    with pytest.raises(ValidationError) as exc:
        services.session_start(
            session=session,
            user=cast.nina,
            version=session.version,
            baseline=BASELINE,
            started_at=consent.given_at - dt.timedelta(minutes=1),
        )
    assert "the patient's consent" in str(exc.value)


def test_a_start_before_the_thaw_is_refused(cast: Any) -> None:
    session = checked_session(cast)
    assert session.prepared_at is not None
    with pytest.raises(ValidationError, match="the thaw"):
        services.session_start(
            session=session,
            user=cast.nina,
            version=session.version,
            baseline=BASELINE,
            started_at=session.prepared_at - dt.timedelta(minutes=1),
        )


def _scheduled(cast: Any, sequence: int) -> AdministrationSession:
    plan = ready_plan(cast)
    session = services.sessions_schedule(plan=plan, user=cast.nina)[sequence - 1]
    lot = released_lot(cast.luke)
    return services.session_allocate(session=session, lot=lot, user=cast.luke, version=session.version)


def test_a_day_2_dose_given_two_days_early_is_refused_without_a_physicians_reason(cast: Any) -> None:
    session = _scheduled(cast, 2)  # day 2 of a plan whose day 0 is today
    assert session.scheduled_date == timezone.localdate() + dt.timedelta(days=2)
    with pytest.raises(ValidationError) as exc:
        services.session_prepare(session=session, user=cast.nina, version=session.version)
    assert exc.value.code == "off_schedule" and "physician's documented reason" in str(exc.value)
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED


def test_a_physician_documents_why_a_dose_is_given_early_and_then_it_may_be_given(cast: Any) -> None:
    session = _scheduled(cast, 2)
    with pytest.raises(PermissionDenied):
        services.session_authorise_off_schedule(
            session=session, physician=cast.nina, version=session.version, reason="ward schedule"
        )
    with pytest.raises(ValidationError) as exc:
        services.session_authorise_off_schedule(
            session=session, physician=cast.alice, version=session.version, reason="  "
        )
    assert "reason" in exc.value.message_dict
    session = services.session_authorise_off_schedule(
        session=session, physician=cast.alice, version=session.version, reason="Discharge moved forward."
    )
    assert session.off_schedule_by == cast.alice and session.off_schedule_reason == "Discharge moved forward."
    first = AdministrationSession.objects.get(plan=session.plan, sequence=1)  # doses go in order
    services.session_cancel(
        session=first, user=cast.alice, version=first.version, reason="Not tolerated today."
    )
    session = services.session_prepare(session=session, user=cast.nina, version=session.version)
    assert session.status == SessionStatus.PREPARED


def test_no_reason_is_taken_for_a_dose_given_on_its_scheduled_day(cast: Any) -> None:
    session = _scheduled(cast, 1)
    AdministrationSession.objects.filter(pk=session.pk).update(scheduled_date=timezone.localdate())
    session.refresh_from_db()
    with pytest.raises(ValidationError, match="no reason is needed"):
        services.session_authorise_off_schedule(
            session=session, physician=cast.alice, version=session.version, reason="just in case"
        )


def test_the_database_refuses_an_off_schedule_reason_without_its_physician(cast: Any) -> None:
    session = _scheduled(cast, 2)
    with pytest.raises(IntegrityError), transaction.atomic():
        AdministrationSession.objects.filter(pk=session.pk).update(off_schedule_reason="because")


def test_a_0_minute_infusion_is_not_completed_against_a_60_to_120_minute_protocol(cast: Any) -> None:
    session = running_session(cast)
    assert session.started_at is not None
    with pytest.raises(ValidationError) as exc:
        services.session_record_given(
            session=session,
            user=cast.nina,
            version=session.version,
            volume_given_ml=50,
            cells_given=8e7,
            ended_at=session.started_at,
        )
    assert "early_stop_reason" in exc.value.message_dict and "minimum is 60 min" in str(exc.value)
    session.refresh_from_db()
    assert session.status == SessionStatus.RUNNING and session.volume_given_ml is None


def test_a_short_infusion_with_a_reason_is_closed_as_stopped_early(cast: Any) -> None:
    session = running_session(cast)
    assert session.started_at is not None
    session = services.session_record_given(
        session=session,
        user=cast.nina,
        version=session.version,
        volume_given_ml=20,
        cells_given=3e7,
        ended_at=session.started_at + dt.timedelta(minutes=25),
        early_stop_reason="Cannula tissued; no further access.",
    )
    assert session.status == SessionStatus.STOPPED_EARLY
    assert "25 min" in session.stop_reason and "Cannula tissued" in session.stop_reason


def test_a_stopping_rule_hit_after_an_early_stop_opens_an_event_but_keeps_the_record(cast: Any) -> None:
    session = running_session(cast)
    assert session.started_at is not None
    ended = session.started_at + dt.timedelta(minutes=25)
    session = services.session_record_given(
        session=session,
        user=cast.nina,
        version=session.version,
        volume_given_ml=20,
        cells_given=3e7,
        ended_at=ended,
        early_stop_reason="Rigors.",
    )
    result = services.vitals_record(session=session, user=cast.nina, values={"urticaria": True})
    assert not result.stopped and result.adverse_event is not None
    session.refresh_from_db()
    assert session.status == SessionStatus.STOPPED_EARLY and session.ended_at == ended


def test_an_infusion_at_exactly_the_minimum_completes(cast: Any) -> None:
    session = running_session(cast)
    assert session.started_at is not None
    session = services.session_record_given(
        session=session,
        user=cast.nina,
        version=session.version,
        volume_given_ml=50,
        cells_given=8e7,
        ended_at=session.started_at + dt.timedelta(minutes=60),
    )
    assert session.status == SessionStatus.COMPLETED


def test_an_interruption_does_not_count_as_infusion_time(cast: Any) -> None:
    session = running_session(cast)
    session = services.session_interrupt(
        session=session, user=cast.nina, version=session.version, reason="pump"
    )
    interruption = session.interruptions.get()
    interruption.started_at = timezone.now() - STARTED_AGO + dt.timedelta(minutes=10)
    interruption.save()
    session = services.session_resume(session=session, user=cast.nina, version=session.version)
    # 90 min since the start, of which about 80 paused: shorter than 60 min of infusion.
    with pytest.raises(ValidationError, match="minimum is 60 min"):
        services.session_record_given(
            session=session, user=cast.nina, version=session.version, volume_given_ml=50, cells_given=8e7
        )


def test_an_end_in_the_future_is_refused(cast: Any) -> None:
    session = running_session(cast)
    with pytest.raises(ValidationError) as exc:
        services.session_record_given(
            session=session,
            user=cast.nina,
            version=session.version,
            volume_given_ml=50,
            cells_given=8e7,
            ended_at=timezone.now() + dt.timedelta(hours=2),
        )
    assert "ended_at" in exc.value.message_dict


def test_the_database_refuses_a_session_stopped_early_without_a_reason(cast: Any) -> None:
    session = running_session(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        AdministrationSession.objects.filter(pk=session.pk).update(
            status=SessionStatus.STOPPED_EARLY, ended_at=timezone.now(), volume_given_ml=10
        )


def test_the_database_refuses_an_end_before_the_start(cast: Any) -> None:
    session = running_session(cast)
    assert session.started_at is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        AdministrationSession.objects.filter(pk=session.pk).update(
            ended_at=session.started_at - dt.timedelta(minutes=1)
        )


def test_the_database_refuses_vitals_taken_after_they_were_recorded(cast: Any) -> None:
    session = running_session(cast)
    vitals = services.vitals_record(session=session, user=cast.nina, values={"spo2_pct": 95}).vitals
    with pytest.raises(IntegrityError), transaction.atomic():
        VitalSigns.objects.filter(pk=vitals.pk).update(taken_at=FAR_FUTURE)


def test_the_database_refuses_an_adverse_event_onset_after_its_report(cast: Any) -> None:
    session = running_session(cast)
    event = services.adverse_event_report(
        session=session, user=cast.nina, term="Fever", onset_at=timezone.now()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        AdverseEvent.objects.filter(pk=event.pk).update(onset_at=FAR_FUTURE)


def test_off_schedule_reason_reaches_the_audit_trail(cast: Any) -> None:
    from stromal.audit.models import AuditEvent

    session = _scheduled(cast, 2)
    services.session_authorise_off_schedule(
        session=session, physician=cast.alice, version=session.version, reason=OFF_SCHEDULE_REASON
    )
    event = AuditEvent.objects.get(action="session_off_schedule")
    assert event.reason == OFF_SCHEDULE_REASON
