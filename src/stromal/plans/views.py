from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from stromal import display
from stromal.accounts.access import role_required
from stromal.accounts.reauth import reauthenticate
from stromal.accounts.roles import CLINICAL_READERS
from stromal.accounts.zones import format_when
from stromal.audit.selectors import record_history
from stromal.examinations.selectors import encounter_get
from stromal.forms_clinical import add_service_errors
from stromal.insilico.forecast_views import forecast_panel
from stromal.patients.guards import request_user, require_role
from stromal.plans.forms import (
    ConsentForm,
    DecisionForm,
    DraftForm,
    MeetingForm,
    OverrideForm,
    PlanEditForm,
    PlanReviseForm,
    SignForm,
    WithdrawForm,
)
from stromal.plans.models import TreatmentPlan
from stromal.plans.printouts import consent_document, plan_document
from stromal.plans.selectors import (
    active_signatures,
    consent_get,
    consent_history,
    current_decision,
    drafter_excluded,
    eligibility_get,
    plan_get,
    plan_lineage,
    plan_revisions,
    valid_consent,
)
from stromal.plans.services import (
    DECISION_RECORDERS,
    PHYSICIANS,
    consent_record,
    decision_record,
    eligibility_check,
    eligibility_override,
    meeting_record,
    plan_draft,
    plan_revise,
    plan_sign,
    plan_update,
    plan_withdraw,
    treatment_started,
)
from stromal.printouts.responses import printout_response
from stromal.products.models import ProductType
from stromal.protocols.models import ProtocolVersion

READERS = tuple(CLINICAL_READERS)
PROTOCOL_NOT_LISTED = (
    "Eligibility not checked: protocol “{value}” is not one of the listed protocols; choose one."
)


def _arms(plan_or_version: ProtocolVersion) -> list[tuple[str, str]]:
    """The protocol's arms as form choices: (code, what the arm gives in words)."""
    return [(a.name, display.arm_label(a, ProductType.choices)) for a in plan_or_version.to_protocol().arms]


def _plan_step(
    request: HttpRequest,
    plan: TreatmentPlan,
    form: forms.BaseForm,
    *,
    title: str,
    success: str,
    action: Callable[[dict[str, Any]], object],
) -> HttpResponse:
    """The shape every plan step shares: a valid POST runs the service; its
    refusal lands on the form (400), its success returns to the plan."""
    if request.method == "POST" and form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect("plans:detail", pk=plan.pk)
    return render(
        request,
        "plans/form.html",
        {"plan": plan, "form": form, "title": title},
        status=400 if request.method == "POST" else 200,
    )


@role_required(*PHYSICIANS)
@require_POST
def eligibility_run(request: HttpRequest, encounter_pk: int) -> HttpResponse:
    encounter = encounter_get(user=request_user(request), pk=encounter_pk)
    raw = request.POST.get("protocol", "").strip()
    version = ProtocolVersion.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if version is None:
        messages.error(request, PROTOCOL_NOT_LISTED.format(value=raw[:40]))
        return redirect("examinations:detail", pk=encounter.pk)
    check = eligibility_check(encounter=encounter, protocol_version=version, user=request_user(request))
    return redirect("plans:eligibility", pk=check.pk)


@role_required(*READERS)
@require_http_methods(["GET", "POST"])
def eligibility(request: HttpRequest, pk: int) -> HttpResponse:
    check = eligibility_get(user=request_user(request), pk=pk)
    arms = _arms(check.protocol_version)
    override = OverrideForm()
    draft = DraftForm(
        arms=arms,
        initial={
            "arm_name": next(
                (a.name for a in check.protocol_version.to_protocol().arms if not a.is_control), arms[0][0]
            )
        },
    )
    status = 200
    if request.method == "POST":
        require_role(request_user(request), "check eligibility or draft plans", *PHYSICIANS)
        if "override" in request.POST:
            override = OverrideForm(request.POST)
            if override.is_valid():
                try:
                    eligibility_override(
                        check=check, user=request_user(request), reason=override.cleaned_data["reason"]
                    )
                except ValidationError as exc:
                    add_service_errors(override, exc)
                else:
                    messages.success(request, "Override documented.")
                    return redirect("plans:eligibility", pk=check.pk)
        else:
            draft = DraftForm(request.POST, arms=arms)
            if draft.is_valid():
                try:
                    plan = plan_draft(check=check, user=request_user(request), **draft.cleaned_data)
                except ValidationError as exc:
                    add_service_errors(draft, exc)
                else:
                    messages.success(request, "Plan drafted; two physicians must now sign it.")
                    return redirect("plans:detail", pk=plan.pk)
        status = 400
    is_physician = request_user(request).has_role(*PHYSICIANS)
    return render(
        request,
        "plans/eligibility.html",
        {"check": check, "override": override, "draft": draft, "is_physician": is_physician},
        status=status,
    )


def _plan_context(request: HttpRequest, plan: TreatmentPlan) -> dict[str, Any]:
    me = request_user(request)
    signatures = list(active_signatures(plan))
    return {
        "plan": plan,
        "patient": plan.patient,
        "protocol": plan.protocol_version.to_protocol(),
        "signatures": signatures,
        "voided": plan.signatures.filter(voided_at__isnull=False).select_related("signer"),
        "meetings": plan.meetings.prefetch_related("physicians", "family_members"),
        "consent": valid_consent(plan),
        "consents": consent_history(plan),
        "decision": current_decision(plan),
        "decisions": plan.decisions.select_related("recorded_by"),
        "earlier": plan_lineage(plan)[1:],
        "revisions": plan_revisions(plan),
        "started": treatment_started(plan),
        "history": record_history(plan),
        "is_physician": me.has_role(*PHYSICIANS),
        "can_decide": me.has_role(*DECISION_RECORDERS),
        "signed_by_me": any(s.signer_id == request_user(request).pk for s in signatures),
        "drafted_by_me": drafter_excluded(plan, me),
        "forecast": forecast_panel(plan, me),
    }


@role_required(*READERS)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(user=request_user(request), pk=pk)
    return render(request, "plans/detail.html", _plan_context(request, plan))


@role_required(*READERS)
def plan_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan and its signatures laid out for printing, or as a PDF (``?format=pdf``)."""
    user = request_user(request)
    return printout_response(request, plan_document(plan=plan_get(user=user, pk=pk), user=user))


@role_required(*READERS)
def consent_print(request: HttpRequest, pk: int) -> HttpResponse:
    """One consent with who gave, witnessed and recorded it, for printing or as a PDF."""
    user = request_user(request)
    return printout_response(request, consent_document(consent=consent_get(user=user, pk=pk), user=user))


@role_required(*PHYSICIANS)
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(user=request_user(request), pk=pk)
    form = SignForm(request.POST or None, initial={"version": plan.version})
    refusal = None
    if request.method == "POST" and form.is_valid():
        refusal = reauthenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if refusal:
            form.add_error("password", refusal)
    if request.method == "POST" and form.is_valid() and not refusal:
        try:
            signature = plan_sign(
                plan=plan,
                physician=request_user(request),
                password=form.cleaned_data["password"],
                version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Signed by {signature.printed_name} on {format_when(signature.signed_at)}: {signature.meaning}.",
            )
            return redirect("plans:detail", pk=plan.pk)
    context = _plan_context(request, plan) | {"form": form, "now": timezone.now()}
    return render(request, "plans/sign.html", context, status=400 if request.method == "POST" else 200)


@role_required(*PHYSICIANS)
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(user=request_user(request), pk=pk)
    arms = _arms(plan.protocol_version)
    form = PlanEditForm(
        request.POST or None,
        arms=arms,
        initial={"version": plan.version, "arm_name": plan.arm_name, "notes": plan.notes},
    )
    return _plan_step(
        request,
        plan,
        form,
        title="Change the plan",
        success="Plan changed; any signatures were voided and it needs two new ones.",
        action=lambda data: plan_update(plan=plan, user=request_user(request), **data),
    )


@role_required(*PHYSICIANS)
@require_http_methods(["GET", "POST"])
def revise(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(user=request_user(request), pk=pk)
    form = PlanReviseForm(
        request.POST or None,
        arms=_arms(plan.protocol_version),
        initial={"version": plan.version, "arm_name": plan.arm_name, "notes": plan.notes},
    )
    if request.method == "POST" and form.is_valid():
        try:
            revision = plan_revise(plan=plan, user=request_user(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, "Revision drafted; two physicians must sign it. The current plan applies until then."
            )
            return redirect("plans:detail", pk=revision.pk)
    return render(
        request,
        "plans/form.html",
        {"plan": plan, "form": form, "title": f"Revise the plan (revision {plan.revision + 1})"},
        status=400 if request.method == "POST" else 200,
    )


@role_required(*DECISION_RECORDERS)
@require_http_methods(["GET", "POST"])
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(user=request_user(request), pk=pk)
    form = MeetingForm(
        request.POST or None,
        plan=plan,
        initial={"held_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    return _plan_step(
        request,
        plan,
        form,
        title="Record the plan meeting",
        success="Plan meeting recorded.",
        action=lambda data: meeting_record(plan=plan, user=request_user(request), **data),
    )


@role_required(*DECISION_RECORDERS)
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(user=request_user(request), pk=pk)
    initial = {
        "given_by": plan.patient.full_name,
        "given_at": timezone.localtime().replace(second=0, microsecond=0),
    }
    form = ConsentForm(request.POST or None, initial=initial)
    return _plan_step(
        request,
        plan,
        form,
        title="Record consent",
        success="Consent recorded.",
        action=lambda data: consent_record(plan=plan, user=request_user(request), **data),
    )


@role_required(*DECISION_RECORDERS)
@require_http_methods(["GET", "POST"])
def decision(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(user=request_user(request), pk=pk)
    form = DecisionForm(request.POST or None)

    def record(data: dict[str, Any]) -> None:
        choice = data["decision"]
        decision_record(
            plan=plan,
            user=request_user(request),
            decision=choice,
            notes=data["notes"],
            consent=valid_consent(plan) if choice == "accept" else None,
            meeting=plan.meetings.order_by("-held_at").first(),
        )

    return _plan_step(
        request,
        plan,
        form,
        title="Record the patient's decision",
        success="The patient's decision is recorded.",
        action=record,
    )


@role_required(*PHYSICIANS)
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(user=request_user(request), pk=pk)
    form = WithdrawForm(request.POST or None, initial={"version": plan.version})
    return _plan_step(
        request,
        plan,
        form,
        title="Withdraw the plan",
        success="Plan withdrawn; its signatures are void.",
        action=lambda data: plan_withdraw(plan=plan, user=request_user(request), **data),
    )
