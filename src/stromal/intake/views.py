"""The public request form (the only page without login) and the coordinators' triage queue."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from stromal.accounts.access import role_required
from stromal.accounts.models import Site
from stromal.accounts.roles import Role
from stromal.accounts.zones import format_when
from stromal.forms_clinical import add_service_errors
from stromal.intake.client_address import request_client_address
from stromal.intake.forms import ConvertForm, PublicRequestForm, RescheduleForm, TriageForm
from stromal.intake.models import ConsultationRequest, ContactMethod, RequestStatus
from stromal.intake.selectors import request_get, request_history, request_queue
from stromal.intake.services import (
    TRIAGE_ROLES,
    request_convert,
    request_reschedule,
    request_submit,
    request_transition,
)
from stromal.pathway.links import pk_reverse
from stromal.patients.forms import show_duplicate_confirmation
from stromal.patients.guards import request_user, require_role
from stromal.patients.services import CONFIRM_DUPLICATE_FIELD

READERS = (Role.COORDINATOR, Role.INVESTIGATOR, Role.MONITOR, Role.ADMIN)
# The queue shows a page at a time (oldest first) with the total; every request stays reachable.
QUEUE_PAGE_ROWS = 50
QUEUE_COLUMNS = (
    "id",
    "full_name",
    "contact_method",
    "email",
    "phone",
    "contact_other",
    "status",
    "created_at",
)


def _sender_address(request: HttpRequest) -> str:
    return request_client_address(request)


@require_http_methods(["GET", "POST"])
def public_request(request: HttpRequest) -> HttpResponse:
    """Ask for a consultation. Shows nothing about any patient, and the same confirmation to everyone."""
    form = PublicRequestForm(request.POST or None)
    site = Site.objects.order_by("id").first()
    if site is None:
        return render(request, "intake/public_closed.html", status=503)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            request_submit(
                site=data.get("site") or site,
                full_name=data["full_name"],
                contact_method=data["contact_method"],
                email=data["email"],
                phone=data["phone"],
                contact_other=data["contact_other"],
                condition=data["condition"],
                honeypot=data["website"],
                sender_address=_sender_address(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("intake:thanks")
    status = 400 if request.method == "POST" else 200
    return render(request, "intake/public_request.html", {"form": form}, status=status)


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/thanks.html")


_STATUS_LABELS = dict(RequestStatus.choices)
_CONTACT_LABELS = dict(ContactMethod.choices)


@dataclass(frozen=True)
class QueueRow:
    """One line of the triage queue, formatted here rather than by template filters (cheaper per row)."""

    received: str
    name: str
    url: str
    contact: str
    status: str


def _queue_row(r: ConsultationRequest) -> QueueRow:
    method = _CONTACT_LABELS.get(r.contact_method, r.contact_method)
    return QueueRow(
        received=format_when(r.created_at),
        name=r.full_name,
        url=pk_reverse("intake:detail", r.pk),
        contact=f"{method}: {r.contact_text}",
        status=_STATUS_LABELS.get(r.status, r.status),
    )


@role_required(*READERS)
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    if status not in {"open", "all", *RequestStatus.values}:
        status = "open"
    requests = request_queue(user=request_user(request), status=status).only(*QUEUE_COLUMNS)
    page = Paginator(requests, QUEUE_PAGE_ROWS).get_page(request.GET.get("page"))
    return render(
        request,
        "intake/queue.html",
        {
            "page": page,
            "rows": [_queue_row(r) for r in page],
            "status": status,
            "statuses": RequestStatus.choices,
            "pager_query": urlencode({"status": status}),
        },
    )


@role_required(*READERS)
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = request_get(user=request_user(request), pk=pk)
    triage = TriageForm(initial={"version": consultation.version, "notes": consultation.triage_notes})
    convert = ConvertForm(
        initial={"version": consultation.version, "scheduled_for": consultation.scheduled_for}
    )
    reschedule = RescheduleForm(initial={"version": consultation.version})
    status = 200
    if request.method == "POST":
        require_role(request_user(request), "triage consultation requests", *TRIAGE_ROLES)
        if "reschedule" in request.POST:
            reschedule = RescheduleForm(request.POST)
            if reschedule.is_valid():
                d = reschedule.cleaned_data
                try:
                    request_reschedule(
                        request=consultation,
                        user=request_user(request),
                        version=d["version"],
                        scheduled_for=d["new_time"],
                        reason=d["reschedule_reason"],
                    )
                except ValidationError as exc:
                    add_service_errors(reschedule, exc)
                else:
                    messages.success(request, "Appointment moved; the reason is in the request's history.")
                    return redirect("intake:detail", pk=consultation.pk)
        elif "convert" in request.POST:
            convert = ConvertForm(request.POST)
            if convert.is_valid():
                d = convert.cleaned_data
                try:
                    patient, _ = request_convert(
                        request=consultation,
                        user=request_user(request),
                        version=d["version"],
                        mrn=d["mrn"],
                        given_name=d["given_name"],
                        family_name=d["family_name"],
                        sex=d["sex"],
                        date_of_birth=d["date_of_birth"],
                        height_cm=d["height_cm"],
                        examination_at=d["examination_at"],
                        confirm_duplicate=d["confirm_duplicate"],
                    )
                except ValidationError as exc:
                    add_service_errors(convert, exc)
                    if convert.has_error(CONFIRM_DUPLICATE_FIELD):
                        show_duplicate_confirmation(convert)
                else:
                    messages.success(request, f"{patient.full_name} registered; Day 1 examination scheduled.")
                    return redirect("pathway:patient", pk=patient.pk)
        else:
            triage = TriageForm(request.POST)
            if triage.is_valid():
                d = triage.cleaned_data
                try:
                    request_transition(
                        request=consultation,
                        user=request_user(request),
                        to_status=d["to_status"],
                        version=d["version"],
                        reason=d["reason"],
                        notes=d["notes"],
                        scheduled_for=d["scheduled_for"],
                    )
                except ValidationError as exc:
                    add_service_errors(triage, exc)
                else:
                    messages.success(request, f"Request moved to {consultation.get_status_display()}.")
                    return redirect("intake:detail", pk=consultation.pk)
        status = 400
    return render(
        request,
        "intake/detail.html",
        {
            "req": consultation,
            "triage": triage,
            "convert": convert,
            "reschedule": reschedule,
            "history": request_history(request=consultation),
            "can_triage": request_user(request).has_role(*TRIAGE_ROLES),
            "can_convert": consultation.status in (RequestStatus.CONTACTED, RequestStatus.SCHEDULED),
        },
        status=status,
    )
