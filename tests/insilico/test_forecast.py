"""The forecast on the plan page: asked for on the page, computed by ``stromal worker --burst``, shown
with its bands, effective sample size, model version and the research-model statement; a patient
outside the virtual population's support gets the clear message and no number; cached per
examination version."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from stromal.cli import main as stromal_main
from stromal.examinations.services import encounter_close
from stromal.insilico import forecasts
from stromal.insilico.models import PlanForecast, RunStatus
from stromal.model.forecast import MIN_ESS, NO_COMPARABLE
from stromal.plans.models import TreatmentPlan
from tests.pathway.factories import DAY1_VALUES, make_patient
from tests.pathway.factories import make_plan as _make_plan

pytestmark = pytest.mark.django_db


def _plan(cast: Any, values: dict[str, Any] | None = None, *, close: bool = True) -> TreatmentPlan:
    if values is None:
        plan = _make_plan(cast)
    else:
        from stromal.plans.services import plan_draft
        from tests.pathway.factories import make_examination

        patient = make_patient(cast.cora, "MRN-FAR")
        encounter = make_examination(cast, patient, values)
        from stromal.plans.services import eligibility_check
        from tests.pathway.factories import protocol

        check = eligibility_check(encounter=encounter, protocol_version=protocol(), user=cast.alice)
        if not check.proceed:
            from stromal.plans.services import eligibility_override

            check = eligibility_override(check=check, user=cast.alice, reason="forecast test")
        plan = plan_draft(check=check, user=cast.dora, arm_name="ucmsc_iv")
    if close:
        encounter_close(encounter=plan.encounter, user=cast.alice, version=plan.encounter.version)
        plan.refresh_from_db()
    return plan


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# The worker closes a connection found inside a transaction (PostgreSQL): run it outside one.
@pytest.mark.django_db(transaction=True)
def test_a_forecast_asked_for_on_the_plan_page_has_bands_and_states_its_effective_sample_size(
    cast: Any,
) -> None:
    plan = _plan(cast)
    alice = _client(cast.alice)
    page = alice.get(f"/plans/{plan.pk}/").content.decode()
    assert "Compute the model&#x27;s forecast" in page or "Compute the model's forecast" in page
    response = alice.post(f"/insilico/forecasts/plan/{plan.pk}/")
    assert response["Location"] == f"/plans/{plan.pk}/#forecast"
    assert alice.get(f"/insilico/forecasts/plan/{plan.pk}/status.json").json()["status"] == "queued"

    assert stromal_main(["worker", "--burst"]) == 0

    forecast = PlanForecast.objects.get()
    assert forecast.status == RunStatus.DONE, forecast.error
    result = forecast.result
    assert result is not None and result["comparable"] and result["ess"] >= MIN_ESS
    assert set(result["arms"]) == {"without", "ucmsc_iv"}
    for bands in result["arms"].values():
        pf, survival = bands["pf_ratio_mmhg"], bands["survival"]
        assert pf["days"] == list(range(29)) and survival["days"] == list(range(91))
        assert all(
            a <= b <= c <= d <= e
            for a, b, c, d, e in zip(*(pf[q] for q in ("q05", "q25", "q50", "q75", "q95")), strict=True)
        )
        assert survival["q50"][0] == pytest.approx(1.0) and 0 < survival["q50"][90] <= 1
        assert survival["q05"][90] <= survival["q50"][90] <= survival["q95"][90]
        assert "fvc_pct_1y" in bands and "dlco_pct_1y" in bands
    assert result["values"]["il6_pg_ml"] == 80.0 and "log10_il6_pg_ml" in result["used"]
    assert result["values"]["crp_mg_l"] == pytest.approx(120.0)
    assert any("crp" in n for n in result["not_used"])

    page = alice.get(f"/plans/{plan.pk}/").content.decode()
    assert f'id="forecast-ess">{result["ess"]} of ' in page
    assert forecast.model_version and forecast.model_version in page
    assert (
        'id="forecast-pf"' in page and 'id="forecast-survival"' in page and 'id="forecast-one-year"' in page
    )
    assert "research" in page.lower()
    # Cached per examination version: a second ask is the same forecast.
    alice.post(f"/insilico/forecasts/plan/{plan.pk}/")
    assert PlanForecast.objects.count() == 1


def test_a_patient_outside_the_populations_support_gets_the_clear_message_and_no_number(cast: Any) -> None:
    values = {**DAY1_VALUES, "weight_kg": 290, "spo2_pct": 99, "pao2_mmhg": 60, "fio2": 1.0}
    plan = _plan(cast, values)
    forecast = forecasts.forecast_request(plan=plan, user=cast.alice, enqueue=False)
    forecast = forecasts.forecast_execute(forecast_id=forecast.pk)
    assert forecast.status == RunStatus.DONE, forecast.error
    assert forecast.result is not None and not forecast.result["comparable"]
    assert forecast.result["ess"] < MIN_ESS and forecast.result["arms"] == {}
    page = _client(cast.ivan).get(f"/plans/{plan.pk}/").content.decode()
    assert NO_COMPARABLE.capitalize() in page and 'id="forecast-pf"' not in page


def test_without_a_closed_day_1_examination_there_is_no_forecast_to_ask_for(cast: Any) -> None:
    plan = _plan(cast, close=False)
    page = _client(cast.alice).get(f"/plans/{plan.pk}/").content.decode()
    assert "The forecast needs the closed Day-1 examination of the plan (it is " in page
    response = _client(cast.alice).post(f"/insilico/forecasts/plan/{plan.pk}/", follow=True)
    assert "The forecast needs the closed Day-1 examination" in response.content.decode()
    assert not PlanForecast.objects.exists()


@pytest.mark.parametrize(
    "who", ["alice", "dora", "nina", "cora", "luke", "mona", "ivan", "ada", "oscar", "anonymous"]
)
def test_only_physicians_and_investigators_of_the_site_see_and_ask_for_the_forecast(
    cast: Any, who: str
) -> None:
    plan = _plan(cast)
    client = Client() if who == "anonymous" else _client(getattr(cast, who))
    allowed = who in {"alice", "dora", "ivan"}
    page = client.get(f"/plans/{plan.pk}/")
    if who in {"anonymous"}:
        assert page.status_code == 302
    elif who == "oscar":
        assert page.status_code == 404
    else:
        assert page.status_code == 200
        assert ('id="forecast"' in page.content.decode()) is allowed
    for method, url in (
        ("post", f"/insilico/forecasts/plan/{plan.pk}/"),
        ("get", f"/insilico/forecasts/plan/{plan.pk}/status.json"),
    ):
        response = getattr(client, method)(url)
        expected = (
            302
            if who == "anonymous"
            else 404
            if who == "oscar"
            else (302 if method == "post" else 200)
            if allowed
            else 403
        )
        assert response.status_code == expected, (who, url)
    assert PlanForecast.objects.exists() is allowed


def test_a_plan_moved_to_another_arm_has_no_forecast_until_it_is_asked_for_again(cast: Any) -> None:
    plan = _plan(cast)
    first = forecasts.forecast_request(plan=plan, user=cast.alice, enqueue=False)
    assert forecasts.forecast_current(plan) == first
    TreatmentPlan.objects.filter(pk=plan.pk).update(arm_name="control")
    plan.refresh_from_db()
    assert forecasts.forecast_current(plan) is None  # the cached one is for the ucmsc_iv arm
    second = forecasts.forecast_request(plan=plan, user=cast.alice, enqueue=False)
    assert second.pk != first.pk and second.arm_name == "control"
    assert second.protocol_version_id == plan.protocol_version_id
