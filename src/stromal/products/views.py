"""Product-lot pages: lab / pharmacy manage lots; every clinical role reads them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from stromal.accounts.access import role_required
from stromal.accounts.models import User
from stromal.accounts.roles import CLINICAL_READERS, Role
from stromal.audit.selectors import record_history
from stromal.products import selectors, services
from stromal.products.forms import (
    DiscardForm,
    LotReceiveForm,
    LotResultsForm,
    VersionForm,
    add_validation_errors,
)
from stromal.products.models import LotStatus, ProductLot
from stromal.products.release import release_findings

READERS = tuple(CLINICAL_READERS)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@role_required(*READERS)
def lot_list_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in LotStatus.values:
        status = None
    lots = selectors.lot_list(user=_user(request), status=status)
    return render(
        request, "products/lot_list.html", {"lots": lots, "statuses": LotStatus.choices, "status": status}
    )


@role_required(*READERS)
def lot_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    lot = selectors.lot_get(user=_user(request), pk=pk)
    return render(request, "products/lot_detail.html", _detail_context(request, lot, []))


def _detail_context(request: HttpRequest, lot: ProductLot, errors: list[str]) -> dict[str, Any]:
    return {
        "lot": lot,
        "custody": selectors.lot_custody(lot=lot),
        "findings": release_findings(
            is_exosome=lot.is_exosome, results={n: getattr(lot, n) for n in services.RELEASE_INPUTS}
        ),
        "errors": errors,
        "version_form": VersionForm(initial={"version": lot.version}),
        "discard_form": DiscardForm(initial={"version": lot.version}),
        "may_manage": _user(request).role == Role.LAB,
        "allocation": getattr(lot, "administration", None),
        "history": record_history(lot),
    }


@role_required(Role.LAB)
def lot_receive_view(request: HttpRequest) -> HttpResponse:
    form = LotReceiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lot = services.lot_receive(actor=_user(request), **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect("products:detail", pk=lot.pk)
    return render(request, "products/lot_form.html", {"form": form, "title": "Receive a product unit"})


@role_required(Role.LAB)
def lot_results_view(request: HttpRequest, pk: int) -> HttpResponse:
    lot = selectors.lot_get(user=_user(request), pk=pk)
    initial = {n: getattr(lot, n) for n in services.RESULT_FIELDS}
    initial["version"] = lot.version
    form = LotResultsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.lot_record_results(
                lot=lot,
                actor=_user(request),
                expected_version=form.cleaned_data["version"],
                results=form.results(),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect("products:detail", pk=lot.pk)
    return render(
        request,
        "products/lot_form.html",
        {"form": form, "lot": lot, "title": f"Release tests of {lot.din_display}"},
    )


@require_POST
@role_required(Role.LAB)
def lot_release_view(request: HttpRequest, pk: int) -> HttpResponse:
    lot = selectors.lot_get(user=_user(request), pk=pk)
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            services.lot_release(lot=lot, actor=_user(request), expected_version=form.cleaned_data["version"])
        except ValidationError as exc:
            return _detail_with_errors(request, lot.pk, exc)
    return redirect("products:detail", pk=lot.pk)


@require_POST
@role_required(Role.LAB)
def lot_discard_view(request: HttpRequest, pk: int) -> HttpResponse:
    lot = selectors.lot_get(user=_user(request), pk=pk)
    form = DiscardForm(request.POST)
    if form.is_valid():
        try:
            services.lot_discard(
                lot=lot,
                actor=_user(request),
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            return _detail_with_errors(request, lot.pk, exc)
        return redirect("products:detail", pk=lot.pk)
    return _detail_with_errors(request, lot.pk, ValidationError("Give a reason for discarding the unit."))


def _detail_with_errors(request: HttpRequest, pk: int, exc: ValidationError) -> HttpResponse:
    """The detail page again, with the refusal shown at the top (status 400)."""
    lot = selectors.lot_get(user=_user(request), pk=pk)
    return render(
        request, "products/lot_detail.html", _detail_context(request, lot, exc.messages), status=400
    )
