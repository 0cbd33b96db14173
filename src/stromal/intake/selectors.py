from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from stromal.accounts.models import User
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
