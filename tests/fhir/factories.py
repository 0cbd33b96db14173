"""A whole course through the services: examination, plan, two administrations with vitals and an
adverse event, discharge, a completed and a missed follow-up visit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from stromal.administrations import services as admin_services
from stromal.followup import services as followup_services
from stromal.followup.models import FollowUpVisit
from stromal.patients.models import Patient
from stromal.plans.models import TreatmentPlan
from tests.administrations.factories import ready_plan, running_session
from tests.followup.factories import complete_with_instruments


def full_course(cast: Any, mrn: str = "MRN-0001") -> Patient:
    plan = ready_plan(cast, mrn=mrn)
    for sequence in (1, 2):
        session = running_session(cast, plan, sequence)
        admin_services.vitals_record(
            session=session,
            user=cast.nina,
            values={
                "heart_rate_bpm": 96.0,
                "spo2_pct": 94.0,
                "systolic_bp_mmhg": 118,
                "diastolic_bp_mmhg": 70,
            },
        )
        if sequence == 1:
            event = admin_services.adverse_event_report(
                session=session, user=cast.nina, term="Fever", onset_at=timezone.now(), description="38.4 °C"
            )
            admin_services.adverse_event_grade(
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
        session.refresh_from_db()
        admin_services.session_record_given(
            session=session, user=cast.nina, version=session.version, volume_given_ml=50, cells_given=8e7
        )
    # Day 0 200 days ago (as tests/followup do), so the first visits' windows have come.
    TreatmentPlan.objects.filter(pk=plan.pk).update(start_date=timezone.localdate() - dt.timedelta(days=200))
    plan.refresh_from_db()
    followup_services.discharge_record(
        plan=plan,
        physician=cast.alice,
        discharged_at=timezone.now(),
        examination_findings="Chest clear; SpO2 95 % on air",
        summary="Two UC-MSC infusions.",
    )
    first, second = FollowUpVisit.objects.filter(plan=plan).order_by("target_date")[:2]
    complete_with_instruments(first, cast.nina)
    followup_services.visit_mark_missed(
        visit=second, user=cast.cora, version=second.version, reason="Not reachable after three calls"
    )
    return plan.patient
