"""The forecast for the demo's patients: every demo plan with a closed Day-1 examination gets either
bands with their effective sample size or the clear "no comparable virtual patients"."""

from __future__ import annotations

from typing import Any

import pytest

from stromal.demo import load_demo
from stromal.insilico import forecasts
from stromal.insilico.models import RunStatus
from stromal.model.forecast import MIN_ESS
from stromal.plans.models import TreatmentPlan

pytestmark = pytest.mark.django_db


def test_a_forecast_for_a_demo_patient_has_bands_and_states_its_effective_sample_size(
    settings: Any, tmp_path: Any
) -> None:
    settings.VAR_DIR = tmp_path
    load_demo()
    every_plan = TreatmentPlan.objects.select_related("encounter", "protocol_version", "patient")
    plans = [
        p
        for p in every_plan.order_by("pk")
        if p.encounter.status == "closed" and p.encounter.kind == "examination"
    ]
    assert plans
    comparable = 0
    for plan in plans[:4]:
        forecast = forecasts.forecast_request(plan=plan, user=plan.drafted_by, enqueue=False)
        forecast = forecasts.forecast_execute(forecast_id=forecast.pk)
        assert forecast.status == RunStatus.DONE, forecast.error
        result = forecast.result
        assert result is not None and result["ess"] >= 0 and result["model_version"]
        if result["comparable"]:
            comparable += 1
            assert result["ess"] >= MIN_ESS
            for bands in result["arms"].values():
                assert len(bands["pf_ratio_mmhg"]["q05"]) == 29 and len(bands["survival"]["q95"]) == 91
    assert comparable >= 1
