"""Builders for pathway tests: a patient, a Day 1 examination, a plan, through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from stromal.examinations.models import Encounter
from stromal.examinations.services import encounter_schedule, observations_record
from stromal.patients.models import Patient
from stromal.patients.services import patient_create
from stromal.plans.models import EligibilityCheck, TreatmentPlan
from stromal.plans.services import eligibility_check, plan_draft, plan_sign
from stromal.protocols.models import ProtocolVersion
from stromal.protocols.services import protocols_load_builtin

CLINIC = "clinic-ucmsc-iv-2day"
START = "start-like-single-iv"
EXOSOME = "msc-exosome-inhaled-5day"

# An adult with bilateral opacities and P/F 175 mmHg, not cardiogenic: eligible for the clinic protocol.
DAY1_VALUES: dict[str, Any] = {
    "weight_kg": 80,
    "temperature_c": 38.2,
    "heart_rate_bpm": 104,
    "spo2_pct": 91,
    "pao2_mmhg": 70,
    "fio2": 0.4,
    "support": "hfno",
    "hfno_flow_l_min": 50,
    "bilateral_opacities": True,
    "onset_within_7_days": True,
    "edema_explained_by_cardiac_or_fluid": False,
    "chest_xray_quadrants": 3,
    "crp_mg_dl": 12.0,
    "il6_pg_ml": 80.0,
    "platelets_10e3_per_ul": 180,
}


def protocol(code: str = CLINIC) -> ProtocolVersion:
    protocols_load_builtin()
    return ProtocolVersion.objects.filter(code=code).latest("created_at", "id")


def make_patient(user: Any, mrn: str = "MRN-0001", **kwargs: Any) -> Patient:
    fields: dict[str, Any] = {
        "given_name": "Test",
        "family_name": "Person",
        "sex": "female",
        "date_of_birth": dt.date(1970, 5, 17),
        "height_cm": 165.0,
        # Factory patients share a name and birth date but are different people (tests/patients/test_duplicates.py).
        "confirm_duplicate": True,
    }
    fields.update(kwargs)
    return patient_create(user=user, mrn=mrn, **fields)


def make_examination(cast: Any, patient: Patient, values: dict[str, Any] | None = None) -> Encounter:
    encounter = encounter_schedule(patient=patient, user=cast.cora, scheduled_for=timezone.now())
    observations_record(
        encounter=encounter, user=cast.alice, values=values or DAY1_VALUES, version=encounter.version
    )
    encounter.refresh_from_db()
    return encounter


def make_check(cast: Any, code: str = CLINIC, patient: Patient | None = None) -> EligibilityCheck:
    patient = patient or make_patient(cast.cora)
    encounter = make_examination(cast, patient)
    return eligibility_check(encounter=encounter, protocol_version=protocol(code), user=cast.alice)


def make_plan(
    cast: Any, code: str = CLINIC, arm: str = "ucmsc_iv", patient: Patient | None = None
) -> TreatmentPlan:
    """A draft plan, drafted by Dr Dora Drafter so that Alice and Bob can sign it (the
    drafter never signs: segregation of duties)."""
    check = make_check(cast, code, patient)
    return plan_draft(check=check, user=cast.dora, arm_name=arm)


def approve(cast: Any, plan: TreatmentPlan) -> TreatmentPlan:
    plan_sign(plan=plan, physician=cast.alice, password=cast.password, version=plan.version)
    plan_sign(plan=plan, physician=cast.bob, password=cast.password, version=plan.version)
    plan.refresh_from_db()
    return plan


ROLES = ("physician", "nurse", "coordinator", "lab", "monitor", "investigator", "admin", "anonymous")
CAST_BY_ROLE = {
    "physician": "alice",
    "nurse": "nina",
    "coordinator": "cora",
    "lab": "luke",
    "monitor": "mona",
    "investigator": "ivan",
    "admin": "ada",
}


def client_for(client: Any, cast: Any, role: str) -> Any:
    """A test client signed in as the cast member holding ``role`` (or anonymous)."""
    if role != "anonymous":
        client.force_login(getattr(cast, CAST_BY_ROLE[role]))
    return client


def expected(role: str, allowed: tuple[str, ...], ok: int = 200) -> int:
    if role == "anonymous":
        return 302
    return ok if role in allowed else 403
