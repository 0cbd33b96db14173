"""The second half of the timeline: administrations, discharge, follow-up (pure rules)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from stromal.followup.steps import COURSE_STEPS
from stromal.pathway.timeline import PATHWAY_STEPS, CourseFacts, PlanRevisionFact, build_timeline

T0 = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
ACCEPTED = CourseFacts(
    patient_id=7,
    registered_at=T0,
    examination_id=1,
    examination_status="closed",
    examination_at=T0,
    examination_has_results=True,
    eligibility_id=1,
    eligible=True,
    eligibility_at=T0,
    plan_id=3,
    plan_status="approved",
    plan_at=T0,
    signature_count=2,
    approved_at=T0,
    meeting_at=T0,
    consent_at=T0,
    decision="accept",
    decision_at=T0,
)
RULES = [*PATHWAY_STEPS, *COURSE_STEPS]


def _session(seq: int, status: str, **kw: Any) -> dict[str, Any]:
    base = {
        "id": 10 + seq,
        "sequence": seq,
        "day": seq,
        "date": f"2026-03-0{seq + 1}",
        "status": status,
        "has_product": True,
        "awaiting_confirmation": False,
        "given": status == "completed",
    }
    return {**base, **kw}


def _with(**extra: Any) -> CourseFacts:
    return replace(ACCEPTED, extra={"n_administrations": 2, **extra})


def test_after_acceptance_the_next_action_is_to_schedule_the_administrations() -> None:
    timeline = build_timeline(_with(), RULES)
    assert timeline.current is not None and timeline.current.code == "administrations"
    assert "Schedule" in timeline.next_action


def test_a_session_without_a_unit_asks_the_lab_to_allocate_one() -> None:
    timeline = build_timeline(_with(sessions=[_session(1, "scheduled", has_product=False)]), RULES)
    assert "Allocate a released unit" in timeline.next_action and timeline.current.roles == ("lab",)  # type: ignore[union-attr]


def test_a_prepared_session_asks_for_the_two_person_identity_check() -> None:
    facts = _with(sessions=[_session(1, "completed"), _session(2, "prepared")])
    assert "identity check by two people" in build_timeline(facts, RULES).next_action


def test_an_unconfirmed_stop_blocks_until_a_physician_confirms() -> None:
    facts = _with(sessions=[_session(1, "stopped", awaiting_confirmation=True), _session(2, "scheduled")])
    timeline = build_timeline(facts, RULES)
    assert timeline.current is not None and timeline.current.state == "blocked"
    assert timeline.current.roles == ("physician",)


def test_after_both_days_the_discharge_comes_next_then_follow_up() -> None:
    done = [_session(1, "completed"), _session(2, "completed")]
    assert build_timeline(_with(sessions=done), RULES).current.code == "discharge"  # type: ignore[union-attr]
    discharged = _with(
        sessions=done,
        discharge_at=T0,
        visits_total=8,
        visits_closed=0,
        next_visit={
            "name": "Day 28",
            "window_start": "2026-03-26",
            "window_end": "2026-04-05",
            "overdue": True,
        },
    )
    timeline = build_timeline(discharged, RULES)
    assert timeline.current is not None and timeline.current.code == "followup"
    assert "Day 28" in timeline.next_action and "OVERDUE" in timeline.next_action


def test_a_course_with_every_visit_closed_has_ended() -> None:
    done = [_session(1, "completed"), _session(2, "completed")]
    facts = _with(sessions=done, discharge_at=T0, visits_total=8, visits_closed=8)
    assert build_timeline(facts, RULES).ended


def _revised(status: str) -> CourseFacts:
    revision = PlanRevisionFact(
        plan_id=4,
        revision=2,
        arm_name="conventional",
        status=status,
        reason="no further cell doses",
        at=T0,
        approved_at=T0 if status == "approved" else None,
        signature_count=1 if status == "draft" else 2,
    )
    given = [_session(1, "completed"), _session(2, "completed")]
    facts = _with(sessions=given, discharge_at=T0, visits_total=8, visits_closed=0)
    return replace(facts, revisions=(revision,), plan_is_control=status == "approved")


def test_a_pending_revision_is_the_next_action_and_keeps_what_was_done() -> None:
    timeline = build_timeline(_revised("draft"), RULES)
    states = {s.code: s.state for s in timeline.steps}
    assert timeline.current is not None and timeline.current.code == "revision"
    assert (
        "1 of 2 signatures" in timeline.current.detail and "no further cell doses" in timeline.current.detail
    )
    assert (
        states["signatures"]
        == states["decision"]
        == states["administrations"]
        == states["discharge"]
        == "done"
    )


def test_a_revision_to_conventional_in_force_keeps_the_doses_given() -> None:
    timeline = build_timeline(_revised("approved"), RULES)
    steps = {s.code: s for s in timeline.steps}
    assert steps["revision"].state == "done"
    assert steps["administrations"].state == "done"
    assert steps["administrations"].detail.startswith("2 of 2 done, then conventional treatment only")
    assert timeline.current is not None and timeline.current.code == "followup"


def test_a_course_without_revisions_has_no_revision_step() -> None:
    assert "revision" not in {s.code for s in build_timeline(_with(), RULES).steps}
