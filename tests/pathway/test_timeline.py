"""The timeline is a pure function of the course facts."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from stromal.pathway.timeline import BLOCKED, CURRENT, DONE, SKIPPED, CourseFacts, Step, build_timeline

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
REGISTERED = CourseFacts(patient_id=1, registered_at=T0, requested_at=T0 - dt.timedelta(days=2))
EXAMINED = replace(
    REGISTERED, examination_id=5, examination_status="open", examination_at=T0, examination_has_results=True
)
CHECKED = replace(EXAMINED, eligibility_id=7, eligible=True, eligibility_at=T0)
PLANNED = replace(
    CHECKED, plan_id=9, plan_status="draft", plan_at=T0, protocol_label="clinic v1.0 · ucmsc_iv"
)
MET = replace(PLANNED, meeting_at=T0)


def _states(facts: CourseFacts) -> dict[str, str]:
    return {s.code: s.state for s in build_timeline(facts).steps}


def test_a_new_patient_waits_for_the_examination_to_be_scheduled() -> None:
    timeline = build_timeline(REGISTERED)
    assert timeline.current is not None and timeline.current.code == "examination"
    assert timeline.next_action == "Schedule the Day 1 examination"


def test_a_patient_registered_without_a_request_skips_that_step() -> None:
    assert _states(replace(REGISTERED, requested_at=None))["request"] == SKIPPED


def test_results_in_progress_make_the_examination_current() -> None:
    timeline = build_timeline(EXAMINED)
    assert timeline.current is not None and timeline.current.code == "examination"
    assert timeline.current.link == ("examinations:detail", 5)


def test_unmet_eligibility_blocks_the_course_until_an_override() -> None:
    blocked = replace(CHECKED, eligible=False)
    assert _states(blocked)["eligibility"] == BLOCKED
    assert "override" in build_timeline(blocked).next_action
    assert _states(replace(blocked, eligibility_overridden=True))["eligibility"] == DONE


def test_after_the_plan_the_meeting_then_signatures_then_the_decision_come_next() -> None:
    assert build_timeline(PLANNED).current.code == "meeting"  # type: ignore[union-attr]
    one_signature = replace(MET, signature_count=1)
    assert build_timeline(one_signature).next_action == "Sign the plan (second physician)"
    approved = replace(MET, plan_status="approved", signature_count=2, approved_at=T0)
    assert build_timeline(approved).current.code == "decision"  # type: ignore[union-attr]
    accepted = replace(approved, decision="accept", decision_at=T0, consent_at=T0)
    assert build_timeline(accepted).ended


def test_a_declined_plan_ends_the_course_and_skips_what_is_left() -> None:
    declined = replace(PLANNED, decision="decline", decision_at=T0)
    states = _states(declined)
    assert states["decision"] == DONE and states["signatures"] == SKIPPED
    assert build_timeline(declined).ended


def test_only_one_step_is_current() -> None:
    states = list(_states(PLANNED).values())
    assert states.count(CURRENT) == 1


def test_more_steps_can_be_appended_by_later_parts_of_the_pathway() -> None:
    from stromal.pathway.timeline import PATHWAY_STEPS

    def administration(f: CourseFacts) -> Step:
        done = bool(f.extra.get("administered"))
        return Step(
            "administration", "Day 2 administration", DONE if done else "upcoming", action="Administer"
        )

    accepted = replace(
        MET, plan_status="approved", signature_count=2, approved_at=T0, decision="accept", decision_at=T0
    )
    timeline = build_timeline(accepted, [*PATHWAY_STEPS, administration])
    assert timeline.current is not None and timeline.current.code == "administration"
    assert build_timeline(
        replace(accepted, extra={"administered": True}), [*PATHWAY_STEPS, administration]
    ).ended
