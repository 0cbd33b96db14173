from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from stromal.api.models import ApiToken
from stromal.api.services import (
    ALREADY_REVOKED,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    token_hash,
)
from stromal.audit.models import AuditEvent
from tests.api.factories import token_for

pytestmark = pytest.mark.django_db

PATIENTS = "/api/v1/patients"


def test_only_the_hash_of_a_token_is_stored(cast: Any) -> None:
    row, token = api_token_create(user=cast.luke, name="lab interface", actor=cast.ada)
    stored = ApiToken.objects.get(pk=row.pk)
    assert token.startswith(f"stromal_{stored.prefix}_")
    assert stored.token_hash == token_hash(token) and len(stored.token_hash) == 64
    assert token not in str(ApiToken.objects.filter(pk=row.pk).values().get())


def test_creation_is_audited_without_the_token_or_its_hash(cast: Any) -> None:
    row, token = api_token_create(user=cast.luke, name="lab interface", actor=cast.ada)
    event = AuditEvent.objects.get(action="api_token_create", object_id=str(row.pk))
    assert event.actor == cast.ada and event.changes["user"] == [None, "luke"]
    assert token not in str(event.changes) and row.token_hash not in str(event.changes)


def test_a_token_acts_as_its_user_and_every_use_is_audited(cast: Any) -> None:
    token = token_for(cast.alice)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(PATIENTS).status_code == 200
    assert client.get(PATIENTS + "?limit=5").status_code == 200
    uses = AuditEvent.objects.filter(action="api_token_use").order_by("sequence")
    assert [e.changes["request"] for e in uses] == [f"GET {PATIENTS}", f"GET {PATIENTS}?limit=5"]
    assert {e.actor_id for e in uses} == {cast.alice.pk}
    assert ApiToken.objects.get().last_used_at is not None


def test_no_token_is_401_with_a_bearer_challenge_as_problem_json(cast: Any) -> None:
    response = Client().get(PATIENTS)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer stromal_nonsense", "Bearer ", "Basic YWxpY2U6cHc=", "Bearer stromal_000000000000_wrong"],
)
def test_a_wrong_token_is_401_and_audits_nothing(cast: Any, header: str) -> None:
    token_for(cast.alice)
    assert Client(HTTP_AUTHORIZATION=header).get(PATIENTS).status_code == 401
    assert not AuditEvent.objects.filter(action="api_token_use").exists()


def test_a_token_with_the_right_prefix_and_a_wrong_secret_is_refused(cast: Any) -> None:
    token = token_for(cast.alice)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert api_token_authenticate(token=forged, method="GET", path="/") is None


def test_a_revoked_token_stops_working_at_once(cast: Any) -> None:
    row, token = api_token_create(user=cast.alice, name="script", actor=cast.ada)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(PATIENTS).status_code == 200
    api_token_revoke(token=row, actor=cast.ada, reason="laptop lost")
    assert client.get(PATIENTS).status_code == 401
    event = AuditEvent.objects.get(action="api_token_revoke")
    assert event.reason == "laptop lost" and event.actor == cast.ada


def test_a_token_is_revoked_once(cast: Any) -> None:
    row, _ = api_token_create(user=cast.alice, name="script", actor=cast.ada)
    api_token_revoke(token=row, actor=cast.ada)
    with pytest.raises(ValidationError, match=ALREADY_REVOKED):
        api_token_revoke(token=row, actor=cast.ada)


def test_a_deactivated_user_s_token_stops_working(cast: Any) -> None:
    token = token_for(cast.alice)
    cast.alice.is_active = False
    cast.alice.save()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(PATIENTS).status_code == 401


def test_only_an_administrator_issues_tokens(cast: Any) -> None:
    with pytest.raises(PermissionDenied):
        api_token_create(user=cast.luke, name="mine", actor=cast.alice)


def test_an_administrator_cannot_issue_a_token_for_another_site(cast: Any) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        api_token_create(user=cast.oscar, name="theirs", actor=cast.ada)


def test_a_token_needs_a_name(cast: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        api_token_create(user=cast.luke, name="  ", actor=cast.ada)
    assert "name" in refused.value.message_dict
