"""Lists: pages with a next address, filters by date and status, the caller's site only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from stromal.examinations.models import Encounter
from stromal.followup.models import InstrumentResponse
from tests.api.factories import api_client
from tests.fhir.factories import full_course
from tests.followup.factories import complete_without_instruments, discharged, visit_of
from tests.pathway.factories import make_examination, make_patient

pytestmark = pytest.mark.django_db


def test_a_list_is_paged_with_the_address_of_the_next_page(cast: Any) -> None:
    for i in range(5):
        make_patient(cast.cora, f"MRN-{i:04d}")
    client = api_client(cast.alice)
    first = client.get("/api/v1/patients?limit=2").json()
    assert first["count"] == 5 and len(first["items"]) == 2
    assert "offset=2" in first["next"]
    second = client.get(first["next"]).json()
    assert [p["mrn"] for p in second["items"]] != [p["mrn"] for p in first["items"]]
    last = client.get("/api/v1/patients?limit=2&offset=4").json()
    assert last["next"] is None and len(last["items"]) == 1


def test_a_page_larger_than_500_is_refused(cast: Any) -> None:
    response = api_client(cast.alice).get("/api/v1/patients?limit=501")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "limit"


def test_encounters_filter_by_status_and_date(cast: Any) -> None:
    patient = make_patient(cast.cora)
    done = make_examination(cast, patient)
    later = Encounter.objects.create(patient=patient, scheduled_for=timezone.now() + dt.timedelta(days=3))
    client = api_client(cast.alice)
    opened = client.get("/api/v1/encounters?status=open").json()["items"]
    assert [e["id"] for e in opened] == [done.pk]
    day = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    ahead = client.get(f"/api/v1/encounters?date_from={day}").json()["items"]
    assert [e["id"] for e in ahead] == [later.pk]
    assert client.get("/api/v1/encounters?status=nonsense").status_code == 422
    assert client.get("/api/v1/encounters?date_from=0").status_code == 422


def test_a_list_holds_only_the_callers_site(cast: Any) -> None:
    make_patient(cast.cora, "NORTH-1")
    make_patient(cast.oscar, "SOUTH-1")
    assert [p["mrn"] for p in api_client(cast.oscar).get("/api/v1/patients").json()["items"]] == ["SOUTH-1"]


def test_an_encounter_shows_its_observations_and_latest_assessment(cast: Any) -> None:
    encounter = make_examination(cast, make_patient(cast.cora))
    body = api_client(cast.nina).get(f"/api/v1/encounters/{encounter.pk}").json()
    keys = {o["key"] for o in body["observations"]}
    assert {"pao2_mmhg", "fio2", "crp_mg_dl"} <= keys
    assert body["assessment"]["results"]["pf_ratio"] == 175.0
    assert body["assessment"]["rules_version"]


def test_an_unknown_api_address_is_a_problem_not_a_page(cast: Any) -> None:
    response = api_client(cast.alice).get("/api/v1/nothing-here")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


def test_a_method_an_address_does_not_take_is_a_problem(cast: Any) -> None:
    response = api_client(cast.alice).delete("/api/v1/patients")
    assert response.status_code == 405 and response["Content-Type"] == "application/problem+json"
    assert "GET" in response["Allow"]


def test_a_follow_up_visit_shows_its_instruments_with_answers_scores_and_scoring(cast: Any) -> None:
    patient = full_course(cast)
    body = (
        api_client(cast.nina).get(f"/api/v1/followup-visits?patient_id={patient.pk}&status=completed").json()
    )
    (visit,) = body["items"]
    items = {i["instrument"]: i for i in visit["sections"]["instruments"]}
    stored = InstrumentResponse.objects.get(visit_id=visit["id"], instrument_code="phq9")
    phq9 = items["phq9"]
    assert phq9["status"] == "done" and phq9["answers"] == stored.answers
    assert phq9["scores"]["total"] == stored.scores["total"]
    assert phq9["scoring"] == {"name": stored.scoring_name, "version": stored.scoring_version, "problem": ""}
    assert phq9["recorded_by"] == "nina" and set(items) == set(
        InstrumentResponse.objects.filter(visit_id=visit["id"]).values_list("instrument_code", flat=True)
    )


def test_an_instrument_not_done_shows_its_reason(cast: Any) -> None:
    plan = discharged(cast, days_ago=400)
    d28 = visit_of(plan, "d28")
    complete_without_instruments(d28, cast.cora, completed_on=d28.target_date)
    body = (
        api_client(cast.nina)
        .get(f"/api/v1/followup-visits?patient_id={plan.patient_id}&status=completed")
        .json()
    )
    items = body["items"][0]["sections"]["instruments"]
    assert items and {i["status"] for i in items} == {"not_done"} and items[0]["reason"] == "Test: not done"
