"""A synthetic registry built straight into the tables, with every date chosen by the test.

The services refuse dates in the future and keep the pathway in order, which is right for
writes; the read side needs courses whose day 0, deaths and last contacts the test fixes
(years back, for the survival curves), so these rows are created directly, as the
benchmark's loader does. Each patient is one course: Day 1 examination with its stored
assessment, eligibility, an approved plan accepted with consent, administrations,
discharge and the protocol's follow-up calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from stdnum.iso7064 import mod_37_2

from stromal.accounts.models import Site
from stromal.administrations.models import AdministrationSession, AdverseEvent, VitalSigns
from stromal.examinations.models import Assessment, Encounter, Observation
from stromal.followup.models import Discharge, FollowUpVisit
from stromal.followup.schedule import visit_windows
from stromal.patients.models import Patient
from stromal.plans.models import Consent, EligibilityCheck, PatientDecision, TreatmentPlan
from stromal.products.models import ProductLot
from tests.pathway.factories import CLINIC, protocol

TODAY = dt.date(2026, 11, 30)


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)), dt.UTC)


@dataclass
class Course:
    """What one synthetic patient went through (days count from day 0)."""

    mrn: str
    day0: dt.date
    sex: str = "female"
    born: dt.date = dt.date(1960, 3, 1)
    protocol_code: str = CLINIC
    arm: str | None = "ucmsc_iv"  # None: examined, never planned
    berlin: tuple[bool | None, str | None] = (True, "moderate")
    aetiology: str | None = "pneumonia_viral"
    administrations: int = 2
    discharge_day: int | None = 3
    died_day: int | None = None
    last_contact_day: int | None = None  # a closed follow-up encounter on that day
    fvc_pct: Sequence[tuple[int, float]] = ()  # (day, FVC % predicted) at follow-up encounters
    adverse: Sequence[dict[str, Any]] = ()  # extra adverse events, fields of AdverseEvent
    given_name: str = "Zelda"
    family_name: str = "Quartermain"
    visits_done_until: int | None = None  # visits whose target is at or before this day are completed
    extra: dict[str, Any] = field(default_factory=dict)


def follow_up_fvc(
    patient: Patient, when: dt.datetime, value: float, *, closed_by: Any, recorded_by: Any
) -> Encounter:
    """A closed follow-up encounter at ``when`` with an FVC of ``value`` % predicted."""
    encounter = Encounter.objects.create(
        patient=patient,
        kind="follow_up",
        status="closed",
        scheduled_for=when,
        opened_at=when,
        closed_at=when,
        closed_by=closed_by,
    )
    Observation.objects.create(
        encounter=encounter,
        key="fvc_pct_predicted",
        value_number=value,
        unit="% predicted",
        recorded_by=recorded_by,
    )
    return encounter


def make_course(cast: Any, course: Course, site: Site | None = None) -> Patient:
    site = site or cast.alice.site
    doc, doc2, nurse = cast.alice, cast.bob, cast.nina
    pv = protocol(course.protocol_code)
    patient = Patient.objects.create(
        site=site,
        mrn=course.mrn,
        given_name=course.given_name,
        family_name=course.family_name,
        sex=course.sex,
        date_of_birth=course.born,
        height_cm=165.0,
        email=f"{course.mrn.lower()}@example.org",
        phone="+44 20 7946 0000",
    )
    day0 = at(course.day0)
    exam = Encounter.objects.create(
        patient=patient, status="closed", scheduled_for=day0, opened_at=day0, closed_at=day0, closed_by=doc
    )
    values: dict[str, Any] = {"pao2_mmhg": 72.0, "fio2": 0.45, "weight_kg": 80.0}
    for key, value in values.items():
        Observation.objects.create(encounter=exam, key=key, value_number=value, unit="", recorded_by=nurse)
    if course.aetiology:
        Observation.objects.create(
            encounter=exam, key="ards_risk_factor", value_text=course.aetiology, recorded_by=nurse
        )
    meets, severity = course.berlin
    Assessment.objects.create(
        encounter=exam,
        sequence=1,
        rules_version="2026.11.2",
        inputs=values,
        results={
            "pf_ratio": 160.0,
            "berlin": {"meets": meets, "severity": severity},
            "global_definition": {"meets": meets, "severity": severity, "category": "intubated"},
        },
    )
    check = EligibilityCheck.objects.create(
        patient=patient,
        encounter=exam,
        protocol_version=pv,
        inputs={},
        results=[],
        eligible=True,
        checked_by=doc,
    )
    if course.arm is not None:
        plan = TreatmentPlan.objects.create(
            patient=patient,
            protocol_version=pv,
            arm_name=course.arm,
            encounter=exam,
            eligibility_check=check,
            start_date=course.day0,
            status="approved",
            sex=course.sex,
            height_cm=165.0,
            weight_kg=80.0,
            drafted_by=doc,
            approved_at=day0,
            first_signer=doc,
            second_signer=doc2,
        )
        consent = Consent.objects.create(
            plan=plan,
            given_by="Synthetic patient",
            given_at=day0,
            witness_name="Synthetic witness",
            information_sheet_version="PIS v1",
            recorded_by=doc,
        )
        PatientDecision.objects.create(
            plan=plan, plan_version=1, decision="accept", consent=consent, recorded_by=doc
        )
        for seq in range(1, course.administrations + 1):
            start = at(course.day0 + dt.timedelta(days=seq), 10)
            body = f"T0001{patient.pk % 100:02d}{patient.pk * 10 + seq:06d}"[:13]
            lot = ProductLot.objects.create(
                site=site,
                din=body,
                din_check=mod_37_2.calc_check_digit(body),
                product_code="S1234",
                product_type="uc_msc",
                donor_code=f"DONOR-{seq}",
                volume_ml=50.0,
                viability_pct=92.0,
                cell_count=1e8,
                sterility="no_growth",
                mycoplasma="negative",
                endotoxin_eu_per_ml=0.1,
                expires_at=start + dt.timedelta(days=30),
                status="administered",
                released_by=cast.luke,
                released_at=start - dt.timedelta(days=2),
            )
            session = AdministrationSession.objects.create(
                patient=patient,
                plan=plan,
                sequence=seq,
                protocol_day=seq,
                scheduled_date=start.date(),
                route="iv",
                status="completed",
                product=lot,
                prepared_at=start - dt.timedelta(minutes=20),
                prepared_by=nurse,
                first_checker=nurse,
                second_checker=doc,
                started_at=start,
                started_by=nurse,
                ended_at=start + dt.timedelta(hours=2),
                volume_given_ml=50.0,
                cells_given=8e7,
            )
            VitalSigns.objects.create(
                session=session,
                scheduled_minute=15,
                minutes_since_start=15,
                taken_at=start + dt.timedelta(minutes=15),
                recorded_by=nurse,
                values={"spo2_pct": 94, "heart_rate_bpm": 88},
            )
        if course.discharge_day is not None:
            Discharge.objects.create(
                patient=patient,
                plan=plan,
                discharged_at=at(course.day0 + dt.timedelta(days=course.discharge_day), 15),
                discharged_by=doc,
                examination_findings="Synthetic: chest clear.",
                summary="Synthetic course.",
            )
            for win in visit_windows(plan.start_date, pv.to_protocol().follow_up):
                done = course.visits_done_until is not None and win.day_offset <= course.visits_done_until
                FollowUpVisit.objects.create(
                    patient=patient,
                    plan=plan,
                    code=win.code,
                    name=win.name,
                    day_offset=win.day_offset,
                    target_date=win.target_date,
                    window_start=win.window_start,
                    window_end=win.window_end,
                    status="completed" if done else "scheduled",
                    completed_on=win.target_date if done else None,
                    completed_by=cast.cora if done else None,
                )
    for day, value in course.fvc_pct:
        follow_up_fvc(
            patient, at(course.day0 + dt.timedelta(days=day), 11), value, closed_by=doc, recorded_by=nurse
        )
    if course.last_contact_day is not None:
        when = at(course.day0 + dt.timedelta(days=course.last_contact_day), 12)
        Encounter.objects.create(
            patient=patient,
            kind="follow_up",
            status="closed",
            scheduled_for=when,
            opened_at=when,
            closed_at=when,
            closed_by=doc,
        )
    if course.died_day is not None:
        onset = at(course.day0 + dt.timedelta(days=course.died_day), 8)
        AdverseEvent.objects.create(
            patient=patient,
            term="Respiratory failure",
            onset_at=onset,
            ctcae_grade=5,
            graded_by=doc,
            graded_at=onset,
            serious=True,
            seriousness_criteria=["death"],
            relatedness="unrelated",
            outcome="fatal",
            expedited_review=True,
            reported_by=nurse,
        )
    for fields in course.adverse:
        graded = {"graded_by": doc} if fields.get("ctcae_grade") else {}
        AdverseEvent.objects.create(patient=patient, reported_by=nurse, **graded, **fields)
    return patient


def make_cohort(cast: Any, courses: Sequence[Course], site: Site | None = None) -> list[Patient]:
    return [make_course(cast, c, site) for c in courses]


#: Five patients whose Kaplan-Meier estimate is worked by hand in tests/outcomes/test_survival.py:
#: deaths on days 10 and 20, censored on days 15, 30 and 30.
KM_DAY0 = dt.date(2024, 1, 10)
KM_COURSES = (
    Course("KM-1", KM_DAY0, died_day=10, discharge_day=None, administrations=1),
    Course("KM-2", KM_DAY0, last_contact_day=15, discharge_day=None, administrations=1),
    Course("KM-3", KM_DAY0, died_day=20, discharge_day=None, administrations=1),
    Course("KM-4", KM_DAY0, last_contact_day=30, discharge_day=None, administrations=1),
    Course("KM-5", KM_DAY0, last_contact_day=30, discharge_day=None, administrations=1),
)
