"""Administration sessions with their vitals and interruptions, and adverse events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from stromal.administrations.models import (
    AdministrationSession,
    AdverseEvent,
    Interruption,
    Outcome,
    SessionStatus,
    VitalSigns,
)
from stromal.administrations.selectors import adverse_event_get, adverse_event_list, session_get
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
from stromal.patients.guards import site_id_of

router = Router(tags=["administrations"])


class VitalsOut(Schema):
    id: int
    scheduled_minute: int | None = Field(description="the protocol's time point, minutes from the start")
    minutes_since_start: float
    taken_at: dt.datetime
    values: dict[str, Any] = Field(description="vital sign key (unit in its name) -> value, and events")
    hits: list[Any] = Field(description="stopping rules this time point met")
    recorded_by: str | None
    recorded_at: dt.datetime


class InterruptionOut(Schema):
    started_at: dt.datetime
    ended_at: dt.datetime | None
    reason: str


class SessionOut(Schema):
    id: int
    patient_id: int
    plan_id: int
    sequence: int
    protocol_day: int
    scheduled_date: dt.date
    route: str
    status: str
    product_id: int | None
    prepared_at: dt.datetime | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    weight_kg: float | None
    baseline: dict[str, Any]
    volume_given_ml: float | None
    cells_given: float | None
    particles_given: float | None
    stop_reason: str
    stopping_hits: list[Any]
    off_schedule_reason: str
    notes: str
    version: int
    vitals: list[VitalsOut]
    interruptions: list[InterruptionOut]


class SessionPage(PageMeta):
    items: list[SessionOut]


class SessionFilters(DateRange):
    patient_id: int | None = Field(None, ge=1, le=DB_BIGINT_MAX)
    status: SessionStatus | None = None


class AdverseEventOut(Schema):
    id: int
    patient_id: int
    session_id: int | None
    term: str
    onset_at: dt.datetime
    from_stopping_rule: bool
    stopping_rule_ids: list[Any]
    ctcae_grade: int | None
    serious: bool
    seriousness_criteria: list[Any]
    relatedness: str
    outcome: str
    action_taken: str
    expedited_review: bool
    description: str
    reported_by: str | None
    reported_at: dt.datetime
    graded_by: str | None
    graded_at: dt.datetime | None
    version: int


class AdverseEventPage(PageMeta):
    items: list[AdverseEventOut]


class AdverseEventFilters(DateRange):
    patient_id: int | None = Field(None, ge=1, le=DB_BIGINT_MAX)
    outcome: Outcome | None = None
    serious: bool | None = None
    graded: bool | None = Field(None, description="true: graded (CTCAE); false: awaiting a grade")


SESSION_FIELDS = (
    "patient_id",
    "plan_id",
    "sequence",
    "protocol_day",
    "scheduled_date",
    "route",
    "status",
    "product_id",
    "prepared_at",
    "started_at",
    "ended_at",
    "weight_kg",
    "baseline",
    "volume_given_ml",
    "cells_given",
    "particles_given",
    "stop_reason",
    "stopping_hits",
    "off_schedule_reason",
    "notes",
    "version",
)
AE_FIELDS = (
    "patient_id",
    "session_id",
    "term",
    "onset_at",
    "from_stopping_rule",
    "stopping_rule_ids",
    "ctcae_grade",
    "serious",
    "seriousness_criteria",
    "relatedness",
    "outcome",
    "action_taken",
    "expedited_review",
    "description",
    "reported_at",
    "graded_at",
    "version",
)


def with_related(qs: Any) -> Any:
    return qs.prefetch_related(
        Prefetch("vitals", queryset=VitalSigns.objects.select_related("recorded_by")),
        Prefetch("interruptions", queryset=Interruption.objects.order_by("started_at", "id")),
    )


def present_sessions(sessions: Sequence[AdministrationSession]) -> list[dict[str, Any]]:
    return [
        {
            "id": s.pk,
            **{name: getattr(s, name) for name in SESSION_FIELDS},
            "vitals": [
                {
                    "id": v.pk,
                    "scheduled_minute": v.scheduled_minute,
                    "minutes_since_start": v.minutes_since_start,
                    "taken_at": v.taken_at,
                    "values": v.values,
                    "hits": v.hits,
                    "recorded_by": username(v.recorded_by),
                    "recorded_at": v.recorded_at,
                }
                for v in s.vitals.all()
            ],
            "interruptions": [
                {"started_at": i.started_at, "ended_at": i.ended_at, "reason": i.reason}
                for i in s.interruptions.all()
            ],
        }
        for s in sessions
    ]


def present_events(events: Sequence[AdverseEvent]) -> list[dict[str, Any]]:
    return [
        {
            "id": e.pk,
            **{name: getattr(e, name) for name in AE_FIELDS},
            "reported_by": username(e.reported_by),
            "graded_by": username(e.graded_by),
        }
        for e in events
    ]


@router.get("/administrations", response=SessionPage, summary="List administration sessions")
def sessions(
    request: HttpRequest, filters: Query[SessionFilters], paging: Query[PageQuery]
) -> dict[str, Any]:
    """Sessions with vitals and interruptions; ``date_from``/``date_to`` filter on the scheduled date."""
    qs = AdministrationSession.objects.filter(patient__site_id=site_id_of(reader(request)))
    if filters.patient_id is not None:
        qs = qs.filter(patient_id=filters.patient_id)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    qs = with_related(dated(qs, "scheduled_date", filters).order_by("scheduled_date", "sequence", "id"))
    return page(request, qs, paging, present_sessions)


@router.get("/administrations/{int:session_id}", response=SessionOut, summary="One administration session")
def session(request: HttpRequest, session_id: RecordId) -> dict[str, Any]:
    found = session_get(user=reader(request), pk=session_id)
    return present_sessions(with_related(AdministrationSession.objects.filter(pk=found.pk)))[0]


@router.get("/adverse-events", response=AdverseEventPage, summary="List adverse events")
def adverse_events(
    request: HttpRequest, filters: Query[AdverseEventFilters], paging: Query[PageQuery]
) -> dict[str, Any]:
    """Adverse events (CTCAE grade, seriousness, causality, outcome); ``date_from``/``date_to`` filter
    on the onset date."""
    qs = adverse_event_list(user=reader(request)).select_related("reported_by", "graded_by")
    if filters.patient_id is not None:
        qs = qs.filter(patient_id=filters.patient_id)
    if filters.outcome is not None:
        qs = qs.filter(outcome=filters.outcome)
    if filters.serious is not None:
        qs = qs.filter(serious=filters.serious)
    if filters.graded is not None:
        qs = qs.filter(ctcae_grade__isnull=not filters.graded)
    qs = dated(qs, "onset_at__date", filters).order_by("onset_at", "id")
    return page(request, qs, paging, present_events)


@router.get("/adverse-events/{int:event_id}", response=AdverseEventOut, summary="One adverse event")
def adverse_event(request: HttpRequest, event_id: RecordId) -> dict[str, Any]:
    return present_events([adverse_event_get(user=reader(request), pk=event_id)])[0]
