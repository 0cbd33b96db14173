"""A patient ready for treatment (approved, accepted plan) and sessions up to each step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from stromal.administrations import services
from stromal.administrations.models import AdministrationSession
from stromal.patients.models import Patient
from stromal.plans.models import TreatmentPlan
from stromal.plans.services import (
    consent_record,
    decision_record,
    eligibility_override,
    meeting_record,
    plan_draft,
)
from tests.pathway.factories import CLINIC, approve, make_check, make_patient, protocol
from tests.products.factories import released_lot

BASELINE: dict[str, Any] = {
    "fio2": 0.4,
    "peep_cmh2o": 5.0,
    "support": "niv",
    "spo2_pct": 93,
    "heart_rate_bpm": 96,
    "systolic_bp_mmhg": 118,
    "diastolic_bp_mmhg": 72,
    "respiratory_rate_per_min": 22,
    "temperature_c": 37.4,
}
OFF_SCHEDULE_REASON = "Test: given today, the day the test runs."


#: The factories' course runs in the recent past, in order: meeting, consent, thaw, start.
MEETING_AGO = dt.timedelta(hours=4)
CONSENT_AGO = dt.timedelta(hours=3)
THAWED_AGO = dt.timedelta(minutes=100)
STARTED_AGO = dt.timedelta(minutes=90)


def accepted(cast: Any, plan: TreatmentPlan) -> TreatmentPlan:
    meeting_record(
        plan=plan,
        user=cast.alice,
        held_at=timezone.now() - MEETING_AGO,
        physicians=[cast.alice, cast.bob],
        options_discussed=["conventional", plan.arm_name],
    )
    consent = consent_record(
        plan=plan,
        user=cast.alice,
        given_by="Test Person",
        given_at=timezone.now() - CONSENT_AGO,
        witness_name="Wendy Witness",
        information_sheet_version="PIS v2.1",
    )
    decision_record(plan=plan, user=cast.alice, decision="accept", consent=consent)
    return plan


def drafted_plan(cast: Any, code: str = CLINIC, patient: Patient | None = None) -> TreatmentPlan:
    check = make_check(cast, code, patient)
    if not check.proceed:
        eligibility_override(check=check, user=cast.alice, reason="criteria reviewed by the team")
    arm = next(a for a in protocol(code).to_protocol().arms if not a.is_control)
    return plan_draft(check=check, user=cast.dora, arm_name=arm.name)


def ready_plan(cast: Any, code: str = CLINIC, mrn: str = "MRN-0001") -> TreatmentPlan:
    patient = make_patient(cast.cora, mrn)
    return accepted(cast, approve(cast, drafted_plan(cast, code, patient)))


def product_type_for(plan: TreatmentPlan) -> str:
    arm = plan.protocol_version.to_protocol().arm(plan.arm_name)
    assert arm.product is not None
    return arm.product.value


def allocated_session(
    cast: Any, plan: TreatmentPlan | None = None, sequence: int = 1
) -> AdministrationSession:
    plan = plan or ready_plan(cast)
    session = services.sessions_schedule(plan=plan, user=cast.nina)[sequence - 1]
    lot = released_lot(cast.luke, product_type=product_type_for(plan))
    session = services.session_allocate(session=session, lot=lot, user=cast.luke, version=session.version)
    return due_now(cast, session)


def due_now(cast: Any, session: AdministrationSession) -> AdministrationSession:
    """The session may be given now (thawed and started in the recent past): it is scheduled
    today, or Dr Alice documents why not."""
    now = timezone.now()
    if all(services.in_window(session, at) for at in (now - THAWED_AGO, now - STARTED_AGO, now)):
        return session
    return services.session_authorise_off_schedule(
        session=session, physician=cast.alice, version=session.version, reason=OFF_SCHEDULE_REASON
    )


def checked_session(cast: Any, plan: TreatmentPlan | None = None, sequence: int = 1) -> AdministrationSession:
    session = allocated_session(cast, plan, sequence)
    session = services.session_prepare(
        session=session, user=cast.nina, version=session.version, thawed_at=timezone.now() - THAWED_AGO
    )
    assert session.product is not None
    din = session.product.din + session.product.din_check
    for checker in (cast.nina, cast.alice):
        result = services.identity_check(
            session=session,
            user=checker,
            version=session.version,
            patient_identifier=session.patient.mrn,
            product_identifier=din,
        )
        assert result.matched, result.problems
        session = result.session
    return session


def running_session(cast: Any, plan: TreatmentPlan | None = None, sequence: int = 1) -> AdministrationSession:
    session = checked_session(cast, plan, sequence)
    return services.session_start(
        session=session,
        user=cast.nina,
        version=session.version,
        baseline=BASELINE,
        started_at=timezone.now() - STARTED_AGO,
    )
