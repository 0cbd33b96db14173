"""Once the first administration has started, the plan's arm and dose are fixed; a change is a
new revision with a reason and two new signatures, and never rewrites what was given (issue #8)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from stromal.administrations import services as admin_services
from stromal.administrations.models import AdministrationSession, SessionStatus
from stromal.audit.models import AuditEvent
from stromal.pathway.selectors import patient_timeline
from stromal.plans.models import PlanStatus, TreatmentPlan
from stromal.plans.selectors import current_decision, ready_for_treatment, valid_consent
from stromal.plans.services import (
    EDIT_NEEDS_REASON,
    PLAN_LOCKED_AFTER_START,
    PLAN_SUPERSEDED,
    REVISED_PLAN_NOT_IN_FORCE,
    REVISION_BEFORE_START,
    REVISION_PENDING,
    plan_revise,
    plan_sign,
    plan_update,
    plan_withdraw,
)
from tests.administrations.factories import ready_plan, running_session
from tests.followup.factories import _complete_course, _discharge

pytestmark = pytest.mark.django_db

REASON = "Day-2 infusion reaction: no further cell doses; conventional treatment from now on."


def _treated_and_discharged(cast: Any) -> TreatmentPlan:
    plan = ready_plan(cast)
    _complete_course(cast, plan)
    _discharge(cast, plan)
    plan.refresh_from_db()
    return plan


def _sign_twice(cast: Any, plan: TreatmentPlan) -> TreatmentPlan:
    for physician in (cast.alice, cast.bob):
        plan_sign(plan=plan, physician=physician, password=cast.password, version=plan.version)
    plan.refresh_from_db()
    return plan


def test_switching_the_arm_after_two_doses_and_discharge_is_refused(cast: Any) -> None:
    plan = _treated_and_discharged(cast)
    with pytest.raises(ValidationError) as refused:
        plan_update(
            plan=plan, user=cast.alice, version=plan.version, reason="switch", arm_name="conventional"
        )
    assert refused.value.messages == [PLAN_LOCKED_AFTER_START]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.arm_name == "ucmsc_iv"
    assert plan.dose["n_administrations"] == 2
    timeline = patient_timeline(plan.patient)
    steps = {s.code: s for s in timeline.steps}
    assert steps["signatures"].state == "done" and steps["decision"].state == "done"
    assert "awaiting" not in timeline.next_action.lower() and "Sign the plan" not in timeline.next_action


def test_even_the_notes_of_a_plan_under_treatment_are_changed_by_a_revision(cast: Any) -> None:
    plan = ready_plan(cast)
    running_session(cast, plan, 1)
    with pytest.raises(ValidationError) as refused:
        plan_update(plan=plan, user=cast.alice, version=plan.version, reason="typo", notes="new notes")
    assert refused.value.messages == [PLAN_LOCKED_AFTER_START]


def test_a_revision_is_a_new_plan_that_leaves_the_one_in_force_until_two_physicians_sign(cast: Any) -> None:
    plan = _treated_and_discharged(cast)
    revision = plan_revise(
        plan=plan, user=cast.dora, version=plan.version, reason=REASON, arm_name="conventional"
    )
    plan.refresh_from_db()
    assert revision.pk != plan.pk and revision.supersedes_id == plan.pk and revision.revision == 2
    assert revision.status == PlanStatus.DRAFT and revision.change_reason == REASON
    assert revision.dose["control"] is True and revision.start_date == plan.start_date
    assert plan.status == PlanStatus.APPROVED  # still in force
    assert AuditEvent.objects.filter(action="revise", object_id=str(revision.pk), reason=REASON).exists()

    timeline = patient_timeline(plan.patient)
    steps = {s.code: s for s in timeline.steps}
    assert steps["signatures"].state == "done" and steps["decision"].state == "done"
    assert steps["administrations"].state == "done" and steps["administrations"].detail.startswith("2 of 2")
    assert steps["discharge"].state == "done"
    assert steps["revision"].state == "current" and REASON in steps["revision"].detail
    assert timeline.next_action.startswith("Sign the plan revision")


def test_two_signatures_put_the_revision_in_force_and_what_was_given_stays(cast: Any) -> None:
    plan = _treated_and_discharged(cast)
    given = list(
        AdministrationSession.objects.filter(plan=plan).values_list(
            "pk", "status", "cells_given", "volume_given_ml"
        )
    )
    revision = plan_revise(
        plan=plan, user=cast.dora, version=plan.version, reason=REASON, arm_name="conventional"
    )
    _sign_twice(cast, revision)
    plan.refresh_from_db()
    assert revision.status == PlanStatus.APPROVED and plan.status == PlanStatus.SUPERSEDED
    assert plan.arm_name == "ucmsc_iv" and plan.dose["n_administrations"] == 2  # never rewritten
    assert (
        list(
            AdministrationSession.objects.filter(plan=plan).values_list(
                "pk", "status", "cells_given", "volume_given_ml"
            )
        )
        == given
    )
    # The patient's accept and consent on revision 1 carry over.
    decision = current_decision(revision)
    assert decision is not None and decision.decision == "accept"
    assert valid_consent(revision) is not None and ready_for_treatment(revision)

    timeline = patient_timeline(plan.patient)
    steps = {s.code: s for s in timeline.steps}
    assert steps["signatures"].state == "done" and steps["decision"].state == "done"
    assert steps["administrations"].state == "done"
    assert "2 of 2 done, then conventional treatment only" in steps["administrations"].detail
    assert steps["discharge"].state == "done" and steps["revision"].state == "done"
    assert "approval" not in timeline.next_action.lower()
    assert AuditEvent.objects.filter(action="supersede", object_id=str(plan.pk), reason=REASON).exists()


def test_a_superseded_plan_cannot_change(cast: Any) -> None:
    plan = _treated_and_discharged(cast)
    _sign_twice(
        cast,
        plan_revise(plan=plan, user=cast.dora, version=plan.version, reason=REASON, arm_name="conventional"),
    )
    plan.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        plan_update(plan=plan, user=cast.alice, version=plan.version, reason="x", arm_name="ucmsc_iv")
    assert refused.value.messages == [PLAN_SUPERSEDED]


def test_approving_a_revision_cancels_the_administrations_not_yet_started(cast: Any) -> None:
    plan = ready_plan(cast)
    session = running_session(cast, plan, 1)
    admin_services.session_record_given(
        session=session, user=cast.nina, version=session.version, volume_given_ml=50, cells_given=8e7
    )
    second = AdministrationSession.objects.get(plan=plan, sequence=2)
    assert second.status == SessionStatus.SCHEDULED
    _sign_twice(
        cast,
        plan_revise(plan=plan, user=cast.dora, version=plan.version, reason=REASON, arm_name="conventional"),
    )
    second.refresh_from_db()
    session.refresh_from_db()
    assert second.status == SessionStatus.CANCELLED
    assert session.status == SessionStatus.COMPLETED and session.cells_given == 8e7


def test_a_revision_needs_a_reason(cast: Any) -> None:
    plan = _treated_and_discharged(cast)
    with pytest.raises(ValidationError) as refused:
        plan_revise(plan=plan, user=cast.alice, version=plan.version, reason="  ", arm_name="conventional")
    assert refused.value.message_dict == {"reason": [EDIT_NEEDS_REASON]}


def test_a_plan_not_yet_started_is_changed_not_revised(cast: Any) -> None:
    plan = ready_plan(cast)
    with pytest.raises(ValidationError) as refused:
        plan_revise(plan=plan, user=cast.alice, version=plan.version, reason=REASON, arm_name="conventional")
    assert refused.value.messages == [REVISION_BEFORE_START]


def test_only_one_revision_awaits_signatures_at_a_time(cast: Any) -> None:
    plan = _treated_and_discharged(cast)
    plan_revise(plan=plan, user=cast.alice, version=plan.version, reason=REASON, arm_name="conventional")
    with pytest.raises(ValidationError) as refused:
        plan_revise(plan=plan, user=cast.bob, version=plan.version, reason="again", arm_name="conventional")
    assert refused.value.messages == [REVISION_PENDING]


def test_the_database_refuses_a_revision_without_a_reason(cast: Any) -> None:
    plan = _treated_and_discharged(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentPlan.objects.create(
            patient=plan.patient,
            protocol_version=plan.protocol_version,
            arm_name="conventional",
            encounter=plan.encounter,
            eligibility_check=plan.eligibility_check,
            start_date=plan.start_date,
            sex=plan.sex,
            drafted_by=cast.alice,
            supersedes=plan,
            revision=2,
            change_reason="",
        )


def test_the_plan_page_shows_the_revision_and_its_reason(cast: Any) -> None:
    plan = _treated_and_discharged(cast)
    client = Client()
    client.force_login(cast.alice)
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert (
        reverse("plans:revise", args=[plan.pk]) in page and reverse("plans:edit", args=[plan.pk]) not in page
    )
    response = client.post(
        reverse("plans:revise", args=[plan.pk]),
        {"version": plan.version, "arm_name": "conventional", "notes": "", "reason": REASON},
    )
    revision = TreatmentPlan.objects.get(supersedes=plan)
    assert response.status_code == 302 and response["Location"] == reverse("plans:detail", args=[revision.pk])
    page = client.get(reverse("plans:detail", args=[revision.pk])).content.decode()
    assert REASON in page and "revision 2" in page
    assert REASON in client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert REASON in client.get(reverse("pathway:patient", args=[plan.patient_id])).content.decode()


def test_changing_a_plan_under_treatment_through_the_page_says_why_not(cast: Any) -> None:
    plan = _treated_and_discharged(cast)
    client = Client()
    client.force_login(cast.alice)
    response = client.post(
        reverse("plans:edit", args=[plan.pk]),
        {"version": plan.version, "arm_name": "conventional", "notes": "", "reason": "switch"},
    )
    assert response.status_code == 400
    assert "arm and dose cannot change" in response.content.decode()


def test_a_revision_of_a_plan_withdrawn_meanwhile_cannot_be_signed(cast: Any) -> None:
    plan = _treated_and_discharged(cast)
    revision = plan_revise(
        plan=plan, user=cast.dora, version=plan.version, reason=REASON, arm_name="conventional"
    )
    plan_withdraw(plan=plan, user=cast.bob, version=plan.version, reason="patient left the study")
    with pytest.raises(ValidationError) as refused:
        plan_sign(plan=revision, physician=cast.alice, password=cast.password, version=revision.version)
    assert refused.value.messages == [REVISED_PLAN_NOT_IN_FORCE.format(status="Withdrawn")]
