"""Bedside pages. Nurses (and physicians) run sessions and enter vitals; lab /
pharmacy allocate units; physicians confirm stopping-rule events and grade
adverse events; every clinical role of the site reads; read-only roles change
nothing (the services refuse them too)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from stromal.accounts.access import role_required
from stromal.accounts.models import User
from stromal.accounts.roles import CLINICAL_READERS, Role
from stromal.administrations import selectors, services
from stromal.administrations.forms import (
    AdverseEventGradeForm,
    AdverseEventReportForm,
    AllocateForm,
    BaselineForm,
    ConfirmStopForm,
    GivenCorrectionForm,
    GivenForm,
    IdentityCheckForm,
    OffScheduleForm,
    ReasonForm,
    VersionForm,
    VitalsForm,
)
from stromal.administrations.models import AdministrationSession
from stromal.plans.selectors import plan_get
from stromal.products.forms import add_validation_errors
from stromal.products.models import LotStatus, ProductLot

READERS = tuple(CLINICAL_READERS)
RUNNERS = services.SESSION_RUNNERS


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _vitals_due(session: AdministrationSession) -> list[dict[str, Any]]:
    """The protocol's vitals schedule with what has been recorded at each time point."""
    protocol = session.plan.protocol_version.to_protocol()
    taken = {v.scheduled_minute for v in session.vitals.all() if v.scheduled_minute is not None}
    return [{"minute": m, "taken": m in taken} for m in protocol.vitals_minutes]


@role_required(*READERS)
def session_list_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    today = timezone.localdate()
    return render(
        request,
        "administrations/session_list.html",
        {
            "today": today,
            "due": selectors.sessions_today(user=user, day=today),
            "awaiting": selectors.sessions_awaiting_confirmation(user=user),
            "needing_product": selectors.sessions_needing_product(user=user),
            "ungraded": selectors.adverse_events_ungraded(user=user),
        },
    )


@require_POST
@role_required(*services.SCHEDULERS)
def schedule_view(request: HttpRequest, plan_pk: int) -> HttpResponse:
    plan = plan_get(user=_user(request), pk=plan_pk)
    try:
        sessions = services.sessions_schedule(plan=plan, user=_user(request))
    except ValidationError as exc:
        return render(request, "administrations/refused.html", {"errors": exc.messages}, status=400)
    return redirect("administrations:detail", pk=sessions[0].pk)


def _detail_context(request: HttpRequest, session: AdministrationSession, **extra: Any) -> dict[str, Any]:
    user = _user(request)
    vitals = list(session.vitals.all())
    vitals_table = selectors.values_table(
        [{"minute": f"{v.minutes_since_start:.0f}", **v.values} for v in vitals],
        lead=[("Minutes from start", "minute")],
    )
    window_first, window_last = services.administration_window(session)
    return {
        "session": session,
        "checks": session.identity_checks.select_related("checker"),
        "vitals_table": vitals_table,
        "vitals_rows": list(zip(vitals_table.rows, [v.hits for v in vitals], strict=True)),
        "baseline_table": selectors.values_table([session.baseline]) if session.baseline else None,
        "history": selectors.record_history(session),
        "window_first": window_first,
        "window_last": window_last,
        "off_schedule_today": not services.in_window(session, timezone.now()),
        "due": _vitals_due(session),
        "interruptions": session.interruptions.all(),
        "events": session.adverse_events.all(),
        "version_form": VersionForm(initial={"version": session.version}),
        "may_run": user.role in {r.value for r in RUNNERS},
        "may_confirm": user.role == Role.PHYSICIAN,
        "may_allocate": user.role == Role.LAB,
        "off_schedule_form": OffScheduleForm(initial={"version": session.version}),
        **extra,
    }


@role_required(*READERS)
def session_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(user=_user(request), pk=pk)
    return render(request, "administrations/session_detail.html", _detail_context(request, session))


def _form_page(
    request: HttpRequest,
    session: AdministrationSession,
    form: forms.Form,
    title: str,
    action: Callable[[dict[str, Any]], Any],
) -> HttpResponse:
    """Run ``action`` on a valid POST; show the service's refusal next to the field otherwise."""
    if request.method == "POST" and form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect("administrations:detail", pk=session.pk)
    return render(
        request,
        "administrations/session_form.html",
        {"form": form, "session": session, "title": title},
        status=400 if request.method == "POST" else 200,
    )


@role_required(Role.LAB)
def allocate_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    session = selectors.session_get(user=user, pk=pk)
    lots = ProductLot.objects.filter(
        site_id=session.patient.site_id, status=LotStatus.RELEASED, expires_at__gt=timezone.now()
    )
    form = AllocateForm(request.POST or None, lots=lots, initial={"version": session.version})
    return _form_page(
        request,
        session,
        form,
        f"Allocate a unit to {session}",
        lambda d: services.session_allocate(session=session, lot=d["lot"], user=user, version=d["version"]),
    )


def _post_action(
    request: HttpRequest,
    pk: int,
    action: Callable[[AdministrationSession, User, dict[str, Any]], Any],
    form_class: type[forms.Form] = VersionForm,
) -> HttpResponse:
    user = _user(request)
    session = selectors.session_get(user=user, pk=pk)
    form = form_class(request.POST)
    errors: list[str] = []
    if form.is_valid():
        try:
            action(session, user, form.cleaned_data)
        except ValidationError as exc:
            errors = exc.messages
        else:
            return redirect("administrations:detail", pk=pk)
    else:
        errors = [f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()]
    session.refresh_from_db()
    return render(
        request,
        "administrations/session_detail.html",
        _detail_context(request, session, errors=errors),
        status=400,
    )


@require_POST
@role_required(*RUNNERS)
def prepare_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request, pk, lambda s, u, d: services.session_prepare(session=s, user=u, version=d["version"])
    )


@require_POST
@role_required(*RUNNERS)
def interrupt_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda s, u, d: services.session_interrupt(
            session=s, user=u, version=d["version"], reason=d["reason"]
        ),
        ReasonForm,
    )


@require_POST
@role_required(*RUNNERS)
def resume_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request, pk, lambda s, u, d: services.session_resume(session=s, user=u, version=d["version"])
    )


@require_POST
@role_required(Role.PHYSICIAN)
def off_schedule_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda s, u, d: services.session_authorise_off_schedule(
            session=s, physician=u, version=d["version"], reason=d["reason"]
        ),
        OffScheduleForm,
    )


@require_POST
@role_required(Role.PHYSICIAN)
def confirm_stop_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda s, u, d: services.session_confirm_stop(
            session=s, physician=u, version=d["version"], note=d["note"]
        ),
        ConfirmStopForm,
    )


@role_required(*RUNNERS)
def identity_check_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    session = selectors.session_get(user=user, pk=pk)
    form = IdentityCheckForm(request.POST or None, initial={"version": session.version})
    if request.method == "POST" and form.is_valid():
        try:
            result = services.identity_check(
                session=session,
                user=user,
                version=form.cleaned_data["version"],
                patient_identifier=form.cleaned_data["patient_identifier"],
                product_identifier=form.cleaned_data["product_identifier"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            if result.matched:
                return redirect("administrations:detail", pk=session.pk)
            for problem in result.problems:
                field = "patient_identifier" if problem == services.PATIENT_MISMATCH else "product_identifier"
                form.add_error(field, f"MISMATCH — do not proceed. {problem}")
    return render(
        request,
        "administrations/session_form.html",
        {"form": form, "session": session, "title": "Bedside identity check", "hide_identifiers": True},
        status=400 if request.method == "POST" else 200,
    )


@role_required(*RUNNERS)
def start_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    session = selectors.session_get(user=user, pk=pk)
    form = BaselineForm(request.POST or None, initial={"version": session.version})
    return _form_page(
        request,
        session,
        form,
        "Baseline vitals and start",
        lambda d: services.session_start(
            session=session,
            user=user,
            version=d["version"],
            baseline=form.values(),
        ),
    )


@role_required(*RUNNERS)
def vitals_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    session = selectors.session_get(user=user, pk=pk)
    minutes = session.plan.protocol_version.to_protocol().vitals_minutes
    form = VitalsForm(
        request.POST or None, minutes=minutes, initial={"scheduled_minute": request.GET.get("minute")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.vitals_record(
                session=session,
                user=user,
                values=form.values(),
                taken_at=form.cleaned_data["taken_at"],
                scheduled_minute=form.cleaned_data["scheduled_minute"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect("administrations:detail", pk=session.pk)
    return render(
        request,
        "administrations/session_form.html",
        {"form": form, "session": session, "title": "Vitals", "due": _vitals_due(session)},
        status=400 if request.method == "POST" else 200,
    )


@role_required(*RUNNERS)
def given_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    session = selectors.session_get(user=user, pk=pk)
    if session.volume_given_ml is not None:
        correction = GivenCorrectionForm(
            request.POST or None,
            initial={
                "version": session.version,
                "volume_given_ml": session.volume_given_ml,
                "cells_given": session.cells_given,
                "particles_given": session.particles_given,
            },
        )
        return _form_page(
            request,
            session,
            correction,
            "Correct the amount given",
            lambda d: services.session_correct_given(
                session=session,
                user=user,
                version=d["version"],
                volume_given_ml=d["volume_given_ml"],
                cells_given=d["cells_given"],
                particles_given=d["particles_given"],
                reason=d["reason"],
            ),
        )
    form = GivenForm(request.POST or None, initial={"version": session.version})
    return _form_page(
        request,
        session,
        form,
        "Amount actually given",
        lambda d: services.session_record_given(
            session=session,
            user=user,
            version=d["version"],
            volume_given_ml=d["volume_given_ml"],
            cells_given=d["cells_given"],
            particles_given=d["particles_given"],
            ended_at=d["ended_at"],
            early_stop_reason=d["early_stop_reason"],
        ),
    )


@role_required(*services.AE_REPORTERS)
def ae_report_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    session = selectors.session_get(user=user, pk=pk)
    form = AdverseEventReportForm(
        request.POST or None, initial={"onset_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    )
    return _form_page(
        request,
        session,
        form,
        "Report an adverse event",
        lambda d: services.adverse_event_report(
            session=session, user=user, term=d["term"], onset_at=d["onset_at"], description=d["description"]
        ),
    )


@role_required(*READERS)
def ae_list_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "administrations/ae_list.html",
        {
            "events": selectors.adverse_event_list(user=user),
            "expedited": selectors.adverse_events_expedited(user=user),
        },
    )


@role_required(*READERS)
def ae_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.adverse_event_get(user=_user(request), pk=pk)
    return render(
        request,
        "administrations/ae_detail.html",
        {"event": event, "history": selectors.record_history(event)},
    )


@role_required(Role.PHYSICIAN)
def ae_grade_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    event = selectors.adverse_event_get(user=user, pk=pk)
    initial = {
        "version": event.version,
        "ctcae_grade": event.ctcae_grade,
        "serious": event.serious,
        "seriousness_criteria": event.seriousness_criteria,
        "relatedness": event.relatedness,
        "outcome": event.outcome,
        "action_taken": event.action_taken,
    }
    form = AdverseEventGradeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.adverse_event_grade(
                event=event,
                physician=user,
                version=d["version"],
                ctcae_grade=d["ctcae_grade"],
                serious=d["serious"],
                seriousness_criteria=list(d["seriousness_criteria"]),
                relatedness=d["relatedness"],
                outcome=d["outcome"],
                action_taken=d["action_taken"],
                reason=d["reason"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect("administrations:ae_detail", pk=event.pk)
    return render(
        request,
        "administrations/ae_grade.html",
        {"form": form, "event": event},
        status=400 if request.method == "POST" else 200,
    )
