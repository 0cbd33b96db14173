"""Addresses that only save a form (POST) answer a GET with the page that holds the form.

A form posted to such an address and refused is shown at that address; reloading
it from the address bar, a bookmark or the browser history then sends a GET,
which Django answers with a blank "405 Method Not Allowed". This middleware
turns every such 405 into a redirect to the page holding the form (with a
message), and any other 405 into a page that says what happened, so a person
never lands on a blank page. ``FORM_PAGES`` names the page for each POST-only
URL; the test ``tests/test_post_only.py`` finds every POST-only view in the URL
map and fails if one is missing here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

FormPage = Callable[[Mapping[str, Any]], str]

POST_ONLY_REDIRECTED = (
    "That address only saves a form, so here is the page that holds the form. Nothing was saved."
)
METHOD_NOT_ALLOWED = "This address does not open a page; it only saves a form."
#: Answers meant for programs, left as they are.
MACHINE_READABLE = ("application/problem+json", "application/fhir+json", "application/json")


def _same_key(name: str, key: str = "pk") -> FormPage:
    """The page ``name`` of the record whose key the POST-only URL carries as ``key``."""
    return lambda kwargs: reverse(name, kwargs={"pk": kwargs[key]})


def _patient_of_plan(kwargs: Mapping[str, Any]) -> str:
    """The patient page (where "Schedule the administration days" is), or the plan page if no such plan."""
    from stromal.plans.models import TreatmentPlan

    patient_id = (
        TreatmentPlan.objects.filter(pk=kwargs["plan_pk"]).values_list("patient_id", flat=True).first()
    )
    if patient_id is None:
        return reverse("plans:detail", kwargs={"pk": kwargs["plan_pk"]})
    return reverse("pathway:patient", kwargs={"pk": patient_id})


# POST-only URL name -> the page that holds its form.
FORM_PAGES: dict[str, FormPage] = {
    "accounts:logout": lambda kwargs: reverse("accounts:login"),
    "examinations:close": _same_key("examinations:detail"),
    "plans:eligibility_run": _same_key("examinations:detail", "encounter_pk"),
    "administrations:schedule": _patient_of_plan,
    "administrations:prepare": _same_key("administrations:detail"),
    "administrations:interrupt": _same_key("administrations:detail"),
    "administrations:resume": _same_key("administrations:detail"),
    "administrations:confirm_stop": _same_key("administrations:detail"),
    "administrations:off_schedule": _same_key("administrations:detail"),
    "products:release": _same_key("products:detail"),
    "products:discard": _same_key("products:detail"),
    "insilico:trial_cancel": _same_key("insilico:trial_detail"),
    "insilico:forecast_request": lambda kwargs: reverse("plans:detail", kwargs={"pk": kwargs["plan_pk"]}),
}


class PostOnlyMiddleware:
    """A GET (or HEAD) answered 405: redirect to the form's page, or explain; other answers pass unchanged."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or request.method not in ("GET", "HEAD"):
            return response
        if response.get("Content-Type", "").startswith(MACHINE_READABLE):
            return (
                response  # the REST API and FHIR say it themselves, in JSON (problem+json, OperationOutcome)
            )
        match = request.resolver_match
        page = FORM_PAGES.get(match.view_name) if match is not None else None
        if match is None or page is None:
            explained = render(request, "errors/405.html", {"message": METHOD_NOT_ALLOWED}, status=405)
            if response.has_header("Allow"):
                explained["Allow"] = response["Allow"]
            return explained
        messages.info(request, POST_ONLY_REDIRECTED)
        return redirect(page(match.kwargs))
