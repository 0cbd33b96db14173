"""``Patient/<id>/$lab-import``: laboratory Observations through the examination services,
all or nothing, with a dry-run report."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from stromal.audit.models import AuditEvent
from stromal.examinations.models import Encounter, Observation
from stromal.examinations.services import current_values, encounter_close
from stromal.fhir.codes import LOINC, OBSERVATION_SYSTEM, UCUM
from tests.api.factories import token_for
from tests.pathway.factories import make_examination, make_patient

pytestmark = pytest.mark.django_db


def lab(encounter: Encounter, loinc: str, value: float, unit: str) -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "Observation",
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "laboratory",
                        }
                    ]
                }
            ],
            "code": {"coding": [{"system": LOINC, "code": loinc}]},
            "subject": {"reference": f"Patient/{encounter.patient_id}"},
            "encounter": {"reference": f"Encounter/enc-{encounter.pk}"},
            "effectiveDateTime": (encounter.opened_at or encounter.scheduled_for).isoformat(),
            "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
        }
    }


def bundle(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": list(entries)}


def post(user: Any, encounter: Encounter, body: Any, query: str = "") -> Any:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client.post(
        f"/fhir/Patient/{encounter.patient_id}/$lab-import{query}",
        data=json.dumps(body),
        content_type="application/fhir+json",
    )


@pytest.fixture
def encounter(cast: Any) -> Encounter:
    return make_examination(cast, make_patient(cast.cora))


def test_an_imported_observation_appears_on_the_examination_with_an_audit_entry(
    cast: Any, encounter: Encounter
) -> None:
    response = post(
        cast.luke,
        encounter,
        bundle(lab(encounter, "2276-4", 950.0, "ng/mL"), lab(encounter, "1988-5", 35.0, "mg/L")),
    )
    assert response.status_code == 200, response.content
    values = current_values(encounter)
    assert values["ferritin_ng_ml"] == 950.0 and values["crp_mg_l"] == 35.0
    event = (
        AuditEvent.objects.filter(action="results", object_id=str(encounter.pk)).order_by("-sequence").first()
    )
    assert event is not None and event.actor == cast.luke
    assert event.changes["ferritin_ng_ml"] == [None, 950.0]
    assert event.source.startswith("api POST /fhir/Patient/")
    page = Client()
    page.force_login(cast.alice)
    assert "950" in page.get(f"/examinations/{encounter.pk}/").content.decode()


def test_a_bad_observation_is_refused_naming_its_field_and_nothing_is_saved(
    cast: Any, encounter: Encounter
) -> None:
    before = Observation.objects.count()
    token = token_for(cast.luke)
    events = AuditEvent.objects.count()
    body = bundle(lab(encounter, "2276-4", 950.0, "ng/mL"), lab(encounter, "777-3", 999999.0, "10*3/uL"))
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        f"/fhir/Patient/{encounter.patient_id}/$lab-import",
        data=json.dumps(body),
        content_type="application/fhir+json",
    )
    assert response.status_code == 422
    issues = response.json()["issue"]
    refused = [i for i in issues if i.get("expression")]
    assert refused[0]["expression"] == ["Bundle.entry[1].resource.value"]
    assert "Platelets" in refused[0]["diagnostics"] and "accepted range" in refused[0]["diagnostics"]
    assert Observation.objects.count() == before
    # The only new audit event is the token's use: no result was recorded, not even the valid ferritin.
    assert list(AuditEvent.objects.filter(sequence__gt=events).values_list("action", flat=True)) == [
        "api_token_use"
    ]


def test_a_unit_the_key_is_not_recorded_in_is_refused_naming_the_unit(
    cast: Any, encounter: Encounter
) -> None:
    response = post(cast.luke, encounter, bundle(lab(encounter, "2276-4", 950.0, "ug/mL")))
    assert response.status_code == 422
    (issue,) = [i for i in response.json()["issue"] if i.get("expression")]
    assert issue["expression"] == ["Bundle.entry[0].resource.code"]


def test_an_unmapped_code_is_refused_naming_the_code(cast: Any, encounter: Encounter) -> None:
    response = post(cast.luke, encounter, bundle(lab(encounter, "99999-9", 1.0, "mg/dL")))
    (issue,) = [i for i in response.json()["issue"] if i.get("expression")]
    assert response.status_code == 422 and issue["expression"] == ["Bundle.entry[0].resource.code"]


def test_a_dry_run_reports_and_saves_nothing(cast: Any, encounter: Encounter) -> None:
    before = Observation.objects.count()
    response = post(cast.luke, encounter, bundle(lab(encounter, "2276-4", 950.0, "ng/mL")), "?dryRun=true")
    assert response.status_code == 200
    text = json.dumps(response.json())
    assert "Dry run" in text and "ferritin_ng_ml" in text
    assert Observation.objects.count() == before
    assert "ferritin_ng_ml" not in current_values(encounter)


def test_our_own_code_is_read_too_and_fio2_in_percent_is_converted(cast: Any, encounter: Encounter) -> None:
    own = lab(encounter, "0", 3.5, "mmol/L")
    own["resource"]["code"] = {"coding": [{"system": OBSERVATION_SYSTEM, "code": "potassium_mmol_l"}]}
    fio2 = lab(encounter, "3150-0", 60.0, "%")
    fio2["resource"]["code"]["coding"].append({"system": OBSERVATION_SYSTEM, "code": "fio2"})
    response = post(cast.alice, encounter, bundle(own, fio2))
    assert response.status_code == 200, response.content
    values = current_values(encounter)
    assert values["potassium_mmol_l"] == 3.5 and values["fio2"] == pytest.approx(0.6)


def test_another_patients_encounter_is_refused(cast: Any, encounter: Encounter) -> None:
    other = make_examination(cast, make_patient(cast.cora, "MRN-0002"))
    entry = lab(other, "2276-4", 950.0, "ng/mL")
    response = post(cast.luke, encounter, bundle(entry))
    assert response.status_code == 422
    assert "ferritin_ng_ml" not in current_values(other)


def test_a_closed_examination_takes_an_import_only_as_a_physicians_amendment_with_a_reason(
    cast: Any, encounter: Encounter
) -> None:
    encounter_close(encounter=encounter, user=cast.alice, version=encounter.version)
    body = bundle(lab(encounter, "2276-4", 950.0, "ng/mL"))
    assert post(cast.alice, encounter, body).status_code == 422
    assert post(cast.luke, encounter, body, "?reason=Late+result").status_code == 403
    response = post(cast.alice, encounter, body, "?reason=Late+result+from+the+reference+laboratory")
    assert response.status_code == 200, response.content
    assert current_values(encounter)["ferritin_ng_ml"] == 950.0
    assert AuditEvent.objects.get(action="amend").reason == "Late result from the reference laboratory"


def test_a_read_only_role_cannot_import(cast: Any, encounter: Encounter) -> None:
    response = post(cast.mona, encounter, bundle(lab(encounter, "2276-4", 950.0, "ng/mL")))
    assert response.status_code == 403
    assert "ferritin_ng_ml" not in current_values(encounter)


def test_a_wrong_site_token_gets_404(cast: Any, encounter: Encounter) -> None:
    assert post(cast.oscar, encounter, bundle(lab(encounter, "2276-4", 950.0, "ng/mL"))).status_code == 404


@pytest.mark.parametrize(
    "body", ["not json", {"resourceType": "Patient"}, [], {"resourceType": "Bundle", "type": "collection"}]
)
def test_a_body_that_is_not_a_bundle_of_observations_is_refused(
    cast: Any, encounter: Encounter, body: Any
) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(cast.luke)}")
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post(
        f"/fhir/Patient/{encounter.patient_id}/$lab-import", data=data, content_type="application/fhir+json"
    )
    assert response.status_code in (400, 422)
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_value_taken_on_another_day_than_its_examination_is_refused_naming_the_field(
    cast: Any, encounter: Encounter
) -> None:
    entry = lab(encounter, "1988-5", 12.0, "mg/L")
    entry["resource"]["effectiveDateTime"] = "2020-01-05T09:30:00+00:00"
    response = post(cast.nina, encounter, bundle(entry))
    assert response.status_code == 422
    (issue,) = [i for i in response.json()["issue"] if i.get("expression")]
    assert issue["expression"] == ["Bundle.entry[0].resource.effectiveDateTime"]
    assert "is not on the day of Encounter/enc-" in issue["diagnostics"]
    assert not Observation.objects.filter(encounter=encounter, key="crp_mg_l", value_number=12.0).exists()


def test_a_value_dated_by_its_day_only_on_the_examination_day_is_taken(
    cast: Any, encounter: Encounter
) -> None:
    entry = lab(encounter, "1988-5", 12.0, "mg/L")
    zone = ZoneInfo(encounter.patient.site.time_zone)
    entry["resource"]["effectiveDateTime"] = (
        (encounter.opened_at or encounter.scheduled_for).astimezone(zone).date().isoformat()
    )
    assert post(cast.nina, encounter, bundle(entry)).status_code == 200
