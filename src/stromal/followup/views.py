"""Discharge (physician), the follow-up calendar (every clinical role of the
site) and the coordinator's list of overdue visits."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from stromal.accounts.access import role_required
from stromal.accounts.models import User
from stromal.accounts.roles import CLINICAL_READERS, Role
from stromal.administrations.services import AE_REPORTERS
from stromal.audit.selectors import record_history
from stromal.followup import selectors, services
from stromal.followup.forms import (
    DischargeForm,
    InstrumentCorrectionForm,
    InstrumentForm,
    VisitAdverseEventForm,
    VisitAmendForm,
    VisitMissedForm,
    VisitRecordForm,
    instrument_error_target,
)
from stromal.followup.models import FollowUpVisit, VisitStatus
from stromal.followup.presentation import answers_in_words, derived_in_words
from stromal.followup.schedule import months_between, visit_state
from stromal.followup.selectors import VisitInstruments
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
            not_due=v.status == VisitStatus.NOT_DUE,
        )
        rows.append({"visit": v, "state": state.value, "label": state.value.replace("_", " ")})
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


def _missed_form(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    visit = selectors.visit_get(user=user, pk=pk)
    form = VisitMissedForm(request.POST or None, initial={"version": visit.version})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
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


def _place_errors(exc: ValidationError, visit_form: Form, forms: dict[str, InstrumentForm]) -> None:
    """Each refusal of ``services.visit_record`` next to its field (``"<code>-<item>"``), on its
    instrument's fieldset (``"<code>"``) or on the visit's own fields; else above the form."""
    if not hasattr(exc, "error_dict"):
        visit_form.add_error(None, exc.messages)
        return
    for key, messages in exc.message_dict.items():
        code, field = instrument_error_target(key)
        if code in forms:
            form = forms[code]
            form.add_error(field if field in form.fields else None, messages)
        else:
            visit_form.add_error(key if key in visit_form.fields else None, messages)


@role_required(*services.VISIT_RECORDERS)
def visit_complete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a visit on one page: its date, the weight measured there and each due instrument
    (a fieldset each) or the reason it was not done. "Save" keeps what is entered; "Save and
    complete" also closes the visit, which needs every due instrument or its reason."""
    user = _user(request)
    visit = selectors.visit_get(user=user, pk=pk)
    if request.method != "POST" and visit.status != VisitStatus.SCHEDULED:
        return redirect("followup:visit", pk=visit.pk)
    state = selectors.visit_instruments(visit=visit)
    data = request.POST if request.method == "POST" else None
    visit_form = VisitRecordForm(
        data,
        initial={
            "version": visit.version,
            "completed_on": timezone.localdate(),
            "weight_kg": visit.weight_kg,
            "notes": visit.notes,
        },
    )
    forms = {s.instrument.code: InstrumentForm(s.instrument, data) for s in state.open_slots()}
    if "six_minute_walk" not in forms:
        del visit_form.fields["weight_kg"]
    if data is not None:
        valid = [visit_form.is_valid(), *[f.is_valid() for f in forms.values()]]
        if all(valid):
            d = visit_form.cleaned_data
            try:
                services.visit_record(
                    visit=visit,
                    user=user,
                    version=d["version"],
                    entries={
                        code: services.InstrumentEntry(f.answers(), f.not_done()) for code, f in forms.items()
                    },
                    completed_on=d["completed_on"],
                    weight_kg=d.get("weight_kg"),
                    notes=d["notes"],
                    complete=request.POST.get("action") == "complete",
                )
            except ValidationError as exc:
                _place_errors(exc, visit_form, forms)
            else:
                return redirect("followup:visit", pk=visit.pk)
    return render(
        request,
        "followup/visit_record.html",
        {
            "visit": visit,
            "visit_form": visit_form,
            "instrument_forms": list(forms.values()),
            "recorded": _recorded(visit, state),
            "death": state.death,
        },
        status=400 if data is not None else 200,
    )


@role_required(*services.VISIT_RECORDERS)
def visit_missed_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _missed_form(request, pk)


def _recorded(visit: FollowUpVisit, state: VisitInstruments) -> list[dict[str, Any]]:
    """What the visit page shows per instrument: the answers and derived values in words."""
    rows = []
    for slot in state.slots:
        code = slot.instrument.code
        response = slot.response
        rows.append(
            {
                "instrument": slot.instrument,
                "due": slot.due,
                "response": response,
                "not_done": slot.not_done,
                "answers": answers_in_words(slot.instrument, response.answers) if response else [],
                "derived": derived_in_words(code, response.scores) if response else [],
                "correct_url": reverse("followup:correct", args=[visit.pk, code]) if slot.recorded else "",
            }
        )
    return rows


@role_required(*READERS)
def visit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One visit: its window, what was recorded (date, notes, each instrument with its derived
    values), adverse events found there, and its history of corrections."""
    user = _user(request)
    visit = selectors.visit_get(user=user, pk=pk)
    state = selectors.visit_instruments(visit=visit)
    return render(
        request,
        "followup/visit.html",
        {
            "visit": visit,
            "history": record_history(visit),
            "may_record": user.role in {r.value for r in services.VISIT_RECORDERS},
            "may_report": user.role in {r.value for r in AE_REPORTERS},
            "recorded": _recorded(visit, state),
            "open": [s.instrument for s in state.open_slots()],
            "death": state.death,
            "adverse_events": [
                (e, reverse("administrations:ae_detail", args=[e.pk]))
                for e in selectors.visit_adverse_events(visit=visit)
            ],
        },
    )


@role_required(*services.VISIT_RECORDERS)
def instrument_correct_view(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Correct one recorded instrument of a visit, with a reason (kept in its history)."""
    user = _user(request)
    visit = selectors.visit_get(user=user, pk=pk)
    state = selectors.visit_instruments(visit=visit)
    slot = next((s for s in state.slots if s.instrument.code == code and s.recorded), None)
    if slot is None:
        raise Http404("Nothing recorded for this instrument at this visit.")
    record = slot.response or slot.not_done
    assert record is not None
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = dict(slot.response.answers) if slot.response else {}
    if slot.not_done is not None:
        initial["not_done_reason"] = slot.not_done.reason
    form = InstrumentForm(slot.instrument, data, initial=initial, with_not_done=slot.not_done is not None)
    meta = InstrumentCorrectionForm(data, initial={"version": record.version, "weight_kg": visit.weight_kg})
    if code != "six_minute_walk":
        del meta.fields["weight_kg"]
    if data is not None and all([meta.is_valid(), form.is_valid()]):
        try:
            services.instrument_correct(
                visit=visit,
                user=user,
                code=code,
                version=meta.cleaned_data["version"],
                reason=meta.cleaned_data["reason"],
                answers=form.answers(),
                not_done_reason=form.not_done() if slot.not_done is not None else "",
                weight_kg=meta.cleaned_data.get("weight_kg"),
            )
        except ValidationError as exc:
            _place_errors(exc, meta, {code: form})
        else:
            return redirect("followup:visit", pk=visit.pk)
    return render(
        request,
        "followup/instrument_correct.html",
        {
            "visit": visit,
            "form": form,
            "meta": meta,
            "slot": slot,
            "history": record_history(record),
        },
        status=400 if data is not None else 200,
    )


@role_required(*AE_REPORTERS)
def visit_adverse_event_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Report an adverse event found at this visit (graded afterwards by a physician)."""
    user = _user(request)
    visit = selectors.visit_get(user=user, pk=pk)
    form = VisitAdverseEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_adverse_event_report(visit=visit, user=user, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect("followup:visit", pk=visit.pk)
    return render(
        request,
        "followup/visit_form.html",
        {"form": form, "visit": visit, "title": "Report an adverse event found at this visit"},
        status=400 if request.method == "POST" else 200,
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
