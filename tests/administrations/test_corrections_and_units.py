"""Issue #8 classes 3 and 7 through the services: every vasopressor unit reaches the protocol's
stopping rules, and a regrade or a changed amount needs a reason kept in the record's history."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from stromal.administrations import services
from stromal.administrations.models import AdverseEvent, SessionStatus
from stromal.administrations.selectors import record_history
from stromal.clinical.protocol import builtin_protocols
from stromal.plans.models import TreatmentPlan
from stromal.protocols.models import definition_from_protocol
from stromal.protocols.services import protocol_add_version
from tests.administrations.factories import ready_plan, running_session
from tests.pathway.factories import START

pytestmark = pytest.mark.django_db

LANZONI = "lanzoni-like-single-iv"


def _lanzoni_protocol(cast: Any) -> None:
    start = next(p for p in builtin_protocols() if p.code == START)
    definition = definition_from_protocol(start)
    definition.update(code=LANZONI, title="Lanzoni-like stopping rules", stopping_rules="lanzoni")
    protocol_add_version(user=cast.ada, definition=definition)


def _weighing(plan: TreatmentPlan, weight_kg: float | None) -> TreatmentPlan:
    TreatmentPlan.objects.filter(pk=plan.pk).update(weight_kg=weight_kg)
    plan.refresh_from_db()
    return plan


def test_epinephrine_15_ug_min_in_a_91_kg_patient_stops_a_start_like_infusion(cast: Any) -> None:
    session = running_session(cast, _weighing(ready_plan(cast, START), 91.4))
    assert session.weight_kg == 91.4
    result = services.vitals_record(session=session, user=cast.nina, values={"epinephrine_ug_min": 15})
    assert result.stopped and result.adverse_event is not None
    assert result.adverse_event.stopping_rule_ids == ["start.vasopressor.epinephrine"]
    assert result.vitals.values == {"epinephrine_ug_min": 15}  # stored as entered


def test_epinephrine_0_164_ug_kg_min_in_a_91_kg_patient_stops_a_lanzoni_infusion(cast: Any) -> None:
    _lanzoni_protocol(cast)
    session = running_session(cast, _weighing(ready_plan(cast, LANZONI), 91.4))
    result = services.vitals_record(session=session, user=cast.nina, values={"epinephrine_ug_kg_min": 0.164})
    assert result.stopped and result.adverse_event is not None
    assert result.adverse_event.stopping_rule_ids == ["lanzoni.vasopressor.epinephrine"]


def test_a_dose_needing_a_weight_is_refused_when_the_plan_and_examination_have_none(cast: Any) -> None:
    from stromal.examinations.models import Observation

    plan = _weighing(ready_plan(cast, START), None)
    Observation.objects.filter(encounter=plan.encounter, key="weight_kg").update(current=False)
    session = running_session(cast, plan)
    assert session.weight_kg is None
    with pytest.raises(ValidationError) as exc:
        services.vitals_record(session=session, user=cast.nina, values={"epinephrine_ug_min": 15})
    assert "epinephrine_ug_min" in exc.value.message_dict and "body weight" in str(exc.value)
    assert not session.vitals.exists()
    # In the rules' own unit the same dose needs no weight, and it stops the infusion.
    result = services.vitals_record(session=session, user=cast.nina, values={"epinephrine_ug_kg_min": 0.164})
    assert result.stopped


def test_the_weight_falls_back_to_the_examination_when_the_plan_has_none(cast: Any) -> None:
    session = running_session(cast, _weighing(ready_plan(cast, START), None))
    assert session.weight_kg == 80  # the Day 1 examination's weight


def test_a_time_point_outside_the_protocols_schedule_is_refused(cast: Any) -> None:
    session = running_session(cast)
    for minute in (2147483648, -5, 7):
        with pytest.raises(ValidationError) as exc:
            services.vitals_record(
                session=session, user=cast.nina, values={"spo2_pct": 95}, scheduled_minute=minute
            )
        assert "scheduled_minute" in exc.value.message_dict
    assert not session.vitals.exists()


def _graded(cast: Any) -> AdverseEvent:
    session = running_session(cast)
    event = services.adverse_event_report(
        session=session, user=cast.nina, term="Fever", onset_at=timezone.now()
    )
    return services.adverse_event_grade(
        event=event,
        physician=cast.alice,
        version=event.version,
        ctcae_grade=1,
        serious=False,
        seriousness_criteria=[],
        relatedness="possible",
        outcome="recovered",
        action_taken="none",
    )


def _regrade(cast: Any, event: AdverseEvent, reason: str) -> AdverseEvent:
    return services.adverse_event_grade(
        event=event,
        physician=cast.bob,
        version=event.version,
        ctcae_grade=2,
        serious=False,
        seriousness_criteria=[],
        relatedness="probable",
        outcome="recovered",
        action_taken="treated",
        reason=reason,
    )


def test_regrading_an_adverse_event_needs_a_reason(cast: Any) -> None:
    event = _graded(cast)
    with pytest.raises(ValidationError) as exc:
        _regrade(cast, event, "   ")
    assert exc.value.message_dict["reason"] == [services.REGRADE_NEEDS_REASON]
    event.refresh_from_db()
    assert event.ctcae_grade == 1


def test_a_regrade_and_its_reason_are_in_the_events_history(cast: Any) -> None:
    event = _regrade(cast, _graded(cast), "Needed paracetamol: grade 2.")
    history = record_history(event)
    assert [h.action for h in history] == ["Reported", "Graded", "Regraded"]
    assert (
        history[-1].reason == "Needed paracetamol: grade 2." and history[-1].actor_username == "Dr Bob Brown"
    )
    assert history[-1].changes["ctcae grade"] == (1, 2)


def _completed(cast: Any) -> Any:
    session = running_session(cast)
    return services.session_record_given(
        session=session, user=cast.nina, version=session.version, volume_given_ml=50, cells_given=8e7
    )


def test_the_amount_given_is_recorded_once_and_then_only_corrected(cast: Any) -> None:
    session = _completed(cast)
    with pytest.raises(ValidationError, match="correct it with a reason"):
        services.session_record_given(
            session=session, user=cast.nina, version=session.version, volume_given_ml=40, cells_given=6e7
        )


def test_changing_the_amount_given_needs_a_reason_and_shows_it_in_the_history(cast: Any) -> None:
    session = _completed(cast)
    kwargs: dict[str, Any] = dict(volume_given_ml=45, cells_given=7.2e7, particles_given=None)
    with pytest.raises(ValidationError) as exc:
        services.session_correct_given(
            session=session, user=cast.nina, version=session.version, reason="", **kwargs
        )
    assert "reason" in exc.value.message_dict
    session = services.session_correct_given(
        session=session, user=cast.nina, version=session.version, reason="Pump log: 45 mL ran.", **kwargs
    )
    assert session.volume_given_ml == 45 and session.status == SessionStatus.COMPLETED
    last = record_history(session)[-1]
    assert last.action == "Amount given corrected" and last.reason == "Pump log: 45 mL ran."
    assert last.changes["volume given ml"] == (50.0, 45)
