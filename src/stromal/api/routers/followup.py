"""Follow-up visits (the protocol's calendar after discharge) and what other apps attach to them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from stromal.api.common import (
    DB_BIGINT_MAX,
    DateRange,
    PageMeta,
    PageQuery,
    RecordId,
    dated,
    page,
    reader,
    username,
)
from stromal.api.extensions import visit_sections
from stromal.followup.models import FollowUpVisit, VisitStatus
from stromal.followup.selectors import visit_get
from stromal.patients.guards import site_id_of

router = Router(tags=["follow-up"])

VISIT_FIELDS = (
    "patient_id",
    "plan_id",
    "code",
    "name",
    "day_offset",
    "target_date",
    "window_start",
    "window_end",
    "status",
    "completed_on",
    "out_of_window",
    "notes",
    "version",
)


class VisitOut(Schema):
    id: int
    patient_id: int
    plan_id: int
    code: str
    name: str
    day_offset: int = Field(description="days after the plan's day 0")
    target_date: dt.date
    window_start: dt.date
    window_end: dt.date
    status: str
    completed_on: dt.date | None
    completed_by: str | None
    out_of_window: bool
    notes: str
    version: int
    sections: dict[str, list[dict[str, Any]]] = Field(
        description="what other apps record at the visit (e.g. instruments), by section name"
    )


class VisitPage(PageMeta):
    items: list[VisitOut]


class VisitFilters(DateRange):
    patient_id: int | None = Field(None, ge=1, le=DB_BIGINT_MAX)
    status: VisitStatus | None = None


def present(visits: Sequence[FollowUpVisit]) -> list[dict[str, Any]]:
    sections = visit_sections(visits)
    return [
        {
            "id": v.pk,
            **{name: getattr(v, name) for name in VISIT_FIELDS},
            "completed_by": username(v.completed_by),
            "sections": sections[v.pk],
        }
        for v in visits
    ]


@router.get("/followup-visits", response=VisitPage, summary="List follow-up visits")
def visits(request: HttpRequest, filters: Query[VisitFilters], paging: Query[PageQuery]) -> dict[str, Any]:
    """Visits with their windows and status; ``date_from``/``date_to`` filter on the target date."""
    qs = FollowUpVisit.objects.filter(patient__site_id=site_id_of(reader(request))).select_related(
        "completed_by"
    )
    if filters.patient_id is not None:
        qs = qs.filter(patient_id=filters.patient_id)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    qs = dated(qs, "target_date", filters).order_by("target_date", "id")
    return page(request, qs, paging, present)


@router.get("/followup-visits/{int:visit_id}", response=VisitOut, summary="One follow-up visit")
def visit(request: HttpRequest, visit_id: RecordId) -> dict[str, Any]:
    found = visit_get(user=reader(request), pk=visit_id)
    return present([FollowUpVisit.objects.select_related("completed_by").get(pk=found.pk)])[0]
