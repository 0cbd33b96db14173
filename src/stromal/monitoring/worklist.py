"""Worklist sections for data queries: each role sees the queries waiting for it.

Site staff (coordinator, physician, nurse, lab) answer open queries; the
monitor reviews answered ones and closes or re-opens them. Fed to
``stromal.pathway.worklist`` like the other apps' sections.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from stromal.accounts.models import User
from stromal.accounts.zones import format_when
from stromal.audit.selectors import record_label
from stromal.monitoring.models import DataQuery, QueryStatus
from stromal.monitoring.services import QUERY_ANSWERERS, QUERY_OWNERS
from stromal.pathway.links import pk_reverse
from stromal.pathway.sections import Line, SectionSpec
from stromal.patients.guards import site_id_of


def _queries(user: User, status: QueryStatus) -> QuerySet[DataQuery]:
    return (
        DataQuery.objects.filter(patient__site_id=site_id_of(user), status=status)
        .select_related("patient")
        .only(
            "id",
            "object_type",
            "object_id",
            "field",
            "opened_at",
            "patient_id",
            "patient__given_name",
            "patient__family_name",
            "patient__mrn",
        )
        .order_by("opened_at", "id")
    )


def _to_answer(user: User, today: dt.date) -> QuerySet[DataQuery]:
    return _queries(user, QueryStatus.OPEN)


def _to_review(user: User, today: dt.date) -> QuerySet[DataQuery]:
    return _queries(user, QueryStatus.ANSWERED)


def _line(query: DataQuery) -> Line:
    record = f"{record_label(query.object_type)} #{query.object_id}"
    if query.field:
        record += f", {query.field.replace('_', ' ')}"
    return Line(
        f"Query {query.pk} · {query.patient.full_name} ({query.patient.mrn})",
        pk_reverse("monitoring:query", query.pk),
        f"{record} · opened {format_when(query.opened_at)}",
    )


QUERY_SECTIONS: list[SectionSpec] = [
    SectionSpec(
        "wl-queries-answer",
        "Data queries to answer",
        frozenset(r.value for r in QUERY_ANSWERERS),
        _to_answer,
        _line,
    ),
    SectionSpec(
        "wl-queries-review",
        "Answered data queries to review",
        frozenset(r.value for r in QUERY_OWNERS),
        _to_review,
        _line,
    ),
]
