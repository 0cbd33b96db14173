from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from stromal.accounts.access import role_required
from stromal.accounts.roles import CLINICAL_READERS
from stromal.examinations.fields import SECTION_CODES, SECTIONS
from stromal.examinations.forms import CloseForm, ScheduleForm, section_form
from stromal.examinations.models import Encounter
from stromal.examinations.selectors import assessment_latest, encounter_get
from stromal.examinations.services import (
    CLOSERS,
    RESULT_ENTRY,
    SCHEDULERS,
    current_values,
    encounter_amend,
    encounter_close,
    encounter_schedule,
    observations_record,
)
from stromal.forms_clinical import add_service_errors
from stromal.patients.guards import request_user
from stromal.patients.selectors import patient_get
from stromal.protocols.selectors import protocol_list

READERS = tuple(CLINICAL_READERS)


def _page(
    request: HttpRequest,
    encounter: Encounter,
    forms_by_section: dict[str, object] | None = None,
    status: int = 200,
) -> HttpResponse:
    values = current_values(encounter)
    forms_by_section = forms_by_section or {}
    sections = []
    for code, title, specs in SECTIONS:
        form = forms_by_section.get(code) or section_form(
            code, initial={**{s.name: values.get(s.name) for s in specs}, "version": encounter.version}
        )
        recorded = [(s, values[s.name]) for s in specs if s.name in values]
        sections.append({"code": code, "title": title, "form": form, "recorded": recorded})
    me = request_user(request)
    return render(
        request,
        "examinations/detail.html",
        {
            "encounter": encounter,
            "patient": encounter.patient,
            "sections": sections,
            "assessment": assessment_latest(encounter),
            "history": encounter.assessments.order_by("-sequence")[:20],
            "amendments": encounter.amendments.select_related("amended_by"),
            "can_enter": me.has_role(*RESULT_ENTRY) and not encounter.is_closed,
            "can_close": me.has_role(*CLOSERS) and not encounter.is_closed,
            "can_amend": me.has_role(*CLOSERS) and encounter.is_closed,
            "can_check": me.has_role(*CLOSERS),
            "protocols": protocol_list(),
            "close_form": CloseForm(initial={"version": encounter.version}),
        },
        status=status,
    )


@role_required(*READERS)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = encounter_get(user=request_user(request), pk=pk)
    return _page(request, encounter)


@role_required(*RESULT_ENTRY)
@require_POST
def enter(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    if section not in SECTION_CODES:
        raise Http404("no such section")
    encounter = encounter_get(user=request_user(request), pk=pk)
    form = section_form(section, data=request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            changes = observations_record(
                encounter=encounter, user=request_user(request), values=data, version=version
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{len(changes)} result(s) saved." if changes else "No result changed.")
            return redirect("examinations:detail", pk=encounter.pk)
    return _page(request, encounter, {section: form}, status=400)


@role_required(*CLOSERS)
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = encounter_get(user=request_user(request), pk=pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            encounter_close(
                encounter=encounter, user=request_user(request), version=form.cleaned_data["version"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Examination closed. Corrections now need an amendment with a reason.")
    return redirect("examinations:detail", pk=encounter.pk)


@role_required(*CLOSERS)
@require_http_methods(["GET", "POST"])
def amend(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    if section not in SECTION_CODES:
        raise Http404("no such section")
    encounter = encounter_get(user=request_user(request), pk=pk)
    values = current_values(encounter)
    initial = {**values, "version": encounter.version}
    form = section_form(section, amend=True, data=request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version, reason = data.pop("version"), data.pop("reason")
        try:
            encounter_amend(
                encounter=encounter, user=request_user(request), values=data, reason=reason, version=version
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Amendment saved.")
            return redirect("examinations:detail", pk=encounter.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "examinations/amend.html",
        {"encounter": encounter, "form": form, "section": section},
        status=status,
    )


@role_required(*SCHEDULERS)
@require_http_methods(["GET", "POST"])
def schedule(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = patient_get(user=request_user(request), pk=patient_pk)
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        encounter = encounter_schedule(
            patient=patient, user=request_user(request), scheduled_for=form.cleaned_data["scheduled_for"]
        )
        messages.success(request, "Examination scheduled.")
        return redirect("examinations:detail", pk=encounter.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "patients/form.html",
        {"form": form, "title": f"Schedule an examination for {patient.full_name}"},
        status=status,
    )
