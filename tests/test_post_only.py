"""A POST-only address opened with GET (a reload after a refused form) leads to the form's page, never a blank 405."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from stromal import post_only
from stromal.post_only import FORM_PAGES, METHOD_NOT_ALLOWED, POST_ONLY_REDIRECTED
from tests.administrations.factories import allocated_session
from tests.pathway.factories import make_examination, make_patient
from tests.products.factories import received_lot

HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}


def _patterns(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, Callable[..., Any]]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry.callback


def _allowed_methods(view: Callable[..., Any]) -> set[str]:
    """The methods a view answers: a class-based view's handlers, or the list a
    ``require_http_methods`` decorator anywhere in the wrapper chain holds."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
    func: Any = view
    while func is not None:
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, list | tuple) and value and set(value) <= HTTP_METHODS:
                return set(value)
        func = getattr(func, "__wrapped__", None)
    return HTTP_METHODS


#: Addresses for programs (the REST API and FHIR): they hold no form and answer a wrong method
#: themselves, in JSON (see the last test below).
MACHINE_READABLE = ("api-v1:", "fhir:")


def _post_only_urls() -> set[str]:
    return {
        name
        for name, view in _patterns(get_resolver())
        if "GET" not in _allowed_methods(view) and not name.startswith(MACHINE_READABLE)
    }


def test_the_url_map_has_post_only_views_and_the_detector_finds_them() -> None:
    found = _post_only_urls()
    assert {"examinations:close", "products:release", "accounts:logout"} <= found
    assert "examinations:detail" not in found and "patients:new" not in found


def test_every_post_only_url_names_the_page_that_holds_its_form() -> None:
    assert _post_only_urls() == set(FORM_PAGES)


INVESTIGATOR_CASES = ("insilico:trial_cancel",)


def _investigator_cases(cast: Any) -> dict[str, tuple[dict[str, int], str]]:
    from stromal.insilico import services
    from tests.insilico.conftest import TINY_TOML

    config = services.trial_config_from_toml(TINY_TOML)
    run = services.trial_run_request(user=cast.ivan, config=config, source="toml", enqueue=False)
    return {"insilico:trial_cancel": ({"pk": run.pk}, reverse("insilico:trial_detail", args=[run.pk]))}


@pytest.mark.django_db
def test_a_get_of_every_post_only_url_redirects_to_the_page_with_its_form(client: Any, cast: Any) -> None:
    encounter = make_examination(cast, make_patient(cast.cora, "MRN-9"))
    session = allocated_session(cast)
    lot = received_lot(cast.luke)
    plan_patient = session.plan.patient_id
    cases = {
        "examinations:close": ({"pk": encounter.pk}, reverse("examinations:detail", args=[encounter.pk])),
        "plans:eligibility_run": (
            {"encounter_pk": encounter.pk},
            reverse("examinations:detail", args=[encounter.pk]),
        ),
        "administrations:schedule": (
            {"plan_pk": session.plan_id},
            reverse("pathway:patient", args=[plan_patient]),
        ),
        "products:release": ({"pk": lot.pk}, reverse("products:detail", args=[lot.pk])),
        "products:discard": ({"pk": lot.pk}, reverse("products:detail", args=[lot.pk])),
        "accounts:logout": ({}, reverse("accounts:login")),
        "insilico:forecast_request": (
            {"plan_pk": session.plan_id},
            reverse("plans:detail", args=[session.plan_id]),
        ),
        **{
            f"administrations:{name}": (
                {"pk": session.pk},
                reverse("administrations:detail", args=[session.pk]),
            )
            for name in ("prepare", "interrupt", "resume", "confirm_stop", "off_schedule")
        },
    }
    assert set(cases) | set(INVESTIGATOR_CASES) == set(FORM_PAGES)
    client.force_login(cast.alice)
    for name, (kwargs, page) in cases.items():
        response = client.get(reverse(name, kwargs=kwargs))
        assert (name, response.status_code, response.get("Location")) == (name, 302, page)
        landed = client.get(page)
        assert landed.status_code == 200, name
        assert POST_ONLY_REDIRECTED in landed.content.decode(), name
    client.force_login(cast.ivan)
    for name, (kwargs, page) in _investigator_cases(cast).items():
        response = client.get(reverse(name, kwargs=kwargs))
        assert (name, response.status_code, response.get("Location")) == (name, 302, page)
        landed = client.get(page)
        assert landed.status_code == 200, name
        assert POST_ONLY_REDIRECTED in landed.content.decode(), name


@pytest.mark.django_db
def test_a_refused_form_reloaded_with_get_leads_back_to_its_page(client: Any, cast: Any) -> None:
    encounter = make_examination(cast, make_patient(cast.cora, "MRN-9"))
    client.force_login(cast.alice)
    url = reverse("plans:eligibility_run", kwargs={"encounter_pk": encounter.pk})
    assert client.post(url, {"protocol": "999999"}).status_code in (302, 400, 404)
    reloaded = client.get(url, follow=True)
    assert reloaded.status_code == 200
    assert reloaded.redirect_chain == [(reverse("examinations:detail", args=[encounter.pk]), 302)]


@pytest.mark.django_db
def test_a_405_without_a_known_form_page_is_explained_not_blank(
    client: Any, cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lot = received_lot(cast.luke)
    monkeypatch.setattr(post_only, "FORM_PAGES", {})
    client.force_login(cast.luke)
    response = client.get(reverse("products:release", kwargs={"pk": lot.pk}))
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert METHOD_NOT_ALLOWED in response.content.decode()


@pytest.mark.django_db
def test_a_post_that_is_refused_with_405_elsewhere_is_left_alone(client: Any, cast: Any) -> None:
    client.force_login(cast.alice)
    assert client.put(reverse("examinations:close", kwargs={"pk": 1})).status_code == 405


@pytest.mark.django_db
def test_a_get_of_a_post_only_fhir_address_is_answered_in_json_not_redirected(client: Any, cast: Any) -> None:
    patient = make_patient(cast.cora, "MRN-9")
    client.force_login(cast.alice)
    response = client.get(reverse("fhir:lab_import", kwargs={"patient_id": patient.pk}))
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert response.json()["resourceType"] == "OperationOutcome"
