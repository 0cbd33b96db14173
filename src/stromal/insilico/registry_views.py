"""The analytics page "Registry vs model": the cohort's observed 90-day mortality against the model's."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from stromal import RESEARCH_DISCLAIMER
from stromal.accounts.access import role_required
from stromal.charts import Chart, ChartView, Panel, Point, Series, chart_view
from stromal.insilico import registry
from stromal.insilico.models import RegistryCheck
from stromal.outcomes.scope import ANALYTICS_ROLES, reader_scope
from stromal.outcomes.selectors import cohort_from_query
from stromal.outcomes.views import PAGES, cohort_query
from stromal.patients.guards import request_user


def calibration_chart(result: dict[str, Any]) -> ChartView:
    """Observed against predicted mortality by risk group, with the line of perfect calibration."""
    groups = result.get("groups") or []
    observed = tuple(Point(round(g["predicted"] * 100, 2), round(g["observed"] * 100, 2)) for g in groups)
    ideal = tuple(Point(p.x, p.x) for p in observed)  # type: ignore[arg-type]
    chart = Chart(
        "registry-calibration",
        f"Observed against predicted {result.get('day', 90)}-day mortality, by predicted-risk group",
        "Mean predicted mortality in the group (%)",
        (
            Panel(
                "Mortality",
                "%",
                (Series("Observed (registry)", observed), Series("Predicted = observed", ideal)),
            ),
        ),
        description="Patients ordered by the model's predicted risk and cut into (up to) ten groups of "
        "near-equal size; the table beside gives each group's exact 95 % interval.",
        empty="No patient could be compared with the model.",
    )
    return chart_view(chart)


@require_http_methods(["GET", "POST"])
@role_required(*ANALYTICS_ROLES)
def registry_page(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form, cohort = cohort_from_query(user=user, query=request.GET)
    query = cohort_query(request.GET)
    if request.method == "POST" and cohort is not None:
        registry.registry_check_request(user=user, filters=cohort.filters)
        return redirect(request.path + (f"?{query}" if query else ""))
    check = registry.registry_check_latest(user=user, filters=cohort.filters) if cohort is not None else None
    context = {
        "page": "model",
        "title": "Registry against the model",
        "pages": PAGES,
        "form": form,
        "cohort": cohort,
        "query": query,
        "check": check,
        "disclaimer": RESEARCH_DISCLAIMER,
        "calibration": calibration_chart(check.result) if check and check.result else None,
    }
    return render(request, "insilico/registry.html", context, status=200 if cohort is not None else 400)


@require_GET
@role_required(*ANALYTICS_ROLES)
def registry_status(request: HttpRequest, pk: int) -> JsonResponse:
    """A check's status for the page's poller; a check of another scope is a 404."""
    scope = reader_scope(request_user(request))
    site_ids = None if scope.site_ids is None else sorted(scope.site_ids)
    check = get_object_or_404(RegistryCheck, pk=pk, site_ids=site_ids)
    return JsonResponse({"status": check.status, "finished": check.finished})
