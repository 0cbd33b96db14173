"""The administrator's API tokens page: issue (shown once), list, revoke."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from stromal.api.models import ApiToken
from stromal.submissions.middleware import TOKEN_FIELD, new_token

pytestmark = pytest.mark.django_db


def admin_client(cast: Any) -> Client:
    client = Client()
    client.force_login(cast.ada)
    return client


def test_issuing_shows_the_token_once_and_the_list_only_its_prefix(cast: Any) -> None:
    client = admin_client(cast)
    page = client.post("/api/tokens/", {"user": cast.luke.pk, "name": "LIS", TOKEN_FIELD: new_token()})
    assert page.status_code == 200
    html = page.content.decode()
    token = re.search(r'value="(stromal_[^"]+)"', html)
    assert token is not None
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token.group(1)}").get("/api/v1/patients").status_code == 200
    listing = client.get("/api/tokens/").content.decode()
    assert ApiToken.objects.get().prefix in listing and token.group(1) not in listing


def test_only_the_sites_users_can_be_chosen(cast: Any) -> None:
    response = admin_client(cast).post("/api/tokens/", {"user": cast.oscar.pk, "name": "theirs"})
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_a_token_without_a_name_is_refused_next_to_the_field(cast: Any) -> None:
    response = admin_client(cast).post("/api/tokens/", {"user": cast.luke.pk, "name": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()


def test_revoking_from_the_page(cast: Any) -> None:
    client = admin_client(cast)
    client.post("/api/tokens/", {"user": cast.luke.pk, "name": "LIS"})
    row = ApiToken.objects.get()
    response = client.post(f"/api/tokens/{row.pk}/revoke/", {"reason": "replaced"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None and row.revoked_by == cast.ada and row.revoke_reason == "replaced"
