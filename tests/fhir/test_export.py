"""Bulk ``$export``: asynchronous kick-off (202 + Content-Location), status polling, NDJSON files;
pseudonymised unless an identified export is allowed for the role and given a reason (audited)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from stromal.audit.models import AuditEvent
from stromal.fhir.context import pseudonym
from stromal.fhir.export import export_write
from stromal.fhir.models import ExportJob, ExportStatus
from tests.api.factories import token_for
from tests.fhir.factories import full_course
from tests.fhir.test_everything import r4b_model

pytestmark = pytest.mark.django_db

ASYNC = {"HTTP_PREFER": "respond-async"}


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    # The worker runs the task at once, when the kick-off's transaction commits.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def client_of(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")


def kick_off(client: Client, query: str, django_capture_on_commit_callbacks: Any) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return client.get(f"/fhir/$export{query}", **ASYNC)


def files_of(client: Client, status_url: str) -> dict[str, list[dict[str, Any]]]:
    status = client.get(status_url)
    assert status.status_code == 200, status.content
    manifest = status.json()
    assert manifest["requiresAccessToken"] is True
    files = {}
    for item in manifest["output"]:
        response = client.get(item["url"])
        assert response.status_code == 200 and response["Content-Type"] == "application/fhir+ndjson"
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert len(lines) == item["count"]
        files[item["type"]] = [json.loads(line) for line in lines]
    return files


def test_kick_off_answers_202_with_the_status_address_and_the_files_are_ndjson(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    patient = full_course(cast)
    client = client_of(cast.ivan)
    response = kick_off(client, "", django_capture_on_commit_callbacks)
    assert response.status_code == 202
    status_url = response["Content-Location"]
    assert "/fhir/$export-status/" in status_url
    files = files_of(client, status_url)
    assert {"Patient", "Observation", "Procedure", "BiologicallyDerivedProduct", "Condition"} <= set(files)
    for kind, resources in files.items():
        for resource in resources:
            r4b_model(kind).model_validate(resource)
    (exported,) = files["Patient"]
    assert exported["id"] == pseudonym(patient.pk)


def test_a_default_export_is_pseudonymised(cast: Any, django_capture_on_commit_callbacks: Any) -> None:
    patient = full_course(cast)
    client = client_of(cast.ivan)
    files = files_of(client, kick_off(client, "", django_capture_on_commit_callbacks)["Content-Location"])
    text = json.dumps(files)
    for identifying in (
        patient.mrn,
        patient.given_name,
        patient.family_name,
        patient.date_of_birth.isoformat(),
    ):
        assert identifying not in text
    assert f'Patient/{patient.pk}"' not in text
    assert "Dr Alice Adams" not in text and "Wendy Witness" not in text
    assert files["Patient"][0]["birthDate"] == str(patient.date_of_birth.year)
    assert all(r["meta"]["security"][0]["code"] == "PSEUDED" for rs in files.values() for r in rs)
    assert not any("identifier" in p for p in files["BiologicallyDerivedProduct"])


def test_an_identified_export_needs_a_reason_and_is_audited_with_it(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    patient = full_course(cast)
    client = client_of(cast.ivan)
    refused = kick_off(client, "?identified=true", django_capture_on_commit_callbacks)
    assert refused.status_code == 400 and "reason" in refused.json()["issue"][0]["diagnostics"]
    assert not ExportJob.objects.exists()
    response = kick_off(
        client, "?identified=true&reason=Transfer+to+the+hospital+record", django_capture_on_commit_callbacks
    )
    assert response.status_code == 202
    files = files_of(client, response["Content-Location"])
    assert files["Patient"][0]["identifier"][0]["value"] == patient.mrn
    event = AuditEvent.objects.get(action="fhir_export_identified")
    assert event.reason == "Transfer to the hospital record" and event.actor == cast.ivan


@pytest.mark.parametrize("who", ["alice", "mona"])
def test_roles_that_export_only_pseudonymised_data_cannot_ask_for_identified(
    cast: Any, who: str, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_of(getattr(cast, who))
    response = kick_off(client, "?identified=true&reason=curious", django_capture_on_commit_callbacks)
    assert response.status_code == 403
    assert kick_off(client, "", django_capture_on_commit_callbacks).status_code == 202


@pytest.mark.parametrize("who", ["nina", "cora", "luke"])
def test_bedside_roles_do_not_export(cast: Any, who: str, django_capture_on_commit_callbacks: Any) -> None:
    assert kick_off(client_of(getattr(cast, who)), "", django_capture_on_commit_callbacks).status_code == 403


def test_kick_off_without_prefer_respond_async_is_refused(cast: Any) -> None:
    response = client_of(cast.ivan).get("/fhir/$export")
    assert response.status_code == 400 and "respond-async" in response.json()["issue"][0]["diagnostics"]


def test_an_unknown_type_is_refused_naming_it(cast: Any, django_capture_on_commit_callbacks: Any) -> None:
    response = kick_off(client_of(cast.ivan), "?_type=Patient,Medication", django_capture_on_commit_callbacks)
    assert response.status_code == 400 and "'Medication'" in response.json()["issue"][0]["diagnostics"]


def test_a_type_filter_is_refused_unless_lenient_handling_is_asked_for(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    query = "?_typeFilter=Observation%3Fcode%3D1988-5"
    refused = kick_off(client_of(cast.ivan), query, django_capture_on_commit_callbacks)
    assert (
        refused.status_code == 400
        and "_typeFilter: not supported" in refused.json()["issue"][0]["diagnostics"]
    )
    lenient = client_of(cast.ivan).get(f"/fhir/$export{query}", HTTP_PREFER="respond-async, handling=lenient")
    assert lenient.status_code == 202


def test_type_limits_the_files(cast: Any, django_capture_on_commit_callbacks: Any) -> None:
    full_course(cast)
    client = client_of(cast.ivan)
    response = kick_off(client, "?_type=Patient,AdverseEvent", django_capture_on_commit_callbacks)
    assert set(files_of(client, response["Content-Location"])) == {"Patient", "AdverseEvent"}


def test_the_export_holds_only_the_requesters_site(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    full_course(cast)
    from tests.pathway.factories import make_patient

    make_patient(cast.oscar, "SOUTH-1")
    client = client_of(cast.ivan)
    files = files_of(client, kick_off(client, "", django_capture_on_commit_callbacks)["Content-Location"])
    assert len(files["Patient"]) == 1


def test_while_queued_the_status_is_202_with_progress(cast: Any) -> None:
    client = client_of(cast.ivan)
    response = client.get("/fhir/$export", **ASYNC)  # the task is not run: no commit in this test
    status = client.get(response["Content-Location"])
    assert status.status_code == 202 and status["Retry-After"] and status["X-Progress"]


def test_only_the_requester_polls_and_downloads(cast: Any, django_capture_on_commit_callbacks: Any) -> None:
    full_course(cast)
    response = kick_off(client_of(cast.ivan), "", django_capture_on_commit_callbacks)
    other = client_of(cast.ada)
    assert other.get(response["Content-Location"]).status_code == 404


def test_delete_removes_the_files(cast: Any, django_capture_on_commit_callbacks: Any) -> None:
    full_course(cast)
    client = client_of(cast.ivan)
    status_url = kick_off(client, "", django_capture_on_commit_callbacks)["Content-Location"]
    manifest = client.get(status_url).json()
    assert client.delete(status_url).status_code == 202
    assert client.get(manifest["output"][0]["url"]).status_code == 404
    assert ExportJob.objects.get().status == ExportStatus.CANCELLED


def test_the_task_body_can_run_directly_on_a_queued_job(cast: Any) -> None:
    full_course(cast)
    client_of(cast.ivan).get("/fhir/$export", **ASYNC)
    job = export_write(ExportJob.objects.get().pk)
    assert job.status == ExportStatus.COMPLETED and job.patients_done == job.patients_total == 1


# Outside a test transaction: django-tasks-db's worker closes the connection it ran on, which ends
# the test's transaction on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_the_kick_off_queues_the_task_on_the_database_worker_which_writes_the_files(
    cast: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The configured backend (django-tasks-db): the kick-off leaves a queued task; ``stromal worker
    --batch`` (the db_worker command) runs it."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    full_course(cast)
    client = client_of(cast.ivan)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/fhir/$export", **ASYNC)
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "stromal.fhir.export.export_run"
    assert client.get(response["Content-Location"]).status_code == 202
    call_command("db_worker", "--batch")
    assert ExportJob.objects.get().status == ExportStatus.COMPLETED
    assert client.get(response["Content-Location"]).status_code == 200


def test_metadata_is_a_valid_capability_statement(cast: Any) -> None:
    response = client_of(cast.nina).get("/fhir/metadata")
    statement = response.json()
    r4b_model("CapabilityStatement").model_validate(statement)
    kinds = {r["type"] for r in statement["rest"][0]["resource"]}
    assert {"Patient", "Observation", "BiologicallyDerivedProduct", "AdverseEvent"} <= kinds
    assert statement["rest"][0]["operation"][0]["name"] == "export"


def test_a_signed_in_browser_reads_fhir_with_its_session(cast: Any) -> None:
    patient = full_course(cast)
    client = Client()
    client.force_login(cast.mona)
    assert client.get(f"/fhir/Patient/{patient.pk}").json()["identifier"][0]["value"] == patient.mrn
