from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from stromal.accounts.access import role_required
from stromal.accounts.roles import CLINICAL_READERS
from stromal.forms_clinical import add_service_errors
from stromal.patients.forms import (
    PatientEditForm,
    PatientForm,
    RelatedPersonForm,
    show_duplicate_confirmation,
)
from stromal.patients.guards import request_user
from stromal.patients.selectors import patient_get, patient_list
from stromal.patients.services import (
    CONFIRM_DUPLICATE_FIELD,
    EDITABLE_FIELDS,
    PATIENT_WRITERS,
    patient_create,
    patient_update,
    related_person_add,
)

READERS = tuple(CLINICAL_READERS)


@role_required(*READERS)
def patient_index(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    patients = patient_list(user=request_user(request), search=search)
    can_create = request_user(request).has_role(*PATIENT_WRITERS)
    return render(
        request, "patients/list.html", {"patients": patients[:200], "q": search, "can_create": can_create}
    )


@role_required(*PATIENT_WRITERS)
@require_http_methods(["GET", "POST"])
def patient_new(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = patient_create(user=request_user(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            if form.has_error(CONFIRM_DUPLICATE_FIELD):
                show_duplicate_confirmation(form)
        else:
            messages.success(request, f"{patient.full_name} registered.")
            return redirect("pathway:patient", pk=patient.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "patients/form.html", {"form": form, "title": "Register a patient"}, status=status)


@role_required(*PATIENT_WRITERS)
@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_get(user=request_user(request), pk=pk)
    initial = {name: getattr(patient, name) for name in EDITABLE_FIELDS} | {"version": patient.version}
    form = PatientEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version, reason = data.pop("version"), data.pop("reason")
        changed = {k: v for k, v in data.items() if v != getattr(patient, k)}
        try:
            patient_update(
                patient=patient, user=request_user(request), version=version, reason=reason, **changed
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Patient record updated.")
            return redirect("pathway:patient", pk=patient.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "patients/form.html", {"form": form, "title": f"Edit {patient.full_name}"}, status=status
    )


@role_required(*PATIENT_WRITERS)
@require_http_methods(["GET", "POST"])
def related_new(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_get(user=request_user(request), pk=pk)
    form = RelatedPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            related_person_add(patient=patient, user=request_user(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Family member added.")
            return redirect("pathway:patient", pk=patient.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "patients/form.html",
        {"form": form, "title": f"Add a family member of {patient.full_name}"},
        status=status,
    )
