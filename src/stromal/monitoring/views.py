"""Monitoring screens: verification progress, a patient's records to verify, queries, sign-off.

A POST that fails shows the page again with the message next to the field;
a GET of a POST-only address goes to the page that holds its form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from stromal.accounts.access import role_required
from stromal.accounts.reauth import reauthenticate
from stromal.accounts.roles import Role
from stromal.forms_clinical import add_service_errors
from stromal.monitoring import selectors, services
from stromal.monitoring.forms import CasebookSignForm, QueryOpenForm, QueryStepForm, RecordForm, UnlockForm
from stromal.monitoring.models import DataQuery, QueryStatus
from stromal.monitoring.printouts import casebook_document
from stromal.patients.guards import request_user
from stromal.patients.models import Patient
from stromal.patients.selectors import patient_get
from stromal.printouts.responses import printout_response

MONITORING_READERS = (Role.MONITOR, Role.INVESTIGATOR, Role.ADMIN)
QUERY_READERS = (*MONITORING_READERS, *services.QUERY_ANSWERERS)
PATIENTS_PER_PAGE = 50


@role_required(*MONITORING_READERS)
def monitoring_index(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    page = Paginator(selectors.site_patients(user=user), PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    ids = [p.pk for p in page.object_list]
    progress = selectors.progress_by_patient(patient_ids=ids)
    locked = selectors.locked_patient_ids(patient_ids=ids)
    rows = [(p, progress[p.pk], p.pk in locked) for p in page.object_list]
    verified = sum(pr.verified for _, pr, _ in rows)
    total = sum(pr.total for _, pr, _ in rows)
    return render(
        request,
        "monitoring/index.html",
        {
            "page": page,
            "rows": rows,
            "page_progress": selectors.Progress(verified, total),
            "open_queries": selectors.queries_for(user=user).count(),
        },
    )


def _review(request: HttpRequest, patient: Patient, status: int = 200, **forms: Any) -> HttpResponse:
    user = request_user(request)
    records = selectors.patient_records(patient=patient)
    context = {
        "patient": patient,
        "records": records,
        "progress": selectors.Progress(sum(r.state == selectors.VERIFIED for r in records), len(records)),
        "queries": DataQuery.objects.filter(patient=patient)
        .select_related("opened_by")
        .order_by("-opened_at"),
        "lock": selectors.casebook_lock(patient=patient),
        "signatures": selectors.casebook_signatures(patient=patient),
        "may_verify": user.role == Role.MONITOR,
        "may_sign": user.role == Role.INVESTIGATOR,
        "may_unlock": user.role == Role.ADMIN,
        "query_form": forms.get("query_form") or QueryOpenForm(),
        "sign_form": forms.get("sign_form") or CasebookSignForm(),
        "unlock_form": forms.get("unlock_form") or UnlockForm(),
        "errors": forms.get("errors", []),
    }
    return render(request, "monitoring/patient.html", context, status=status)


@role_required(*MONITORING_READERS)
def patient_review(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, patient_get(user=request_user(request), pk=pk))


@role_required(*MONITORING_READERS)
def casebook_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient's whole casebook laid out for printing, or as a PDF (``?format=pdf``)."""
    user = request_user(request)
    patient = patient_get(user=user, pk=pk)
    return printout_response(request, casebook_document(patient=patient, user=user))


def _back(pk: int) -> HttpResponse:
    return redirect(reverse("monitoring:patient", args=[pk]))


@role_required(*services.VERIFIERS)
@require_http_methods(["GET", "POST"])
def record_verify_view(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_get(user=request_user(request), pk=pk)
    if request.method == "GET":
        return _back(pk)
    form = RecordForm(request.POST)
    if not form.is_valid():
        return _review(request, patient, status=400, errors=["Choose a record to verify."])
    try:
        services.record_verify(user=request_user(request), patient=patient, **form.cleaned_data)
    except ValidationError as exc:
        return _review(request, patient, status=400, errors=exc.messages)
    return redirect(reverse("monitoring:patient", args=[pk]) + "#records")


def _patient_form_post(
    request: HttpRequest,
    pk: int,
    form: forms.Form,
    form_key: str,
    action: Callable[[Patient, dict[str, Any]], HttpResponse],
) -> HttpResponse:
    """The shape of the review page's forms: a GET goes back to the page; a valid form runs
    ``action`` (a service call and the redirect); a refusal shows the page again with the
    message next to the field (400)."""
    patient = patient_get(user=request_user(request), pk=pk)
    if request.method == "GET":
        return _back(pk)
    if form.is_valid():
        try:
            return action(patient, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _review(request, patient, status=400, **{form_key: form})


@role_required(*services.QUERY_OWNERS)
@require_http_methods(["GET", "POST"])
def query_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    def action(patient: Patient, data: dict[str, Any]) -> HttpResponse:
        query = services.query_open(user=request_user(request), patient=patient, **data)
        return redirect("monitoring:query", pk=query.pk)

    return _patient_form_post(request, pk, QueryOpenForm(request.POST or None), "query_form", action)


@role_required(*services.CASEBOOK_SIGNERS)
@require_http_methods(["GET", "POST"])
def casebook_sign_view(request: HttpRequest, pk: int) -> HttpResponse:
    def action(patient: Patient, data: dict[str, Any]) -> HttpResponse:
        # Checked as a sign-in is, so wrong passwords count towards the lockout.
        refusal = reauthenticate(request, username=data["username"], password=data["password"])
        if refusal:
            raise ValidationError({"password": refusal})
        services.casebook_sign(user=request_user(request), patient=patient, **data)
        return _back(pk)

    return _patient_form_post(request, pk, CasebookSignForm(request.POST or None), "sign_form", action)


@role_required(*services.CASEBOOK_UNLOCKERS)
@require_http_methods(["GET", "POST"])
def casebook_unlock_view(request: HttpRequest, pk: int) -> HttpResponse:
    def action(patient: Patient, data: dict[str, Any]) -> HttpResponse:
        services.casebook_unlock(user=request_user(request), patient=patient, **data)
        return _back(pk)

    return _patient_form_post(request, pk, UnlockForm(request.POST or None), "unlock_form", action)


@role_required(*QUERY_READERS)
def query_list(request: HttpRequest) -> HttpResponse:
    queries = selectors.queries_for(user=request_user(request))
    page = Paginator(queries, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "monitoring/queries.html", {"page": page})


STEPS = {
    "answer": (services.query_answer, services.QUERY_ANSWERERS),
    "close": (services.query_close, services.QUERY_OWNERS),
    "reopen": (services.query_reopen, services.QUERY_OWNERS),
}


@role_required(*QUERY_READERS)
@require_http_methods(["GET", "POST"])
def query_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    query = selectors.query_get(user=user, pk=pk)
    form = QueryStepForm(request.POST or None, initial={"version": query.version})
    if request.method == "POST":
        step = STEPS.get(request.POST.get("step", ""))
        if step is None:
            form.add_error(None, "Choose answer, close or re-open.")
        elif user.role not in {r.value for r in step[1]}:
            form.add_error(None, f"Your role ({user.role}) may not do this.")
        elif form.is_valid():
            try:
                step[0](
                    query=query,
                    user=user,
                    version=form.cleaned_data["version"],
                    text=form.cleaned_data["text"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("monitoring:query", pk=query.pk)
    steps = []
    if user.role in {r.value for r in services.QUERY_ANSWERERS} and query.status == QueryStatus.OPEN:
        steps.append(("answer", "Answer"))
    if user.role == Role.MONITOR and query.status != QueryStatus.CLOSED:
        steps.append(("close", "Close"))
    if user.role == Role.MONITOR and query.status != QueryStatus.OPEN:
        steps.append(("reopen", "Re-open"))
    return render(
        request,
        "monitoring/query.html",
        {
            "query": query,
            "messages_": query.messages.select_related("author"),
            "form": form,
            "steps": steps,
            "record_url": reverse("audit:record", args=[query.object_type, query.object_id]),
        },
    )
