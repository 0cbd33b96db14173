from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime

from stromal.accounts.models import User
from stromal.accounts.zones import format_when
from stromal.audit.selectors import audit_for_object
from stromal.intake.models import OPEN_STATUSES, ConsultationRequest
from stromal.patients.guards import site_id_of


def request_queue(*, user: User, status: str = "open") -> QuerySet[ConsultationRequest]:
    qs = ConsultationRequest.objects.filter(site_id=site_id_of(user))
    if status == "open":
        return qs.filter(status__in=OPEN_STATUSES)
    if status and status != "all":
        return qs.filter(status=status)
    return qs


def request_get(*, user: User, pk: int) -> ConsultationRequest:
    return get_object_or_404(ConsultationRequest, pk=pk, site_id=site_id_of(user))


ACTION_WORDS = {
    "create": "Received from the public form",
    "triage:contacted": "Contacted",
    "triage:scheduled": "Scheduled",
    "triage:rescheduled": "Appointment moved",
    "triage:declined": "Declined",
    "triage:converted": "Converted to a patient",
}


@dataclass(frozen=True)
class HistoryLine:
    at: str
    who: str
    what: str
    reason: str


def _appointment(value: object) -> str:
    when = parse_datetime(value) if isinstance(value, str) else None
    return format_when(when) if when else "none"


def request_history(*, request: ConsultationRequest) -> list[HistoryLine]:
    """What happened to the request, oldest first, in words, with each change's reason."""
    lines = []
    for event in audit_for_object(request):
        what = ACTION_WORDS.get(event.action, event.action)
        moved = event.changes.get("scheduled_for")
        if moved and event.action == "triage:rescheduled":
            what = f"{what}: {_appointment(moved[0])} → {_appointment(moved[1])}"
        lines.append(
            HistoryLine(
                at=format_when(event.at),
                who=event.actor_username if event.actor_id else "the public form",
                what=what,
                reason=event.reason,
            )
        )
    return lines
