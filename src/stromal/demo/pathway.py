"""The synthetic demo cohort for the first half of the care pathway.

Everything here is invented (``random.Random(DEMO_SEED)``) and marked
synthetic: consultation requests in the triage queue, and on each of the
three shipped protocols one patient at every step from "examination
scheduled" to "plan accepted with consent" (and one who declined). Two
demo-only physicians sign the approved plans through the normal signing
service (their random passwords are known only while they are created and
are kept with the other demo logins). Idempotent: a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from stromal.accounts.models import Site, User
from stromal.accounts.roles import Role
from stromal.demo.users import DEMO_WARNING, demo_username, ensure_demo_site
from stromal.examinations.models import Encounter
from stromal.examinations.services import encounter_close, encounter_schedule, observations_record
from stromal.intake.models import ConsultationRequest
from stromal.intake.services import request_submit, request_transition
from stromal.patients.models import Patient
from stromal.patients.services import patient_create, related_person_add
from stromal.plans.models import TreatmentPlan
from stromal.plans.services import (
    consent_record,
    decision_record,
    eligibility_check,
    eligibility_override,
    meeting_record,
    plan_draft,
    plan_sign,
)
from stromal.protocols.models import ProtocolVersion
from stromal.protocols.services import protocols_load_builtin

DEMO_SEED = 20261122
SIGNERS = (("demo-dr-adams", "Dr Ada Adams (synthetic)"), ("demo-dr-brown", "Dr Ben Brown (synthetic)"))
FIRST_NAMES = ["Alex", "Sam", "Robin", "Kim", "Jo", "Lee", "Max", "Noa", "Pat", "Ren", "Tay", "Uma"]
LAST_NAMES = ["Synth", "Mock", "Sample", "Fictive", "Testa", "Placebo", "Proxy", "Model", "Dummy", "Demo"]

# Stages, in pathway order; each patient stops at one of them.
STAGES = (
    "scheduled",
    "results_partial",
    "examined",
    "eligibility_checked",
    "plan_drafted",
    "one_signature",
    "approved_deferred",
    "accepted",
    "declined",
)

# Day 1 values that meet each protocol's criteria (varied a little by the seed).
BASE_VALUES: dict[str, dict[str, Any]] = {
    "clinic-ucmsc-iv-2day": {
        "support": "hfno",
        "hfno_flow_l_min": 50,
        "pao2_mmhg": 72,
        "fio2": 0.45,
        "spo2_pct": 91,
        "bilateral_opacities": True,
        "onset_within_7_days": True,
        "edema_explained_by_cardiac_or_fluid": False,
        "chest_xray_quadrants": 3,
    },
    "start-like-single-iv": {
        "support": "invasive",
        "peep_cmh2o": 10,
        "pao2_mmhg": 85,
        "fio2": 0.6,
        "spo2_pct": 93,
        "bilateral_opacities": True,
        "onset_within_7_days": True,
        "edema_explained_by_cardiac_or_fluid": False,
        "chest_xray_quadrants": 4,
        "hours_since_ards_onset": 30,
        "compliance_ml_per_cmh2o": 28,
        "mean_airway_pressure_cmh2o": 18,
    },
    "msc-exosome-inhaled-5day": {
        "support": "conventional_o2",
        "pao2_mmhg": 68,
        "fio2": 0.35,
        "spo2_pct": 92,
        "covid_confirmed": True,
        "ground_glass_opacities": True,
        "bilateral_opacities": True,
        "onset_within_7_days": True,
        "edema_explained_by_cardiac_or_fluid": False,
    },
}


def _lab_values(rng: random.Random) -> dict[str, Any]:
    return {
        "crp_mg_dl": round(rng.uniform(4, 20), 1),
        "il6_pg_ml": round(rng.uniform(10, 150), 0),
        "ferritin_ng_ml": round(rng.uniform(300, 2500), 0),
        "d_dimer_ng_ml": round(rng.uniform(500, 4000), 0),
        "ldh_u_l": round(rng.uniform(250, 700), 0),
        "lymphocytes_pct": round(rng.uniform(5, 20), 1),
        "neutrophils_10e3_per_ul": round(rng.uniform(4, 14), 1),
        "platelets_10e3_per_ul": round(rng.uniform(90, 350), 0),
        "bilirubin_mg_dl": round(rng.uniform(0.4, 2.5), 1),
        "creatinine_mg_dl": round(rng.uniform(0.6, 2.2), 2),
    }


def _vitals(rng: random.Random) -> dict[str, Any]:
    return {
        "temperature_c": round(rng.uniform(37.0, 39.2), 1),
        "heart_rate_bpm": rng.randint(80, 120),
        "respiratory_rate_per_min": rng.randint(20, 34),
        "systolic_bp_mmhg": rng.randint(100, 140),
        "diastolic_bp_mmhg": rng.randint(60, 85),
        "map_mmhg": rng.randint(70, 95),
        "weight_kg": round(rng.uniform(55, 105), 1),
        "gcs": 15,
        "mmrc_grade": rng.randint(2, 4),
    }


def _user(role: Role) -> User:
    return User.objects.get(username=demo_username(role))


def _ensure_signers(site: Site) -> dict[str, str] | None:
    """Create the two demo signing physicians; their passwords if created now, else None."""
    if User.objects.filter(username__in=[u for u, _ in SIGNERS]).count() == len(SIGNERS):
        return None
    passwords: dict[str, str] = {}
    for username, printed in SIGNERS:
        password = secrets.token_urlsafe(12)
        user, _created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": Role.PHYSICIAN.value,
                "site": site,
                "printed_name": printed,
                "last_name": printed,
            },
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        passwords[username] = password
    credentials = settings.VAR_DIR / "demo-credentials.txt"
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    with credentials.open("a", encoding="utf-8") as fh:
        fh.write("\n".join([DEMO_WARNING, *[f"{u}  {p}" for u, p in passwords.items()]]) + "\n")
    credentials.chmod(0o600)
    print("Demo signing physicians (also in var/demo-credentials.txt):")
    for username, password in passwords.items():
        print(f"  {username:<20} {password}")
    return passwords


def _requests(site: Site, rng: random.Random, coordinator: User) -> None:
    plan = ["new"] * 4 + ["contacted"] * 2 + ["scheduled", "declined"]
    for i, status in enumerate(plan):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} (synthetic)"
        request = request_submit(
            site=site,
            full_name=name,
            contact_method="email" if i % 2 == 0 else "phone",
            email=f"demo{i}@example.invalid" if i % 2 == 0 else "",
            phone="" if i % 2 == 0 else f"+00 000 000 {i:03d}",
            condition="Synthetic demo request: breathless after a severe lung infection.",
            sender_address=f"demo-{i}",
        )
        assert request is not None
        ConsultationRequest.objects.filter(pk=request.pk).update(synthetic=True)
        request.refresh_from_db()
        path = {"contacted": ["contacted"], "scheduled": ["contacted", "scheduled"], "declined": ["declined"]}
        for step in path.get(status, []):
            reason = "Synthetic: condition outside the clinic's scope" if step == "declined" else ""
            when = timezone.now() + dt.timedelta(days=2) if step == "scheduled" else None
            request_transition(
                request=request,
                user=coordinator,
                to_status=step,
                version=request.version,
                reason=reason,
                scheduled_for=when,
            )


def _patient_at(
    *, n: int, code: str, stage: str, rng: random.Random, users: dict[str, User], passwords: dict[str, str]
) -> None:
    coordinator, physician = users["coordinator"], users["physician"]
    adams, brown = users["adams"], users["brown"]
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 45))
    patient = patient_create(
        user=coordinator,
        mrn=f"DEMO-{n:04d}",
        given_name=rng.choice(FIRST_NAMES),
        family_name=f"{rng.choice(LAST_NAMES)} (synthetic)",
        sex=rng.choice(["female", "male"]),
        date_of_birth=birth,
        height_cm=float(rng.randint(155, 190)),
        synthetic=True,
        confirm_duplicate=True,  # random synthetic names and birth dates may repeat
    )
    relative = related_person_add(
        patient=patient,
        user=coordinator,
        name=f"{rng.choice(FIRST_NAMES)} Kin (synthetic)",
        relationship=rng.choice(["spouse", "daughter", "son"]),
    )
    # Day 1 of the demo course: 9 to 12 hours ago, so that the meeting (+1 h), consent (+2 h)
    # and a demo administration started 5 h ago keep the pathway's order and none lies in
    # the future, whatever the time of day the demo is loaded.
    when = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=9 + rng.randint(0, 3))
    # The synthetic patient was registered before that examination (an examination is never
    # booked before the registration: stromal.examinations.services.encounter_schedule).
    Patient.objects.filter(pk=patient.pk).update(created_at=when - dt.timedelta(hours=1))
    patient.refresh_from_db()
    encounter: Encounter = encounter_schedule(patient=patient, user=coordinator, scheduled_for=when)
    if stage == "scheduled":
        return
    observations_record(
        encounter=encounter, user=users["nurse"], values=_vitals(rng), version=encounter.version
    )
    if stage == "results_partial":
        return
    values = {**BASE_VALUES[code], **_lab_values(rng)}
    observations_record(encounter=encounter, user=users["lab"], values=values, version=encounter.version)
    encounter_close(encounter=encounter, user=physician, version=encounter.version)
    if stage == "examined":
        return
    protocol = ProtocolVersion.objects.filter(code=code).latest("created_at", "id")
    check = eligibility_check(encounter=encounter, protocol_version=protocol, user=physician)
    if not check.proceed:
        eligibility_override(
            check=check, user=physician, reason="Synthetic demo: criteria reviewed by two physicians"
        )
    if stage == "eligibility_checked":
        return
    arm = next(a.name for a in protocol.to_protocol().arms if not a.is_control)
    plan: TreatmentPlan = plan_draft(check=check, user=physician, arm_name=arm, notes="Synthetic demo plan.")
    if stage == "plan_drafted":
        return
    meeting = meeting_record(
        plan=plan,
        user=physician,
        held_at=when + dt.timedelta(hours=1),
        physicians=[adams, brown],
        options_discussed=[arm, "conventional"],
        family_members=[relative],
    )
    if stage == "declined":
        decision_record(
            plan=plan,
            user=coordinator,
            decision="decline",
            meeting=meeting,
            notes="Prefers conventional treatment only.",
        )
        return
    plan_sign(plan=plan, physician=adams, password=passwords[adams.username], version=plan.version)
    if stage == "one_signature":
        return
    plan_sign(plan=plan, physician=brown, password=passwords[brown.username], version=plan.version)
    if stage == "approved_deferred":
        decision_record(
            plan=plan, user=coordinator, decision="defer", meeting=meeting, notes="Wants to talk with family."
        )
        return
    consent = consent_record(
        plan=plan,
        user=coordinator,
        given_by=patient.full_name,
        given_at=when + dt.timedelta(hours=2),
        witness_name=f"{relative.name}",
        information_sheet_version="IS-DEMO-1.0",
    )
    decision_record(plan=plan, user=coordinator, decision="accept", consent=consent, meeting=meeting)


def load_pathway() -> None:
    """Load the demo requests and patients once (needs the demo logins of ``ensure_demo_users``)."""
    site = ensure_demo_site()
    if Patient.objects.filter(site=site, mrn="DEMO-0001").exists():
        print("Demo pathway cohort already loaded.")
        return
    with transaction.atomic():
        protocols_load_builtin()
        passwords = _ensure_signers(site)
        if passwords is None:
            print("Demo signing physicians exist but the cohort does not; skipping the cohort.")
            return
        rng = random.Random(DEMO_SEED)
        users = {
            "coordinator": _user(Role.COORDINATOR),
            "physician": _user(Role.PHYSICIAN),
            "nurse": _user(Role.NURSE),
            "lab": _user(Role.LAB),
            "adams": User.objects.get(username=SIGNERS[0][0]),
            "brown": User.objects.get(username=SIGNERS[1][0]),
        }
        _requests(site, rng, users["coordinator"])
        n = 0
        for code in BASE_VALUES:
            for stage in STAGES:
                n += 1
                _patient_at(n=n, code=code, stage=stage, rng=rng, users=users, passwords=passwords)
    print(f"Demo pathway cohort loaded: 8 consultation requests, {n} synthetic patients on 3 protocols.")
