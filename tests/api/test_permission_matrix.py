"""Every new address (REST API, FHIR, API tokens page) for every role, anonymous, and a user of another
site: the right role at the right site is served; a wrong role is refused (403); another site's
record does not exist (404); anonymous gets 401 (programs) or the sign-in page (pages).

Each role is checked both signed in (session) and with its own API token.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from stromal.administrations.models import AdministrationSession, AdverseEvent
from stromal.examinations.models import Encounter
from stromal.followup.models import FollowUpVisit
from stromal.plans.models import TreatmentPlan
from stromal.products.models import ProductLot
from tests.api.factories import token_for
from tests.fhir.factories import full_course

pytestmark = pytest.mark.django_db

READERS = {"alice", "bob", "nina", "cora", "luke", "mona", "ivan", "ada"}
RESULT_ENTRY = {"alice", "bob", "nina", "luke"}
EXPORTERS = {"alice", "bob", "mona", "ivan", "ada"}
WHO = [*sorted(READERS), "oscar", "anonymous"]


def _world(cast: Any) -> dict[str, int]:
    patient = full_course(cast)
    return {
        "patient": patient.pk,
        "encounter": Encounter.objects.filter(patient=patient).first().pk,  # type: ignore[union-attr]
        "plan": TreatmentPlan.objects.get(patient=patient).pk,
        "lot": ProductLot.objects.filter(administration__patient=patient).first().pk,  # type: ignore[union-attr]
        "session": AdministrationSession.objects.filter(patient=patient).first().pk,  # type: ignore[union-attr]
        "event": AdverseEvent.objects.get(patient=patient).pk,
        "visit": FollowUpVisit.objects.filter(patient=patient).first().pk,  # type: ignore[union-attr]
    }


#: (url template, allowed cast members, a record of the North site: another site's user gets 404)
READS = [
    ("/api/v1/patients", READERS, False),
    ("/api/v1/patients/{patient}", READERS, True),
    ("/api/v1/encounters", READERS, False),
    ("/api/v1/encounters/{encounter}", READERS, True),
    ("/api/v1/encounters/{encounter}/observations", READERS, True),
    ("/api/v1/plans", READERS, False),
    ("/api/v1/plans/{plan}", READERS, True),
    ("/api/v1/product-lots", READERS, False),
    ("/api/v1/product-lots/{lot}", READERS, True),
    ("/api/v1/administrations", READERS, False),
    ("/api/v1/administrations/{session}", READERS, True),
    ("/api/v1/adverse-events", READERS, False),
    ("/api/v1/adverse-events/{event}", READERS, True),
    ("/api/v1/followup-visits", READERS, False),
    ("/api/v1/followup-visits/{visit}", READERS, True),
    ("/api/v1/openapi.json", READERS, False),
    ("/fhir/metadata", READERS, False),
    ("/fhir/Patient/{patient}", READERS, True),
    ("/fhir/Patient/{patient}/$everything", READERS, True),
]


def _client(cast: Any, who: str, how: str) -> Client:
    if who == "anonymous":
        return Client()
    user = getattr(cast, who)
    if how == "token":
        return Client(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    client = Client()
    client.force_login(user)
    return client


def _expected(who: str, allowed: set[str], north_record: bool, ok: int = 200) -> int:
    if who == "anonymous":
        return 401
    if who == "oscar":
        return 404 if north_record else (ok if "alice" in allowed else 403)
    return ok if who in allowed else 403


def _reads(cast: Any, ids: dict[str, int], who: str, how: str) -> None:
    client = _client(cast, who, how)
    for template, allowed, north in READS:
        url = template.format(**ids)
        response = client.get(url)
        assert response.status_code == _expected(who, allowed, north), (url, who, how, response.content[:200])
        if who == "oscar" and response.status_code == 200:
            assert "MRN-0001" not in response.content.decode(), url


def _new_encounter(ids: dict[str, int]) -> Encounter:
    day1 = Encounter.objects.get(pk=ids["encounter"])
    return Encounter.objects.create(patient_id=ids["patient"], scheduled_for=day1.scheduled_for)


def _record_observations(cast: Any, ids: dict[str, int], who: str) -> None:
    encounter = _new_encounter(ids)
    response = _client(cast, who, "token").post(
        f"/api/v1/encounters/{encounter.pk}/observations",
        data=json.dumps({"values": {"crp_mg_dl": 3.5}}),
        content_type="application/json",
    )
    assert response.status_code == _expected(who, RESULT_ENTRY, True), (who, response.content[:300])


def _import_labs(cast: Any, ids: dict[str, int], who: str) -> None:
    encounter = _new_encounter(ids)
    body = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "2276-4"}]},
                    "encounter": {"reference": f"Encounter/enc-{encounter.pk}"},
                    "valueQuantity": {"value": 500, "system": "http://unitsofmeasure.org", "code": "ng/mL"},
                }
            }
        ],
    }
    response = _client(cast, who, "token").post(
        f"/fhir/Patient/{ids['patient']}/$lab-import?dryRun=true",
        data=json.dumps(body),
        content_type="application/fhir+json",
    )
    assert response.status_code == _expected(who, RESULT_ENTRY, True), (who, response.content[:300])


def _export(cast: Any, who: str) -> None:
    client = _client(cast, who, "token")
    response = client.get("/fhir/$export", HTTP_PREFER="respond-async")
    assert response.status_code == _expected(who, EXPORTERS, False, ok=202), who
    if response.status_code != 202:
        return
    from stromal.fhir.export import export_write
    from stromal.fhir.models import ExportJob

    export_write(ExportJob.objects.get().pk)
    status = client.get(response["Content-Location"])
    assert status.status_code == 200
    assert Client().get(response["Content-Location"]).status_code == 401
    for item in status.json()["output"]:
        assert client.get(item["url"]).status_code == 200
        assert Client().get(item["url"]).status_code == 401


def _pages(cast: Any, who: str) -> None:
    from stromal.api.services import api_token_create

    client = _client(cast, who, "session")
    row, _ = api_token_create(user=cast.alice, name="lab", actor=None)
    for url, allowed in (
        ("/api/v1/docs", READERS | {"oscar"}),  # the docs hold no record: any clinical role
        ("/api/tokens/", {"ada"}),
        (f"/api/tokens/{row.pk}/revoke/", {"ada"}),
    ):
        response = client.get(url)
        if who == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        else:
            assert response.status_code == (200 if who in allowed else 403), (url, who)


@pytest.mark.parametrize("who", WHO)
def test_every_new_address_for_the_role(cast: Any, who: str, settings: Any, tmp_path: Any) -> None:
    """Reads (session and token), the observation write, the laboratory import, the bulk export and the pages."""
    settings.MEDIA_ROOT = tmp_path
    ids = _world(cast)
    _reads(cast, ids, who, "session")
    _reads(cast, ids, who, "token")
    _record_observations(cast, ids, who)
    _import_labs(cast, ids, who)
    _export(cast, who)
    _pages(cast, who)


def test_another_sites_administrator_cannot_revoke_this_sites_token(cast: Any) -> None:
    from stromal.accounts.models import User
    from stromal.api.services import api_token_create

    row, _ = api_token_create(user=cast.alice, name="lab", actor=None)
    south_admin = User.objects.create_user(
        username="sadie", password=cast.password, role="admin", site=cast.oscar.site
    )
    client = Client()
    client.force_login(south_admin)
    assert client.get(f"/api/tokens/{row.pk}/revoke/").status_code == 404
    assert client.post(f"/api/tokens/{row.pk}/revoke/", {"reason": "x"}).status_code == 404
    assert row.__class__.objects.get(pk=row.pk).revoked_at is None
