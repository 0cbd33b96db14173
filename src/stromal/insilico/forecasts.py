"""The per-patient forecast on the plan page: read the patient's Day-1 values, run the model's
forecast (``stromal.model.forecast``) on the background worker, keep it per examination version.

Who: physicians and investigators of the plan's site (:data:`FORECAST_ROLES`). When: the plan's
examination is a closed Day-1 examination. The result names the model version and the effective
sample size; outside the virtual population's support it says ``NO_COMPARABLE`` instead of a number.
"""

from __future__ import annotations

import functools
import time
import traceback
from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.audit.services import audit_record
from stromal.examinations.models import Assessment, Encounter, EncounterKind, EncounterStatus, Observation
from stromal.insilico.models import PlanForecast, RunStatus
from stromal.plans.models import TreatmentPlan

FORECAST_ROLES = (Role.PHYSICIAN, Role.INVESTIGATOR)

NOT_CLOSED = "The forecast needs the closed Day-1 examination of the plan (it is {status})."
MISSING = "The forecast needs {what} at the Day-1 examination."

#: The registry's ARDS risk factors (``examinations.fields.ARDS_RISK_FACTORS``) the model's three
#: aetiologies stand for; any other risk factor is not used for weighting (the forecast says so).
AETIOLOGY_OF_RISK_FACTOR: dict[str, str] = {
    "pneumonia_viral": "viral",
    "pneumonia_bacterial": "sepsis",
    "pneumonia_other": "sepsis",
    "sepsis_non_pulmonary": "sepsis",
    "major_trauma": "trauma",
    "pulmonary_contusion": "trauma",
}


class ForecastUnavailableError(ValueError):
    """The plan's patient cannot be forecast (no closed examination or a missing value)."""


def patient_values(plan: TreatmentPlan) -> dict[str, Any]:
    """The values the forecast conditions on, from the plan's closed Day-1 examination.

    Returns ``stromal.model.forecast.PatientValues`` fields as plain data.

    Raises:
        ForecastUnavailableError: not a closed Day-1 examination, or P/F, age, sex or weight missing.
    """
    encounter: Encounter = plan.encounter
    if encounter.kind != EncounterKind.EXAMINATION or encounter.status != EncounterStatus.CLOSED:
        raise ForecastUnavailableError(NOT_CLOSED.format(status=encounter.get_status_display().lower()))
    observed = {
        o.key: (o.value_number if o.value_number is not None else o.value_text)
        for o in Observation.objects.filter(encounter=encounter, current=True)
    }
    assessment = Assessment.objects.filter(encounter=encounter).order_by("-sequence").first()
    pf = (assessment.results or {}).get("pf_ratio") if assessment is not None else None
    if pf is None and observed.get("pao2_mmhg") and observed.get("fio2"):
        pf = float(observed["pao2_mmhg"]) / float(observed["fio2"])
    age = observed.get("age_years")
    if age is None:
        age = plan.patient.age_years_on(encounter.scheduled_for.date())
    sex = plan.sex or observed.get("sex") or plan.patient.sex
    weight = plan.weight_kg or observed.get("weight_kg")
    for what, value in (("a P/F ratio (PaO2 and FiO2)", pf), ("the weight", weight), ("the sex", sex)):
        if value is None or value == "":
            raise ForecastUnavailableError(MISSING.format(what=what))
    crp_mg_dl = observed.get("crp_mg_dl")
    return {
        "pf_ratio_mmhg": float(pf),  # type: ignore[arg-type]
        "age_years": float(age),
        "sex_male": sex == "male",
        "weight_kg": float(weight),  # type: ignore[arg-type]
        "aetiology": AETIOLOGY_OF_RISK_FACTOR.get(str(observed.get("ards_risk_factor", ""))),
        "spo2_pct": _number(observed.get("spo2_pct")),
        "hours_since_onset": _number(observed.get("hours_since_ards_onset")),
        "il6_pg_ml": _number(observed.get("il6_pg_ml")),
        "crp_mg_l": None if crp_mg_dl is None else float(crp_mg_dl) * 10.0,
    }


def _number(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


def forecast_current(plan: TreatmentPlan) -> PlanForecast | None:
    """The forecast of the plan's examination, protocol version and arm as they stand now (None: not
    asked for yet, or asked for before the plan moved to another arm)."""
    return PlanForecast.objects.filter(
        plan=plan,
        encounter_id=plan.encounter_id,
        encounter_version=plan.encounter.version,
        protocol_version_id=plan.protocol_version_id,
        arm_name=plan.arm_name,
    ).first()


@transaction.atomic
def forecast_request(*, plan: TreatmentPlan, user: User, enqueue: bool = True) -> PlanForecast:
    """Ask for the forecast of the plan's examination version (once; a second ask returns the first).

    Raises:
        ForecastUnavailableError: see :func:`patient_values`.
    """
    patient_values(plan)
    forecast, created = PlanForecast.objects.get_or_create(
        plan=plan,
        encounter_id=plan.encounter_id,
        encounter_version=plan.encounter.version,
        protocol_version_id=plan.protocol_version_id,
        arm_name=plan.arm_name,
        defaults={"requested_by": user},
    )
    if created:
        audit_record(
            actor=user,
            action="forecast_requested",
            instance=forecast,
            changes={
                "plan": [None, plan.pk],
                "encounter": [None, plan.encounter_id],
                "encounter_version": [None, forecast.encounter_version],
            },
            # Not a change to the patient's record (no patient_id): a locked casebook can still be forecast.
            site_id=plan.patient.site_id,
        )
        if enqueue:
            from stromal.insilico.tasks import run_forecast_task

            pk = forecast.pk
            transaction.on_commit(lambda: run_forecast_task.enqueue(pk))
    return forecast


@functools.cache
def _reference(model_version: str, n: int, seed: int) -> Any:
    """The reference population, once per worker process and model version (a few seconds)."""
    from stromal.model.forecast import reference_population

    return reference_population(n, seed)


def forecast_execute(*, forecast_id: int) -> PlanForecast:
    """Compute a queued forecast; keep its result or failure on the row."""
    from stromal.model import MODEL_VERSION
    from stromal.model.forecast import REFERENCE_N, REFERENCE_SEED, PatientValues, forecast_patient

    forecast = PlanForecast.objects.select_related(
        "plan__protocol_version", "plan__encounter", "protocol_version"
    ).get(pk=forecast_id)
    if forecast.status != RunStatus.QUEUED:
        return forecast
    PlanForecast.objects.filter(pk=forecast.pk).update(status=RunStatus.RUNNING)
    started = time.perf_counter()
    try:
        plan = forecast.plan
        values = patient_values(plan)
        protocol = (forecast.protocol_version or plan.protocol_version).to_protocol()
        arm = protocol.arm(forecast.arm_name)
        from stromal.clinical.protocol import Arm

        arms = (Arm("without"), arm) if not arm.is_control else (arm,)
        reference = _reference(str(MODEL_VERSION), REFERENCE_N, REFERENCE_SEED)
        result = forecast_patient(PatientValues(**values), arms, reference, seed=forecast.pk)
        data = result.as_dict() | {"values": values, "arm": asdict(arm) | {"route": _value(arm.route)}}
        data["arm"] = {k: _value(v) for k, v in data["arm"].items()}
        PlanForecast.objects.filter(pk=forecast.pk).update(
            status=RunStatus.DONE,
            result=data,
            model_version=result.model_version,
            seconds=round(time.perf_counter() - started, 2),
            finished_at=timezone.now(),
        )
    except Exception as exc:  # the worker must record the failure, whatever it was
        PlanForecast.objects.filter(pk=forecast.pk).update(
            status=RunStatus.FAILED,
            error=traceback.format_exception_only(exc)[-1].strip(),
            finished_at=timezone.now(),
        )
    forecast.refresh_from_db()
    return forecast


def _value(v: Any) -> Any:
    """Enums as their values, tuples as lists (JSON)."""
    if isinstance(v, tuple):
        return list(v)
    return getattr(v, "value", v)
