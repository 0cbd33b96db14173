"""Recording observations through the REST API: the examination form's rules, all or nothing,
refusals as problem+json naming the field and the rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stromal.audit.models import AuditEvent
from stromal.examinations.models import Encounter, Observation
from stromal.examinations.services import current_values, encounter_close
from tests.api.factories import api_client
from tests.pathway.factories import make_examination, make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def encounter(cast: Any) -> Encounter:
    return make_examination(cast, make_patient(cast.cora))


def post(user: Any, encounter: Encounter, body: dict[str, Any]) -> Any:
    return api_client(user).post(
        f"/api/v1/encounters/{encounter.pk}/observations",
        data=json.dumps(body),
        content_type="application/json",
    )


def test_laboratory_results_are_saved_audited_and_assessed(cast: Any, encounter: Encounter) -> None:
    snapshots = encounter.assessments.count()
    response = post(cast.luke, encounter, {"values": {"crp_mg_dl": 4.2, "ferritin_ng_ml": 640}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["changed"]["ferritin_ng_ml"] == [None, 640.0]
    assert current_values(encounter)["ferritin_ng_ml"] == 640.0
    event = AuditEvent.objects.filter(action="results").order_by("-sequence").first()
    assert event is not None and event.actor == cast.luke and event.source.startswith("api POST")
    assert encounter.assessments.count() == snapshots + 1
    assert {o["key"] for o in body["encounter"]["observations"]} >= {"crp_mg_dl", "ferritin_ng_ml"}


def test_an_out_of_range_value_is_refused_naming_the_field_and_the_rule_and_nothing_is_saved(
    cast: Any, encounter: Encounter
) -> None:
    rows = Observation.objects.count()
    response = post(cast.luke, encounter, {"values": {"ferritin_ng_ml": 640, "pao2_mmhg": 900}})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:stromal:problem:invalid-input" and problem["status"] == 422
    (error,) = problem["errors"]
    assert error["field"] == "pao2_mmhg" and error["pointer"] == "#/values/pao2_mmhg"
    assert error["rule"] == "a number in 20–700 mmHg"
    assert "PaO2 900 mmHg is outside the accepted range 20–700 mmHg" in error["detail"]
    assert Observation.objects.count() == rows
    assert "ferritin_ng_ml" not in current_values(encounter)


def test_an_unknown_key_is_refused_by_name(cast: Any, encounter: Encounter) -> None:
    response = post(cast.luke, encounter, {"values": {"serum_magic_mg_dl": 1}})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "serum_magic_mg_dl" and error["pointer"] == "#/values/serum_magic_mg_dl"
    assert error["rule"].startswith("must be an examination value key")


def test_a_body_that_is_not_said_to_be_json_is_refused_and_nothing_is_saved(
    cast: Any, encounter: Encounter
) -> None:
    before = Observation.objects.count()
    response = api_client(cast.luke).post(
        f"/api/v1/encounters/{encounter.pk}/observations",
        data=json.dumps({"values": {"crp_mg_l": 12.0}}),
        content_type="text/plain",
    )
    assert response.status_code == 415 and response["Content-Type"] == "application/problem+json"
    assert Observation.objects.count() == before


def test_a_body_too_large_to_read_is_a_problem_not_a_page(
    cast: Any, encounter: Encounter, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(cast.luke, encounter, {"values": {"crp_mg_l": 12.0}, "reason": "x" * 2000})
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert "larger than this server accepts" in response.json()["detail"]


def test_a_body_that_breaks_the_schema_is_refused_naming_the_field(cast: Any, encounter: Encounter) -> None:
    response = post(cast.luke, encounter, {"values": {"crp_mg_dl": 1}, "version": 0})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "version"


def test_a_stale_version_is_a_conflict(cast: Any, encounter: Encounter) -> None:
    response = post(cast.luke, encounter, {"values": {"crp_mg_dl": 4.2}, "version": encounter.version - 1})
    assert response.status_code == 409
    assert response.json()["type"] == "urn:stromal:problem:stale-version"


def test_a_closed_encounter_is_amended_by_a_physician_with_a_reason(cast: Any, encounter: Encounter) -> None:
    encounter_close(encounter=encounter, user=cast.alice, version=encounter.version)
    assert (
        post(cast.alice, encounter, {"values": {"crp_mg_dl": 4.2}}).json()["errors"][0]["field"] == "reason"
    )
    assert post(cast.luke, encounter, {"values": {"crp_mg_dl": 4.2}, "reason": "late"}).status_code == 403
    response = post(
        cast.alice, encounter, {"values": {"crp_mg_dl": 4.2}, "reason": "Result from the reference lab"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["amendment_id"] is not None and body["changed"] == {"crp_mg_dl": [12.0, 4.2]}
    assert AuditEvent.objects.filter(action="amend").get().reason == "Result from the reference lab"


def test_a_read_only_role_is_refused(cast: Any, encounter: Encounter) -> None:
    response = post(cast.mona, encounter, {"values": {"crp_mg_dl": 4.2}})
    assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"


def test_another_sites_encounter_does_not_exist(cast: Any, encounter: Encounter) -> None:
    assert post(cast.oscar, encounter, {"values": {"crp_mg_dl": 4.2}}).status_code == 404


def test_a_locked_casebook_refuses_the_write(cast: Any, encounter: Encounter) -> None:
    from stromal.audit.models import CasebookLock

    CasebookLock.objects.create(
        patient_id=encounter.patient_id, site_id=encounter.patient.site_id, locked_by=cast.ivan
    )
    response = post(cast.luke, encounter, {"values": {"crp_mg_dl": 4.2}})
    assert response.status_code == 403 and response.json()["type"] == "urn:stromal:problem:casebook-locked"
    assert current_values(encounter)["crp_mg_dl"] == 12.0
