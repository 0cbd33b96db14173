"""The bedside ARDS calculator: login, roles, assessments shown, errors by the field."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

URL = "/calculator/"

# A moderate ARDS case on invasive ventilation: P/F = 80 / 0.5 = 160 mmHg.
MODERATE_ARDS = {
    "pao2_mmhg": "80",
    "fio2": "0.5",
    "peep_cmh2o": "10",
    "support": "invasive",
    "onset_within_7_days": "true",
    "bilateral_opacities": "true",
    "edema_explained_by_cardiac_or_fluid": "false",
}


def _client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_url_is_the_calculator() -> None:
    assert reverse("calculator:ards") == URL


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_the_login_page() -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [("alice", 200), ("nina", 200), ("mona", 200), ("ivan", 200), ("ada", 200), ("cora", 403), ("luke", 403)],
)
def test_only_clinical_roles_may_open_the_calculator(cast, who: str, status: int) -> None:  # type: ignore[no-untyped-def]
    assert _client_for(getattr(cast, who)).get(URL).status_code == status


@pytest.mark.django_db
def test_it_shows_berlin_moderate_with_its_criteria_and_source(cast) -> None:  # type: ignore[no-untyped-def]
    response = _client_for(cast.alice).post(URL, MODERATE_ARDS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Berlin definition (2012)" in html
    assert "moderate" in html
    assert "160" in html  # the P/F ratio
    assert "JAMA 2012" in html  # the source is cited next to the result
    assert "Rules version" in html


@pytest.mark.django_db
def test_a_percentage_fio2_is_refused_next_to_the_field_with_a_suggestion(cast) -> None:  # type: ignore[no-untyped-def]
    response = _client_for(cast.alice).post(URL, {**MODERATE_ARDS, "fio2": "40"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["fio2"]
    assert "0.40" in errors["fio2"][0]
    assert 'id="id_fio2-error"' in response.content.decode()


@pytest.mark.django_db
def test_text_in_a_number_field_is_an_error_not_a_crash(cast) -> None:  # type: ignore[no-untyped-def]
    response = _client_for(cast.nina).post(URL, {"pao2_mmhg": "eighty", "platelets_10e3_per_ul": "-5"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"pao2_mmhg", "platelets_10e3_per_ul"}


@pytest.mark.django_db
def test_an_empty_submission_reports_everything_missing(cast) -> None:  # type: ignore[no-untyped-def]
    response = _client_for(cast.nina).post(URL, {})
    assert response.status_code == 200
    assert "not computable" in response.content.decode()


# --- issue #8: what a new user reads ---


def _results(response) -> str:  # type: ignore[no-untyped-def]
    html: str = response.content.decode()
    return html.split('id="results"')[1].split('aria-label="Observations"')[0]


@pytest.mark.django_db
def test_no_raw_python_dict_list_or_key_is_printed_in_the_results(cast) -> None:  # type: ignore[no-untyped-def]
    response = _client_for(cast.alice).post(
        URL, {**MODERATE_ARDS, "covid_confirmed": "true", "alt_u_l": "80", "ferritin_ng_ml": "900"}
    )
    results = _results(response)
    assert "{" not in results and "[" not in results
    assert "P/F 160; S/F not given" in results  # the Global definition's oxygenation
    assert "alt_u_l" not in results and "<td>ALT</td>" in results


@pytest.mark.django_db
def test_a_partial_sofa_is_labelled_with_the_systems_scored(cast) -> None:  # type: ignore[no-untyped-def]
    response = _client_for(cast.alice).post(URL, {**MODERATE_ARDS, "platelets_10e3_per_ul": "90"})
    results = _results(response)
    assert "partial total: <strong>5</strong>" in results  # respiratory 3 + coagulation 2
    assert (
        "Partial total: scored respiratory, coagulation; not scored: liver (needs bilirubin_mg_dl or bilirubin_umol_l)"
        in results
    )


@pytest.mark.django_db
def test_the_global_definition_for_a_patient_on_niv_reads_as_a_sentence(cast) -> None:  # type: ignore[no-untyped-def]
    data = {**MODERATE_ARDS, "support": "niv"}
    results = _results(_client_for(cast.alice).post(URL, data))
    assert (
        "meets the Global definition: ARDS, not intubated (severity is graded only when intubated)" in results
    )
    assert "meets ·" not in results and "severity: <strong>undetermined" not in results


@pytest.mark.django_db
def test_an_out_of_range_value_is_refused_in_words_with_its_unit(cast) -> None:  # type: ignore[no-untyped-def]
    response = _client_for(cast.alice).post(URL, {**MODERATE_ARDS, "pao2_mmhg": "900"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "PaO2 900 mmHg is outside the accepted range 20–700 mmHg" in html
    assert "pao2_mmhg=" not in html


@pytest.mark.django_db
def test_the_calculator_takes_si_creatinine_and_refuses_two_units(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client_for(cast.alice)
    response = client.post(URL, {**MODERATE_ARDS, "creatinine_umol_l": "176.8"})
    assert response.status_code == 200
    assert response.context["result"] is not None
    renal = dict(next(c for c in response.context["result"].cards if c.key == "sofa").components)["renal"]
    assert renal == 2
    both = client.post(URL, {**MODERATE_ARDS, "creatinine_umol_l": "176.8", "creatinine_mg_dl": "2"})
    assert both.status_code == 400
    assert (
        "give creatinine_mg_dl or creatinine_umol_l, not both"
        in both.context["form"].errors["creatinine_umol_l"][0]
    )
