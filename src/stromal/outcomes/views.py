"""Analytics pages: the cohort builder, flow, survival, trajectories, safety; CSV of every figure and table.

Each page reads the cohort from the query string (the builder's fields), so a page can be
bookmarked or shared with a colleague of the same scope, and every link between pages
carries the cohort along. Thin views: validate the form, call one report, render.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from stromal.accounts.access import role_required
from stromal.csv_export import csv_response
from stromal.outcomes import flow, safety, survival, trajectories
from stromal.outcomes.cohort import LABELS, Cohort
from stromal.outcomes.forms import COHORT_KEYS, CohortForm
from stromal.outcomes.memo import remembered
from stromal.outcomes.scope import ANALYTICS_ROLES
from stromal.outcomes.selectors import cohort_from_query
from stromal.outcomes.tables import Column, Report, Table, columns
from stromal.patients.guards import request_user

#: The pages, in the order of their tabs: code -> title.
PAGES = {
    "cohort": "Cohort",
    "flow": "Flow",
    "survival": "Survival",
    "trajectories": "Trajectories",
    "safety": "Safety",
}


def cohort_query(query: QueryDict) -> str:
    """Only the cohort builder's keys of ``query`` (what links between pages carry)."""
    kept = QueryDict(mutable=True)
    for key in COHORT_KEYS:
        value = query.get(key)
        if value:
            kept[key] = value
    return kept.urlencode()


def _cohort(request: HttpRequest) -> tuple[CohortForm, Cohort | None]:
    return cohort_from_query(user=request_user(request), query=request.GET)


def _distribution(table_id: str, title: str, label: str, values: list[str]) -> Table:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    total = len(values) or 1
    return Table(
        table_id,
        title,
        columns((table_id, label), ("n", "Patients", True), ("pct", "%", True)),
        [[k, n, round(100 * n / total, 1)] for k, n in sorted(counts.items())],
        default_sort="-n",
    )


def cohort_report(cohort: Cohort) -> Report:
    """The builder's page: the cohort's make-up and its patients (study ids only)."""
    rows = cohort.rows
    report = Report()
    report.tables += [
        _distribution("by-site", "By site", "Site", [r.site_code for r in rows]),
        _distribution(
            "by-arm",
            "By protocol and arm",
            "Protocol / arm",
            [
                f"{r.protocol_code} v{r.protocol_version} / {r.arm}" if r.protocol_code else "no plan"
                for r in rows
            ],
        ),
        _distribution(
            "by-berlin", "By Berlin severity at Day 1", "Berlin", [LABELS["berlin"][r.berlin] for r in rows]
        ),
        _distribution(
            "by-global",
            "By Global definition at Day 1",
            "Global",
            [LABELS["global_definition"][r.global_definition] for r in rows],
        ),
        _distribution(
            "by-aetiology", "By aetiology", "Aetiology", [LABELS["aetiology"][r.aetiology] for r in rows]
        ),
        _distribution("by-age", "By age at enrolment", "Age", [LABELS["age_band"][r.age_band] for r in rows]),
        _distribution("by-sex", "By sex", "Sex", [LABELS["sex"].get(r.sex, r.sex) for r in rows]),
        _distribution(
            "by-vital",
            "By vital status",
            "Vital status",
            [LABELS["vital_status"][r.vital_status] for r in rows],
        ),
    ]
    report.tables.append(
        Table(
            "patients",
            "Patients in the cohort",
            [
                Column("study_id", "Study id"),
                Column("site", "Site"),
                Column("enrolment", "Enrolled"),
                Column("sex", "Sex"),
                Column("age", "Age at enrolment", True),
                Column("protocol", "Protocol"),
                Column("arm", "Arm"),
                Column("berlin", "Berlin (Day 1)"),
                Column("global", "Global (Day 1)"),
                Column("aetiology", "Aetiology"),
                Column("vital", "Vital status"),
                Column("follow_up", "Follow-up, days", True),
            ],
            [
                [
                    r.study_id,
                    r.site_code,
                    r.enrolment.isoformat(),
                    r.sex,
                    r.age_years,
                    f"{r.protocol_code} v{r.protocol_version}" if r.protocol_code else "",
                    r.arm,
                    r.berlin,
                    r.global_definition,
                    r.aetiology,
                    r.vital_status,
                    cohort.follow_up_days(r),
                ]
                for r in rows
            ],
            default_sort="study_id",
        )
    )
    return report


def _grouping(request: HttpRequest, allowed: dict[str, Any], default: str) -> str:
    value = request.GET.get("by", default)
    return value if value in allowed else default


#: page -> (report builder from (request, cohort), groupings offered or None)
BUILDERS: dict[str, tuple[Callable[[HttpRequest, Cohort], Report], dict[str, Any] | None]] = {
    "cohort": (lambda request, cohort: cohort_report(cohort), None),
    "flow": (lambda request, cohort: flow.flow_report(cohort), None),
    "survival": (
        lambda request, cohort: survival.survival_report(
            cohort, _grouping(request, survival.GROUPINGS, "arm")
        ),
        survival.GROUPINGS,
    ),
    "trajectories": (
        lambda request, cohort: trajectories.trajectories_report(
            cohort, _grouping(request, trajectories.GROUPINGS, "none")
        ),
        trajectories.GROUPINGS,
    ),
    "safety": (lambda request, cohort: safety.safety_report(cohort), None),
}


def _report(request: HttpRequest, page: str, cohort: Cohort) -> Report:
    """The page's report, remembered for the same cohort, grouping and day while the registry is unchanged."""
    build, _ = BUILDERS[page]
    key = (
        tuple(sorted(cohort.filters.as_dict().items())),
        request.GET.get("by", ""),
        cohort.today.isoformat(),
    )
    return remembered(f"report.{page}", cohort.scope, lambda: build(request, cohort), key)


def _page(request: HttpRequest, page: str) -> HttpResponse:
    form, cohort = _cohort(request)
    _, groupings = BUILDERS[page]
    report = _report(request, page, cohort) if cohort is not None else Report()
    query = cohort_query(request.GET)
    context = {
        "page": page,
        "title": PAGES[page],
        "pages": PAGES,
        "form": form,
        "cohort": cohort,
        "query": query,
        "by": request.GET.get("by", ""),
        "groupings": [(code, label) for code, (label, _) in groupings.items()] if groupings else [],
        "figures": report.figures,
        "tables": [t.view(request.GET).bind(request.GET) for t in report.tables],
        "figure_views": [(f, f.data.view(request.GET).bind(request.GET)) for f in report.figures],
        "notes": report.notes,
    }
    return render(request, f"outcomes/{page}.html", context, status=200 if cohort is not None else 400)


@require_GET
@role_required(*ANALYTICS_ROLES)
def cohort_page(request: HttpRequest) -> HttpResponse:
    return _page(request, "cohort")


@require_GET
@role_required(*ANALYTICS_ROLES)
def flow_page(request: HttpRequest) -> HttpResponse:
    return _page(request, "flow")


@require_GET
@role_required(*ANALYTICS_ROLES)
def survival_page(request: HttpRequest) -> HttpResponse:
    return _page(request, "survival")


@require_GET
@role_required(*ANALYTICS_ROLES)
def trajectories_page(request: HttpRequest) -> HttpResponse:
    return _page(request, "trajectories")


@require_GET
@role_required(*ANALYTICS_ROLES)
def safety_page(request: HttpRequest) -> HttpResponse:
    return _page(request, "safety")


@require_GET
@role_required(*ANALYTICS_ROLES)
def table_csv(request: HttpRequest, page: str, name: str) -> HttpResponseBase:
    """The numbers behind one figure or table of ``page``, as CSV (the cohort and grouping of the query)."""
    if page not in BUILDERS:
        raise Http404("No such page.")
    form, cohort = _cohort(request)
    if cohort is None:
        problems = "; ".join(
            f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items()
        )
        return HttpResponseBadRequest(
            f"The cohort's filters are not valid: {problems}", content_type="text/plain"
        )
    table = _report(request, page, cohort).table_named(name)
    if table is None:
        raise Http404("No such figure or table.")
    return csv_response(f"stromal-{page}-{name}.csv", table.csv_header(), table.csv_rows())
