from __future__ import annotations

from collections.abc import Mapping

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from stromal.accounts.access import role_required
from stromal.accounts.roles import CLINICAL_READERS
from stromal.clinical.validation import FieldSpec
from stromal.examinations.fields import SECTIONS
from stromal.examinations.forms import (
    REASON_FIELD,
    CloseForm,
    ScheduleForm,
    examination_form,
    fieldsets,
    observation_values,
)
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
from stromal.forms_clinical import VersionedForm, add_service_errors
from stromal.patients.guards import request_user, require_role
from stromal.patients.selectors import patient_get
from stromal.protocols.selectors import protocol_list

READERS = tuple(CLINICAL_READERS)


def _page(
    request: HttpRequest,
    encounter: Encounter,
    form: VersionedForm | None = None,
    status: int = 200,
) -> HttpResponse:
    values = current_values(encounter)
    if form is None:
        form = examination_form(initial={**values, "version": encounter.version})
    me = request_user(request)
    return render(
        request,
        "examinations/detail.html",
        {
            "encounter": encounter,
            "patient": encounter.patient,
            "form": form,
            "fieldsets": fieldsets(form),
            "recorded": _recorded(values),
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


def _recorded(values: Mapping[str, object]) -> list[tuple[str, list[tuple[FieldSpec, object]]]]:
    """The recorded values by section, for the read-only view (sections with nothing are left out)."""
    sections = [
        (title, [(s, values[s.name]) for s in specs if s.name in values]) for _, title, specs in SECTIONS
    ]
    return [(title, rows) for title, rows in sections if rows]


@role_required(*READERS)
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The examination; a POST saves the whole form at once (the form posts back to this page)."""
    me = request_user(request)
    encounter = encounter_get(user=me, pk=pk)
    if request.method != "POST":
        return _page(request, encounter)
    require_role(me, "enter results", *RESULT_ENTRY)
    form = examination_form(data=request.POST)
    if form.is_valid():
        try:
            changes = observations_record(
                encounter=encounter,
                user=me,
                values=observation_values(form),
                version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{len(changes)} result(s) saved." if changes else "No result changed.")
            return redirect("examinations:detail", pk=encounter.pk)
    return _page(request, encounter, form, status=400)


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
def amend(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a closed examination: the whole form again, with the reason for the change."""
    encounter = encounter_get(user=request_user(request), pk=pk)
    initial = {**current_values(encounter), "version": encounter.version}
    form = examination_form(amend=True, data=request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            encounter_amend(
                encounter=encounter,
                user=request_user(request),
                values=observation_values(form),
                reason=form.cleaned_data[REASON_FIELD],
                version=form.cleaned_data["version"],
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
        {"encounter": encounter, "form": form, "fieldsets": fieldsets(form)},
        status=status,
    )


@role_required(*SCHEDULERS)
@require_http_methods(["GET", "POST"])
def schedule(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = patient_get(user=request_user(request), pk=patient_pk)
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            encounter = encounter_schedule(
                patient=patient, user=request_user(request), scheduled_for=form.cleaned_data["scheduled_for"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Examination scheduled.")
            return redirect("examinations:detail", pk=encounter.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "patients/form.html",
        {"form": form, "title": f"Schedule an examination for {patient.full_name}"},
        status=status,
    )
