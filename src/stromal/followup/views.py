"""Discharge (physician), the follow-up calendar (every clinical role of the
site) and the coordinator's list of overdue visits."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from stromal.accounts.access import role_required
from stromal.accounts.models import User
from stromal.accounts.roles import CLINICAL_READERS, Role
from stromal.audit.selectors import audit_for_object
from stromal.followup import selectors, services
from stromal.followup.forms import DischargeForm, VisitAmendForm, VisitCompleteForm, VisitMissedForm
from stromal.followup.schedule import months_between, visit_state
from stromal.patients.selectors import patient_get
from stromal.plans.selectors import plan_get
from stromal.products.forms import add_validation_errors

READERS = tuple(CLINICAL_READERS)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@role_required(*READERS)
def overdue_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    today = timezone.localdate()
    return render(
        request,
        "followup/overdue.html",
        {
            "today": today,
            "overdue": selectors.visits_overdue(user=user, today=today),
            "due": selectors.visits_due(user=user, today=today),
        },
    )


@role_required(*READERS)
def calendar_view(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = patient_get(user=_user(request), pk=patient_pk)
    today = timezone.localdate()
    visits = list(selectors.visits_for_patient(patient_id=patient.pk))
    rows: list[dict[str, Any]] = []
    for v in visits:
        state = visit_state(
            window_start=v.window_start,
            window_end=v.window_end,
            today=today,
            completed_on=v.completed_on,
            missed=v.status == "missed",
        )
        rows.append({"visit": v, "state": state.value})
    months: list[dict[str, Any]] = []
    if visits:
        for first in months_between(visits[0].window_start, visits[-1].window_end):
            in_month = [
                r
                for r in rows
                if (r["visit"].window_start.year, r["visit"].window_start.month)
                <= (first.year, first.month)
                <= (r["visit"].window_end.year, r["visit"].window_end.month)
            ]
            if in_month:
                months.append({"month": first, "rows": in_month})
    return render(
        request,
        "followup/calendar.html",
        {
            "patient": patient,
            "rows": rows,
            "months": months,
            "today": today,
            "may_record": _user(request).role in {r.value for r in services.VISIT_RECORDERS},
        },
    )


@role_required(Role.PHYSICIAN)
def discharge_view(request: HttpRequest, plan_pk: int) -> HttpResponse:
    user = _user(request)
    plan = plan_get(user=user, pk=plan_pk)
    form = DischargeForm(
        request.POST or None, initial={"discharged_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.discharge_record(plan=plan, physician=user, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect("followup:calendar", patient_pk=plan.patient_id)
    return render(
        request,
        "followup/discharge.html",
        {"form": form, "plan": plan},
        status=400 if request.method == "POST" else 200,
    )


def _visit_form(
    request: HttpRequest, pk: int, form_class: type[VisitCompleteForm] | type[VisitMissedForm]
) -> HttpResponse:
    user = _user(request)
    visit = selectors.visit_get(user=user, pk=pk)
    form = form_class(
        request.POST or None, initial={"version": visit.version, "completed_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if isinstance(form, VisitCompleteForm):
                services.visit_complete(
                    visit=visit,
                    user=user,
                    version=d["version"],
                    completed_on=d["completed_on"],
                    notes=d["notes"],
                )
            else:
                services.visit_mark_missed(visit=visit, user=user, version=d["version"], reason=d["reason"])
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect("followup:calendar", patient_pk=visit.patient_id)
    return render(
        request,
        "followup/visit_form.html",
        {"form": form, "visit": visit},
        status=400 if request.method == "POST" else 200,
    )


@role_required(*services.VISIT_RECORDERS)
def visit_complete_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _visit_form(request, pk, VisitCompleteForm)


@role_required(*services.VISIT_RECORDERS)
def visit_missed_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _visit_form(request, pk, VisitMissedForm)


@role_required(*READERS)
def visit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One visit: its window, what was recorded (date, notes) and its history of corrections."""
    user = _user(request)
    visit = selectors.visit_get(user=user, pk=pk)
    return render(
        request,
        "followup/visit.html",
        {
            "visit": visit,
            "history": audit_for_object(visit).order_by("at", "id"),
            "may_record": user.role in {r.value for r in services.VISIT_RECORDERS},
        },
    )


@role_required(*services.VISIT_RECORDERS)
def visit_amend_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    visit = selectors.visit_get(user=user, pk=pk)
    form = VisitAmendForm(
        request.POST or None,
        initial={"version": visit.version, "completed_on": visit.completed_on, "notes": visit.notes},
    )
    if visit.status != "completed":
        del form.fields["completed_on"]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.visit_amend(
                visit=visit,
                user=user,
                version=d["version"],
                reason=d["reason"],
                completed_on=d.get("completed_on"),
                notes=d["notes"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect("followup:visit", pk=visit.pk)
    return render(
        request,
        "followup/visit_form.html",
        {"form": form, "visit": visit, "title": "Correct the recorded visit"},
        status=400 if request.method == "POST" else 200,
    )
