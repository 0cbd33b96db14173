"""``Patient/<id>/$everything``: every resource type present, and each one valid FHIR R4B."""

from __future__ import annotations

import importlib
from collections import Counter
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from stromal.fhir.codes import LOINC, OBSERVATION_SYSTEM
from stromal.fhir.mappers.instruments import INSTRUMENT_SYSTEM
from stromal.followup import services as followup_services
from stromal.followup.models import FollowUpVisit, InstrumentResponse
from tests.api.factories import api_client
from tests.fhir.factories import full_course
from tests.followup.factories import DEAD, complete_with_instruments, discharged, visit_of

pytestmark = pytest.mark.django_db

EXPECTED_TYPES = {
    "Patient",
    "Encounter",
    "Observation",
    "Condition",
    "CarePlan",
    "Consent",
    "Procedure",
    "BiologicallyDerivedProduct",
    "AdverseEvent",
    "Appointment",
}


def r4b_model(resource_type: str) -> Any:
    module = importlib.import_module(f"fhir.resources.R4B.{resource_type.lower()}")
    return getattr(module, resource_type)


def everything(client: Client, patient_id: int, query: str = "") -> Any:
    response = client.get(f"/fhir/Patient/{patient_id}/$everything{query}")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/fhir+json")
    return response.json()


@pytest.fixture
def bundle(cast: Any) -> Any:
    patient = full_course(cast)
    return everything(api_client(cast.alice), patient.pk)


def test_the_bundle_holds_every_kind_of_record_of_the_course(bundle: Any) -> None:
    kinds = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    assert set(kinds) == EXPECTED_TYPES, kinds
    assert kinds["Procedure"] == 2 and kinds["BiologicallyDerivedProduct"] == 2
    assert bundle["total"] == len(bundle["entry"])


def test_each_resource_type_validates_against_fhir_r4b(bundle: Any) -> None:
    """Every resource of the bundle, by its own R4B model (one course built, every type checked)."""
    checked: Counter[str] = Counter()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        try:
            r4b_model(resource["resourceType"]).model_validate(resource)
        except ValueError as exc:
            pytest.fail(f"{resource['resourceType']}/{resource['id']} is not valid R4B: {exc}")
        checked[resource["resourceType"]] += 1
    assert set(checked) == EXPECTED_TYPES


def test_the_bundle_itself_validates_against_fhir_r4b(bundle: Any) -> None:
    r4b_model("Bundle").model_validate(bundle)


def test_every_reference_inside_the_bundle_resolves(bundle: Any) -> None:
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    dangling = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str) and node["reference"] not in present:
                dangling.add(node["reference"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk([e["resource"] for e in bundle["entry"]])
    assert not dangling


def _observations(bundle: Any, code: str) -> list[Any]:
    return [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and any(c["code"] == code for c in e["resource"]["code"]["coding"])
    ]


def test_laboratory_values_carry_loinc_and_ucum(bundle: Any) -> None:
    (crp,) = _observations(bundle, "crp_mg_dl")
    assert {"system": LOINC, "code": "1988-5"}.items() <= crp["code"]["coding"][0].items()
    assert crp["valueQuantity"] == {
        "value": 12.0,
        "unit": "mg/dL",
        "system": "http://unitsofmeasure.org",
        "code": "mg/dL",
    }
    (pao2,) = _observations(bundle, "pao2_mmhg")
    assert pao2["valueQuantity"]["code"] == "mm[Hg]"


def test_fio2_is_sent_in_percent_under_its_loinc_code(bundle: Any) -> None:
    (fio2,) = _observations(bundle, "3150-0")
    assert fio2["valueQuantity"]["value"] == pytest.approx(40.0) and fio2["valueQuantity"]["code"] == "%"
    assert {"system": OBSERVATION_SYSTEM, "code": "fio2"}.items() <= fio2["code"]["coding"][1].items()


def test_assessments_are_observations_that_name_the_rules_version(bundle: Any) -> None:
    from stromal.clinical.assess import RULES_VERSION

    (pf,) = _observations(bundle, "50984-4")
    assert pf["valueQuantity"]["value"] == 175.0 and RULES_VERSION in pf["method"]["text"]
    assert pf["derivedFrom"]


def test_ards_is_a_condition_with_its_severity_by_definition(bundle: Any) -> None:
    (condition,) = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"]
    assert {c["code"] for c in condition["code"]["coding"]} == {"67782005", "J80"}
    stage_types = {s["type"]["coding"][0]["code"] for s in condition["stage"]}
    assert "global_definition" in stage_types
    # P/F 175 mmHg on HFNO: Global definition ARDS, not intubated (severity graded only when intubated).
    (global_stage,) = [s for s in condition["stage"] if s["type"]["coding"][0]["code"] == "global_definition"]
    assert "ARDS" in global_stage["summary"]["text"]


def test_the_product_carries_its_isbt128_identifier(bundle: Any, cast: Any) -> None:
    from stromal.products.models import ProductLot

    products = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "BiologicallyDerivedProduct"
    ]
    dins = {p["identifier"][0]["value"] for p in products}
    assert dins == {lot.din + lot.din_check for lot in ProductLot.objects.all()}


def test_follow_up_visits_are_appointments_or_encounters(bundle: Any) -> None:
    visits = [e["resource"] for e in bundle["entry"] if e["resource"]["id"].startswith("visit-")]
    by_type = Counter((v["resourceType"], v["status"]) for v in visits)
    assert by_type[("Encounter", "finished")] == 1
    assert by_type[("Appointment", "cancelled")] == 1
    assert by_type[("Appointment", "proposed")] == len(visits) - 2


def test_type_narrows_the_bundle(cast: Any) -> None:
    patient = full_course(cast)
    bundle = everything(api_client(cast.alice), patient.pk, "?_type=Patient,Procedure")
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} == {"Patient", "Procedure"}


def test_a_wrong_site_token_cannot_read_the_patient(cast: Any) -> None:
    patient = full_course(cast)
    client = api_client(cast.oscar)
    for url in (f"/fhir/Patient/{patient.pk}/$everything", f"/fhir/Patient/{patient.pk}"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["resourceType"] == "OperationOutcome"
        assert patient.mrn not in response.content.decode()
    assert api_client(cast.oscar).get(f"/api/v1/patients/{patient.pk}").status_code == 404


def test_the_bundle_costs_the_same_queries_however_long_the_course(cast: Any) -> None:
    """A fixed number of queries (``courses_load`` reads each kind of record once), so a long
    follow-up adds rows, not round trips; a mapper reading an unloaded field would add one per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.pathway.factories import make_examination

    patient = full_course(cast)
    client = api_client(cast.alice)
    with CaptureQueriesContext(connection) as short:
        everything(client, patient.pk)
    for _ in range(3):
        make_examination(cast, patient)
    with CaptureQueriesContext(connection) as longer:
        everything(client, patient.pk)
    assert len(longer.captured_queries) == len(short.captured_queries) <= 30


def test_each_instrument_of_a_completed_visit_is_an_observation_of_its_encounter(bundle: Any) -> None:
    encounter = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"].startswith("visit-"))
    instruments = [e["resource"] for e in bundle["entry"] if e["resource"]["id"].startswith("ins-")]
    recorded = InstrumentResponse.objects.filter(visit__status="completed")
    assert len(instruments) == recorded.count() > 0
    for resource in instruments:
        assert resource["encounter"] == {"reference": f"Encounter/{encounter['id']}"}
        assert resource["code"]["coding"][0]["system"] == INSTRUMENT_SYSTEM
        assert resource["method"]["text"]  # the scoring equation and its version


def test_an_instrument_observation_holds_the_answers_as_entered_and_the_derived_scores(bundle: Any) -> None:
    phq9 = InstrumentResponse.objects.get(instrument_code="phq9")
    resource = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == f"ins-{phq9.pk}")
    components = {c["code"]["coding"][-1]["code"]: c for c in resource["component"]}
    assert components["phq9_1"]["valueInteger"] == phq9.answers["phq9_1"]
    total = components["phq9.total"]
    assert total["code"]["coding"][0]["system"] == LOINC and total["code"]["coding"][0]["code"] == "44261-6"
    assert total["valueInteger"] == phq9.scores["total"]
    assert resource["category"][0]["coding"][0]["code"] == "survey"


def test_a_measured_answer_is_a_quantity_in_ucum_under_its_loinc_code(cast: Any) -> None:
    plan = discharged(cast, days_ago=400)
    m6 = visit_of(plan, "m6")
    complete_with_instruments(m6, cast.nina)
    walk = InstrumentResponse.objects.get(visit=m6, instrument_code="six_minute_walk")
    found = everything(api_client(cast.alice), plan.patient_id, "?_type=Observation")["entry"]
    resource = next(e["resource"] for e in found if e["resource"]["id"] == f"ins-{walk.pk}")
    components = {c["code"]["coding"][-1]["code"]: c for c in resource["component"]}
    distance = components["six_minute_walk_m"]
    assert distance["code"]["coding"][0] == {
        "system": LOINC,
        "code": "64098-7",
        "display": "Six minute walk test",
    }
    assert distance["valueQuantity"] == {
        "value": walk.answers["six_minute_walk_m"],
        "unit": "m",
        "system": "http://unitsofmeasure.org",
        "code": "m",
    }
    predicted = components["six_minute_walk.percent_predicted"]["valueQuantity"]["value"]
    assert predicted == pytest.approx(walk.scores["percent_predicted"])
    assert walk.scoring_name in resource["method"]["text"]
    assert resource["category"][0]["coding"][0]["code"] == "exam"
    r4b_model("Observation").model_validate(resource)


def test_a_death_recorded_at_a_visit_makes_the_patient_deceased_on_that_day(cast: Any) -> None:
    patient = full_course(cast)
    visit = FollowUpVisit.objects.filter(patient=patient, status="scheduled").order_by("target_date").first()
    assert visit is not None
    died = timezone.localdate()
    followup_services.visit_record(
        visit=visit,
        user=cast.cora,
        version=visit.version,
        entries={
            "vital_status": followup_services.InstrumentEntry({**DEAD, "date_of_death": died.isoformat()})
        },
        completed_on=died,
        complete=True,
    )
    bundle = everything(api_client(cast.alice), patient.pk, "?_type=Patient")
    assert bundle["entry"][0]["resource"]["deceasedDateTime"] == died.isoformat()


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("?_format=xml", 406, "only JSON is served"),
        ("?start=2020-01-01", 400, "start: not supported here (supported: _type)"),
        ("?_count=5", 400, "_count: not supported here"),
    ],
)
def test_what_the_server_cannot_do_is_refused_by_name_not_ignored(
    cast: Any, query: str, status: int, words: str
) -> None:
    patient = full_course(cast)
    response = api_client(cast.alice).get(f"/fhir/Patient/{patient.pk}/$everything{query}")
    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"
    assert words in response.json()["issue"][0]["diagnostics"]


def test_xml_asked_for_in_accept_is_refused_and_an_unknown_address_is_an_operation_outcome(cast: Any) -> None:
    client = api_client(cast.alice)
    assert client.get("/fhir/metadata", HTTP_ACCEPT="application/fhir+xml").status_code == 406
    missing = client.get("/fhir/Nope")
    assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"
    assert client.get("/fhir/metadata", HTTP_ACCEPT="application/fhir+json").status_code == 200
