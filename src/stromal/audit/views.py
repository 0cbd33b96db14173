"""The audit trail on screen (21 CFR 11.10(e)): per patient, per record, per user; HTML or CSV.

Readable by the monitor, the investigator and the administrator of the
record's site; any other role is refused (403), another site's record looks
like no record (404).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from stromal.accounts.access import role_required
from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.audit.forms import TrailFilterForm
from stromal.audit.models import AuditEvent
from stromal.audit.selectors import (
    TrailFilters,
    TrailRow,
    record_label,
    trail_filter,
    trail_record_types,
    trail_rows,
)
from stromal.csv_export import csv_response
from stromal.patients.guards import request_user, site_id_of
from stromal.patients.selectors import patient_get

AUDIT_READERS = (Role.MONITOR, Role.INVESTIGATOR, Role.ADMIN)
EVENTS_PER_PAGE = 25
CSV_HEADER = (
    "when",
    "who",
    "username",
    "record",
    "field",
    "old",
    "new",
    "action",
    "reason",
    "source",
    "audit_sequence",
)


def _csv_rows(rows: Iterator[TrailRow]) -> Iterator[list[Any]]:
    for row in rows:
        event = row.event
        yield [
            timezone.localtime(event.at).isoformat(timespec="seconds"),
            event.actor.display_name() if event.actor else "system",
            event.actor_username,
            row.record,
            row.field,
            row.old,
            row.new,
            event.action,
            event.reason,
            event.source,
            event.sequence,
        ]


def _trail(
    request: HttpRequest,
    events: QuerySet[AuditEvent],
    *,
    title: str,
    filename: str,
    back_url: str = "",
    show_actor: bool = True,
) -> HttpResponseBase:
    user = request_user(request)
    form = TrailFilterForm(
        request.GET or None,
        record_types=trail_record_types(events),
        users=User.objects.filter(site_id=site_id_of(user)).order_by("username"),
        show_actor=show_actor,
    )
    filters = form.filters()
    chosen = trail_filter(events if filters else events.none(), filters or TrailFilters())
    if request.GET.get("format") == "csv":
        return csv_response(filename, CSV_HEADER, _csv_rows(trail_rows(chosen.iterator(chunk_size=500))))
    page = Paginator(chosen, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/trail.html",
        {
            "title": title,
            "form": form,
            "page": page,
            "rows": list(trail_rows(page.object_list)),
            "pager_query": query.urlencode(),
            "csv_query": (query.urlencode() + "&" if query else "") + "format=csv",
            "back_url": back_url,
        },
    )


@role_required(*AUDIT_READERS)
def patient_trail(request: HttpRequest, pk: int) -> HttpResponseBase:
    patient = patient_get(user=request_user(request), pk=pk)
    return _trail(
        request,
        AuditEvent.objects.filter(patient_id_at_event=patient.pk),
        title=f"Audit trail of {patient.full_name} ({patient.mrn})",
        filename=f"audit-patient-{patient.pk}.csv",
        back_url=reverse("pathway:patient", args=[patient.pk]),
    )


@role_required(*AUDIT_READERS)
def record_trail(request: HttpRequest, object_type: str, object_id: str) -> HttpResponseBase:
    events = AuditEvent.objects.filter(
        object_type=object_type, object_id=object_id, site_id_at_event=site_id_of(request_user(request))
    )
    if not events.exists():
        raise Http404("No audited record of that kind at your site.")
    return _trail(
        request,
        events,
        title=f"Audit trail of {record_label(object_type)} #{object_id}",
        filename=f"audit-{object_type.replace('.', '-')}-{object_id}.csv",
    )


@role_required(Role.ADMIN)
def user_trail(request: HttpRequest, user_id: int) -> HttpResponseBase:
    admin = request_user(request)
    person = get_object_or_404(User, pk=user_id, site_id=site_id_of(admin))
    return _trail(
        request,
        AuditEvent.objects.filter(actor_id=person.pk),
        title=f"Changes made by {person.display_name} ({person.username})",
        filename=f"audit-user-{person.username}.csv",
        show_actor=False,
    )
