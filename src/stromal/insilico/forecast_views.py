"""The forecast on the plan page: ask for it (physicians and investigators of the plan's site), poll it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from stromal import RESEARCH_DISCLAIMER
from stromal.accounts.access import role_required
from stromal.accounts.models import User
from stromal.insilico import forecasts
from stromal.insilico.forecast_charts import forecast_charts, one_year_rows
from stromal.patients.guards import request_user
from stromal.plans.models import TreatmentPlan
from stromal.plans.selectors import plan_get


def forecast_panel(plan: TreatmentPlan, user: User) -> dict[str, Any] | None:
    """What the plan page shows of the forecast (None: the user's role does not see it)."""
    if not user.has_role(*forecasts.FORECAST_ROLES):
        return None
    panel: dict[str, Any] = {"disclaimer": RESEARCH_DISCLAIMER, "no_comparable": forecasts_no_comparable()}
    try:
        forecasts.patient_values(plan)
    except forecasts.ForecastUnavailableError as exc:
        return panel | {"unavailable": str(exc)}
    forecast = forecasts.forecast_current(plan)
    panel["forecast"] = forecast
    if forecast is not None and forecast.status == "done" and forecast.result:
        panel["charts"] = forecast_charts(forecast.result, forecast.arm_name)
        panel["one_year"] = one_year_rows(forecast.result, forecast.arm_name)
    return panel


def forecasts_no_comparable() -> str:
    from stromal.model.forecast import NO_COMPARABLE

    return NO_COMPARABLE


@require_POST
@role_required(*forecasts.FORECAST_ROLES)
def forecast_request(request: HttpRequest, plan_pk: int) -> HttpResponse:
    user = request_user(request)
    plan = plan_get(user=user, pk=plan_pk)
    try:
        forecasts.forecast_request(plan=plan, user=user)
    except forecasts.ForecastUnavailableError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("plans:detail", args=[plan.pk]) + "#forecast")


@require_GET
@role_required(*forecasts.FORECAST_ROLES)
def forecast_status(request: HttpRequest, plan_pk: int) -> JsonResponse:
    plan = plan_get(user=request_user(request), pk=plan_pk)
    forecast = forecasts.forecast_current(plan)
    if forecast is None:
        return JsonResponse({"status": "none", "finished": False})
    return JsonResponse(
        {
            "status": forecast.status,
            "status_display": forecast.get_status_display(),
            "finished": forecast.finished,
        }
    )
