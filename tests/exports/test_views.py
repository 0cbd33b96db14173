"""The Export page: the permission matrix, a request that the database-backed worker runs while the
page's status reports progress, the download, refusals next to the field, and the audit trail."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from stromal.audit.models import AuditEvent
from stromal.exports import services
from stromal.exports.models import ExportRun, ExportStatus
from stromal.outcomes.cohort import CohortFilter
from stromal.submissions.middleware import new_token
from tests.outcomes.factories import TODAY, Course, make_cohort

pytestmark = pytest.mark.django_db

ROLES = ["alice", "nina", "cora", "luke", "mona", "ivan", "ada"]
READERS = {"mona", "ivan"}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _client(cast: Any, who: str | None) -> Client:
    client = Client()
    if who:
        client.force_login(getattr(cast, who))
    return client


def _work() -> None:
    """What ``stromal worker --batch`` does: run every queued task, then return."""
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def _runs(cast: Any) -> dict[str, ExportRun]:
    runs = {}
    for who in READERS:
        run = services.export_request(
            user=getattr(cast, who), filters=CohortFilter(), formats=["csv"], source="test"
        )
        runs[who] = services.export_run_execute(run_id=run.pk)
    return runs


@pytest.mark.parametrize("page", ["index", "detail", "status", "download"])
@pytest.mark.parametrize("who", [*ROLES, None])
def test_permission_matrix(cast: Any, page: str, who: str | None) -> None:
    runs = _runs(cast)
    run = runs.get(who or "", runs["ivan"])
    url = {
        "index": "/exports/",
        "detail": f"/exports/{run.pk}/",
        "status": f"/exports/{run.pk}/status.json",
        "download": f"/exports/{run.pk}/download/",
    }[page]
    response = _client(cast, who).get(url)
    if who is None:
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    elif who in READERS:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("who", [*ROLES, None])
def test_only_readers_may_ask_for_an_export(cast: Any, who: str | None) -> None:
    response = _client(cast, who).post("/exports/", {"formats": ["csv"]})
    assert response.status_code == (302 if who is None or who in READERS else 403)
    assert ExportRun.objects.count() == (1 if who in READERS else 0)


def test_someone_elses_export_looks_like_no_export_at_all(cast: Any) -> None:
    runs = _runs(cast)
    mona = _client(cast, "mona")
    for suffix in ("", "status.json", "download/"):
        assert mona.get(f"/exports/{runs['ivan'].pk}/{suffix}").status_code == 404


# Outside a test transaction: django-tasks-db's worker closes the connection it ran on, which ends
# the test's transaction on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_an_export_asked_for_on_the_page_runs_on_the_worker_and_downloads(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_cohort(
        cast, [Course("W-1", TODAY.replace(year=2025), died_day=50), Course("W-2", TODAY.replace(year=2025))]
    )
    ivan = _client(cast, "ivan")
    with django_capture_on_commit_callbacks(execute=True):
        response = ivan.post("/exports/?sex=female", {"formats": ["csv", "sav", "odm"]})
    run = ExportRun.objects.get()
    assert response["Location"] == f"/exports/{run.pk}/"
    assert ivan.get(f"/exports/{run.pk}/status.json").json()["status"] == "queued"
    page = ivan.get(f"/exports/{run.pk}/").content.decode()
    assert 'data-status-url="/exports/' in page and "<progress" in page

    _work()
    status = ivan.get(f"/exports/{run.pk}/status.json").json()
    assert status["status"] == "done" and status["progress"] == 1.0 and status["n_patients"] == 2
    download = ivan.get(status["download_url"])
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert {"patients.csv", "patients.sav", "odm.xml", "data_dictionary.csv"} <= set(archive.namelist())

    events = {
        e.action: e for e in AuditEvent.objects.filter(object_type="exports.exportrun", object_id=str(run.pk))
    }
    assert set(events) == {"export_requested", "export", "export_downloaded"}
    assert events["export_requested"].actor_username == "ivan"
    assert events["export_requested"].changes["filters"] == [None, {"sex": "female"}]
    assert events["export"].changes["n_patients"] == [None, 2]
    assert events["export"].changes["identified"] == [None, False]


def test_a_monitor_may_not_ask_for_an_identified_export(cast: Any) -> None:
    response = _client(cast, "mona").post(
        "/exports/", {"formats": ["csv"], "identified": "on", "reason": "SDV"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_identified-error"' in page and "Only the site&#x27;s investigator" in page
    assert not ExportRun.objects.exists()


def test_an_identified_export_needs_a_reason_given_next_to_the_field(cast: Any) -> None:
    response = _client(cast, "ivan").post(
        "/exports/", {"formats": ["csv"], "identified": "on", "reason": "  "}
    )
    assert response.status_code == 400
    assert 'id="id_reason-error"' in response.content.decode()
    ok = _client(cast, "ivan").post(
        "/exports/",
        {"formats": ["csv"], "identified": "on", "reason": "Linkage with the national death registry"},
    )
    run = ExportRun.objects.get()
    assert ok.status_code == 302 and run.identified and run.site_ids == [cast.ivan.site_id]
    event = AuditEvent.objects.get(action="export_requested")
    assert event.reason == "Linkage with the national death registry"


def test_no_format_or_an_unknown_one_is_refused_next_to_the_field(cast: Any) -> None:
    ivan = _client(cast, "ivan")
    for data in ({}, {"formats": ["xls"]}):
        response = ivan.post("/exports/", data)
        assert response.status_code == 400
        assert 'id="id_formats-error"' in response.content.decode()
    assert not ExportRun.objects.exists()


def test_a_failed_export_is_kept_with_its_error_and_audited(
    cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(services, "export_write", broken)
    run = services.export_request(user=cast.ivan, filters=CohortFilter(), formats=["csv"], source="test")
    done = services.export_run_execute(run_id=run.pk)
    assert done.status == ExportStatus.FAILED and done.error == "OSError: disk full"
    status = _client(cast, "ivan").get(f"/exports/{run.pk}/status.json").json()
    assert status["status"] == "failed" and status["download_url"] is None
    assert AuditEvent.objects.filter(action="export_failed", object_id=str(run.pk)).exists()


def test_the_same_export_asked_for_again_is_a_new_export_of_the_registry_as_it_is_now(cast: Any) -> None:
    make_cohort(cast, [Course("R-1", TODAY.replace(year=2025))])
    ivan = _client(cast, "ivan")
    first = ivan.post("/exports/", {"formats": ["csv"], "submission_token": new_token()})
    make_cohort(cast, [Course("R-2", TODAY.replace(year=2025))])
    second = ivan.post("/exports/", {"formats": ["csv"], "submission_token": new_token()})
    runs = list(ExportRun.objects.order_by("pk"))
    assert len(runs) == 2 and first["Location"] != second["Location"]
    # The same page sent twice (one token) is still one export.
    token = new_token()
    ivan.post("/exports/", {"formats": ["csv"], "submission_token": token})
    ivan.post("/exports/", {"formats": ["csv"], "submission_token": token})
    assert ExportRun.objects.count() == 3
