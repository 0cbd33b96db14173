"""The registry against the model: for the analytics cohort, each patient's 90-day mortality as the
model predicts it for their Day-1 values and the arm they were planned for (the forecast's
importance weighting, ``stromal.model.forecast.predicted_risk``), against what the registry observed.

A patient is left out, and counted by reason, when they have no plan with a closed Day-1
examination (no values to condition on), fewer than 90 days of follow-up and alive (the outcome
is not known yet), or no comparable virtual patients. Runs on the background worker.
"""

from __future__ import annotations

import datetime as dt
import traceback
from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from stromal.accounts.models import User
from stromal.audit.services import audit_record
from stromal.insilico.forecasts import ForecastUnavailableError, patient_values
from stromal.insilico.models import RegistryCheck, RunStatus
from stromal.insilico.registry_stats import calibration_groups, observed_expected
from stromal.outcomes.cohort import CohortFilter, cohort_build
from stromal.outcomes.scope import Scope, reader_scope
from stromal.plans.models import TreatmentPlan

LEFT_OUT = {
    "no_day1": "no plan with a closed Day-1 examination (P/F, weight and sex)",
    "short_follow_up": "alive with fewer than 90 days of follow-up",
    "not_comparable": "the model has no comparable virtual patients",
    "failed": "the arm could not be simulated",
}


def _scope_ids(scope: Scope) -> list[int] | None:
    return None if scope.site_ids is None else sorted(scope.site_ids)


def registry_check_latest(*, user: User, filters: CohortFilter) -> RegistryCheck | None:
    """The newest check of this cohort in the reader's scope (anyone's: it is the same cohort)."""
    scope = reader_scope(user)
    return (
        RegistryCheck.objects.filter(site_ids=_scope_ids(scope), filters=filters.as_dict())
        .order_by("-requested_at", "-id")
        .first()
    )


@transaction.atomic
def registry_check_request(*, user: User, filters: CohortFilter, enqueue: bool = True) -> RegistryCheck:
    """Record (and audit) a check of the cohort; the worker computes it.

    Raises:
        PermissionDenied: not an analytics reader.
    """
    scope = reader_scope(user)
    check = RegistryCheck.objects.create(
        requested_by=user, site_ids=_scope_ids(scope), filters=filters.as_dict()
    )
    audit_record(
        actor=user,
        action="registry_check_requested",
        instance=check,
        changes={"filters": [None, check.filters], "sites": [None, check.site_ids or "all"]},
        site_id=user.site_id,
    )
    if enqueue:
        from stromal.insilico.tasks import run_registry_check_task

        pk = check.pk
        transaction.on_commit(lambda: run_registry_check_task.enqueue(pk))
    return check


def _filters_of(check: RegistryCheck) -> CohortFilter:
    data: dict[str, Any] = dict(check.filters)
    for key in ("enrolled_from", "enrolled_to"):
        if data.get(key):
            data[key] = dt.date.fromisoformat(data[key])
    data.pop("site_code", None)
    return CohortFilter(**data)


def registry_check_execute(*, check_id: int) -> RegistryCheck:
    """Compute a queued check; keep the result or the failure on the row."""
    check = RegistryCheck.objects.get(pk=check_id)
    if check.status != RunStatus.QUEUED:
        return check
    RegistryCheck.objects.filter(pk=check.pk).update(status=RunStatus.RUNNING)
    try:
        result, version = _compute(check)
        RegistryCheck.objects.filter(pk=check.pk).update(
            status=RunStatus.DONE, result=result, model_version=version, finished_at=timezone.now()
        )
    except Exception as exc:  # the worker must record the failure, whatever it was
        RegistryCheck.objects.filter(pk=check.pk).update(
            status=RunStatus.FAILED,
            error=traceback.format_exception_only(exc)[-1].strip(),
            finished_at=timezone.now(),
        )
    check.refresh_from_db()
    return check


def _compute(check: RegistryCheck) -> tuple[dict[str, Any], str]:
    from stromal.clinical.protocol import Arm
    from stromal.insilico.forecasts import _reference
    from stromal.model import MODEL_VERSION
    from stromal.model.forecast import (
        CHECK_DAY,
        REFERENCE_N,
        REFERENCE_SEED,
        PatientValues,
        predicted_risk,
        reference_mortality,
    )

    scope = Scope(None if check.site_ids is None else frozenset(int(i) for i in check.site_ids))
    cohort = cohort_build(scope=scope, filters=_filters_of(check))
    plans = {
        p.pk: p
        for p in TreatmentPlan.objects.filter(
            pk__in=[r.plan_id for r in cohort.rows if r.plan_id]
        ).select_related("encounter", "patient", "protocol_version")
    }
    reference = _reference(str(MODEL_VERSION), REFERENCE_N, REFERENCE_SEED)
    mortality: dict[tuple[int, str], Any] = {}
    left_out = dict.fromkeys(LEFT_OUT, 0)
    died: list[bool] = []
    risks: list[float] = []
    for row in cohort.rows:
        plan = plans.get(row.plan_id) if row.plan_id else None
        try:
            if plan is None:
                raise ForecastUnavailableError("no plan")
            values = patient_values(plan)
        except ForecastUnavailableError:
            left_out["no_day1"] += 1
            continue
        death_day = row.day(row.death.on) if row.death else None
        dead = death_day is not None and death_day <= CHECK_DAY
        followed = row.day(cohort.last_contact.get(row.pk))
        if not dead and (followed is None or followed < CHECK_DAY):
            left_out["short_follow_up"] += 1
            continue
        key = (plan.protocol_version_id, plan.arm_name)
        if key not in mortality:
            try:
                arm = plan.protocol_version.to_protocol().arm(plan.arm_name)
            except Exception:
                arm = None
            mortality[key] = reference_mortality(reference, arm or Arm("control")) if arm else None
        if mortality[key] is None:
            left_out["failed"] += 1
            continue
        risk, _, _ = predicted_risk(PatientValues(**values), reference, mortality[key])
        if risk is None:
            left_out["not_comparable"] += 1
            continue
        died.append(dead)
        risks.append(risk)
    oe = observed_expected(died, risks)
    groups = calibration_groups(died, risks) if risks else []
    result = {
        "day": CHECK_DAY,
        "n_cohort": cohort.size,
        "n_included": len(risks),
        "left_out": {LEFT_OUT[k]: v for k, v in left_out.items() if v},
        "observed": oe.observed,
        "expected": round(oe.expected, 3),
        "ratio": None if oe.ratio is None else round(oe.ratio, 3),
        "ci95": [None if c is None else round(c, 3) for c in oe.ci95],
        "groups": [asdict(g) for g in groups],
        "n_reference": reference.population.n,
    }
    return result, reference.model_version
