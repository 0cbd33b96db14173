from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from stromal.audit.locking import STALE_EDIT
from stromal.audit.models import AuditEvent
from stromal.patients.services import related_person_add
from stromal.plans.models import PlanSignature, PlanStatus, TreatmentPlan
from stromal.plans.selectors import active_signatures, current_decision, ready_for_treatment
from stromal.plans.services import (
    ACCEPT_NEEDS_CONSENT,
    ALREADY_SIGNED,
    CONVENTIONAL_NOT_DISCUSSED,
    NOT_ELIGIBLE,
    OVERRIDE_NEEDS_REASON,
    WRONG_PASSWORD,
    consent_record,
    decision_record,
    eligibility_check,
    eligibility_override,
    meeting_record,
    plan_draft,
    plan_sign,
    plan_update,
)
from tests.pathway.factories import (
    CLINIC,
    EXOSOME,
    START,
    approve,
    make_check,
    make_examination,
    make_patient,
    make_plan,
    protocol,
)

pytestmark = pytest.mark.django_db


def test_eligibility_lists_unmet_and_missing_criteria(cast: Any) -> None:
    check = make_check(cast, START)
    statuses = {r["code"]: r["status"] for r in check.results}
    assert statuses["intubated"] == "unmet"  # on high-flow oxygen, not intubated
    assert statuses["within_96h"] == "missing"  # hours since onset not recorded
    assert statuses["pf_below_200"] == "met"
    assert check.eligible is False
    assert not check.proceed


def test_the_clinic_protocol_finds_the_day1_patient_eligible(cast: Any) -> None:
    check = make_check(cast, CLINIC)
    assert check.eligible is True
    assert {r["status"] for r in check.results} == {"met"}
    assert check.inputs["pf_ratio"] == 175.0


def test_an_override_needs_a_reason(cast: Any) -> None:
    check = make_check(cast, START)
    with pytest.raises(ValidationError, match=OVERRIDE_NEEDS_REASON):
        eligibility_override(check=check, user=cast.alice, reason="  ")
    eligibility_override(check=check, user=cast.alice, reason="onset documented in referral letter")
    check.refresh_from_db()
    assert check.proceed and check.overridden_by == cast.alice


def test_the_database_refuses_an_override_without_reason(cast: Any) -> None:
    check = make_check(cast, START)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(check).objects.filter(pk=check.pk).update(override=True)


def test_it_refuses_a_plan_without_eligibility_or_override(cast: Any) -> None:
    check = make_check(cast, START)
    with pytest.raises(ValidationError, match=NOT_ELIGIBLE):
        plan_draft(check=check, user=cast.alice, arm_name="bmmsc_iv")


def test_the_dose_is_computed_from_the_recorded_weight(cast: Any) -> None:
    plan = make_plan(cast, CLINIC, "ucmsc_iv")
    assert plan.weight_kg == 80
    assert plan.dose["total_cells"] == pytest.approx(80e6)
    assert plan.dose["n_administrations"] == 2
    assert plan.protocol_version.in_use


def test_the_start_dose_uses_predicted_body_weight(cast: Any) -> None:
    check = make_check(cast, START)
    eligibility_override(check=check, user=cast.alice, reason="onset 30 h per referral")
    plan = plan_draft(check=check, user=cast.dora, arm_name=protocol(START).to_protocol().arms[-1].name)
    # ARDSNet PBW, female 165 cm: 45.5 + 0.91 × (165 − 152.4) = 56.966 kg
    assert plan.dose["dosing_weight_kg"] == pytest.approx(56.966, abs=1e-3)
    assert plan.dose["total_cells"] == pytest.approx(10e6 * 56.966, rel=1e-4)


def test_the_exosome_dose_is_in_particles(cast: Any) -> None:
    patient = make_patient(cast.cora, "MRN-EXO")
    encounter = make_examination(
        cast, patient, {"covid_confirmed": True, "pao2_mmhg": 70, "fio2": 0.4, "weight_kg": 70}
    )
    check = eligibility_check(encounter=encounter, protocol_version=protocol(EXOSOME), user=cast.alice)
    if not check.proceed:
        eligibility_override(check=check, user=cast.alice, reason="criteria reviewed")
    arm = next(a for a in protocol(EXOSOME).to_protocol().arms if not a.is_control)
    plan = plan_draft(check=check, user=cast.dora, arm_name=arm.name)
    assert plan.dose["dose_particles"] == pytest.approx(2e8)
    assert plan.dose["n_administrations"] == 5


def test_two_distinct_physicians_approve_a_plan(cast: Any) -> None:
    plan = make_plan(cast)
    plan_sign(plan=plan, physician=cast.alice, password=cast.password, version=plan.version)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    plan_sign(plan=plan, physician=cast.bob, password=cast.password, version=plan.version)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    signature = active_signatures(plan).first()
    assert signature is not None
    assert signature.printed_name == "Dr Alice Adams" and signature.meaning == "approved treatment plan"


def test_a_physician_cannot_sign_the_same_plan_twice(cast: Any) -> None:
    plan = make_plan(cast)
    plan_sign(plan=plan, physician=cast.alice, password=cast.password, version=plan.version)
    with pytest.raises(ValidationError, match=ALREADY_SIGNED):
        plan_sign(plan=plan, physician=cast.alice, password=cast.password, version=plan.version)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_the_database_refuses_a_second_active_signature_by_the_same_physician(cast: Any) -> None:
    plan = make_plan(cast)
    plan_sign(plan=plan, physician=cast.alice, password=cast.password, version=plan.version)
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanSignature.objects.create(
            plan=plan, signer=cast.alice, printed_name="x", plan_version=plan.version
        )


def test_the_database_refuses_an_approved_plan_without_two_distinct_signers(cast: Any) -> None:
    plan = make_plan(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentPlan.objects.filter(pk=plan.pk).update(
            status=PlanStatus.APPROVED, approved_at=timezone.now()
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentPlan.objects.filter(pk=plan.pk).update(
            status=PlanStatus.APPROVED,
            approved_at=timezone.now(),
            first_signer=cast.alice,
            second_signer=cast.alice,
        )


def test_signing_needs_the_password_again(cast: Any) -> None:
    plan = make_plan(cast)
    with pytest.raises(ValidationError, match=WRONG_PASSWORD):
        plan_sign(plan=plan, physician=cast.alice, password="not-my-password", version=plan.version)
    assert not plan.signatures.exists()


def test_a_nurse_cannot_sign_a_plan(cast: Any) -> None:
    plan = make_plan(cast)
    with pytest.raises(PermissionDenied):
        plan_sign(plan=plan, physician=cast.nina, password=cast.password, version=plan.version)


def test_a_physician_of_another_site_cannot_sign(cast: Any) -> None:
    plan = make_plan(cast)
    with pytest.raises(Http404):
        plan_sign(plan=plan, physician=cast.oscar, password=cast.password, version=plan.version)


def test_editing_a_signed_plan_voids_its_signatures(cast: Any) -> None:
    plan = approve(cast, make_plan(cast))
    plan_update(plan=plan, user=cast.alice, version=plan.version, reason="notes corrected", notes="new notes")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert plan.first_signer is None and plan.second_signer is None
    assert not active_signatures(plan).exists()
    assert plan.signatures.filter(void_reason__contains="edited").count() == 2
    # the same two physicians can sign the new version again
    approve(cast, plan)
    assert plan.is_approved


def test_signing_a_changed_plan_is_refused_as_stale(cast: Any) -> None:
    plan = make_plan(cast)
    opened_version = plan.version
    plan_update(plan=plan, user=cast.bob, version=plan.version, reason="arm", notes="x")
    with pytest.raises(ValidationError, match=STALE_EDIT):
        plan_sign(plan=plan, physician=cast.alice, password=cast.password, version=opened_version)


def test_concurrent_plan_edits_refuse_the_second(cast: Any) -> None:
    plan = make_plan(cast)
    first = TreatmentPlan.objects.get(pk=plan.pk)
    second = TreatmentPlan.objects.get(pk=plan.pk)
    plan_update(plan=first, user=cast.alice, version=first.version, reason="a", notes="alice's note")
    with pytest.raises(ValidationError, match=STALE_EDIT):
        plan_update(plan=second, user=cast.bob, version=second.version, reason="b", notes="bob's note")
    assert TreatmentPlan.objects.get(pk=plan.pk).notes == "alice's note"


def test_an_accept_decision_needs_consent(cast: Any) -> None:
    plan = approve(cast, make_plan(cast))
    with pytest.raises(ValidationError, match=ACCEPT_NEEDS_CONSENT):
        decision_record(plan=plan, user=cast.alice, decision="accept")
    consent = consent_record(
        plan=plan,
        user=cast.cora,
        given_by="Test Person",
        given_at=timezone.now(),
        witness_name="Nina Novak",
        information_sheet_version="IS-2.1",
    )
    decision_record(plan=plan, user=cast.alice, decision="accept", consent=consent)
    assert ready_for_treatment(plan)


def test_the_database_refuses_an_accept_without_consent(cast: Any) -> None:
    from stromal.plans.models import PatientDecision

    plan = make_plan(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientDecision.objects.create(plan=plan, plan_version=1, decision="accept", recorded_by=cast.alice)


def test_decline_and_defer_need_no_consent_and_editing_makes_a_decision_stale(cast: Any) -> None:
    plan = make_plan(cast)
    decision_record(plan=plan, user=cast.cora, decision="defer")
    assert current_decision(plan) is not None
    plan_update(plan=plan, user=cast.alice, version=plan.version, reason="dose review", notes="n")
    assert current_decision(plan) is None


def test_the_meeting_must_discuss_conventional_treatment(cast: Any) -> None:
    plan = make_plan(cast)
    relative = related_person_add(patient=plan.patient, user=cast.cora, name="Sam Person", relationship="son")
    with pytest.raises(ValidationError, match=CONVENTIONAL_NOT_DISCUSSED):
        meeting_record(
            plan=plan,
            user=cast.alice,
            held_at=timezone.now(),
            physicians=[cast.alice, cast.bob],
            options_discussed=["ucmsc_iv"],
        )
    meeting = meeting_record(
        plan=plan,
        user=cast.alice,
        held_at=timezone.now(),
        physicians=[cast.alice, cast.bob],
        options_discussed=["ucmsc_iv", "conventional"],
        family_members=[relative],
    )
    assert set(meeting.physicians.all()) == {cast.alice, cast.bob}
    assert list(meeting.family_members.all()) == [relative]


def test_plan_changes_are_audited_with_old_and_new(cast: Any) -> None:
    plan = make_plan(cast)
    plan_update(plan=plan, user=cast.alice, version=plan.version, reason="typo", notes="fixed")
    event = AuditEvent.objects.filter(object_type="plans.treatmentplan", action="update").get()
    assert event.changes["notes"] == ["", "fixed"]
    assert event.reason == "typo" and event.actor == cast.alice
    assert event.patient_id_at_event == plan.patient_id
