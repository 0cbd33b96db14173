"""Brute force: wrong passwords on the sign-in page or a signature lock the account until unlocked."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from stromal.plans.models import PlanStatus
from tests.conftest import PASSWORD
from tests.pathway.factories import make_plan

pytestmark = pytest.mark.django_db

LOGIN = "accounts:login"


def _sign_in(client: Client, username: str, password: str) -> Any:
    return client.post(reverse(LOGIN), {"username": username, "password": password})


def test_ten_failed_sign_ins_lock_the_account_even_for_the_right_password(cast: Any) -> None:
    assert settings.AXES_FAILURE_LIMIT == 10
    client = Client()
    for _ in range(9):
        assert _sign_in(client, "alice", "wrong-password-0000").status_code == 200
    locked = _sign_in(client, "alice", "wrong-password-0000")
    assert locked.status_code == 429
    assert "Account locked" in locked.content.decode()
    response = _sign_in(Client(), "alice", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in Client().session
    assert AccessFailureLog.objects.filter(username="alice").count() >= 10


def test_an_administrator_unlocks_the_account(cast: Any) -> None:
    client = Client()
    for _ in range(10):
        _sign_in(client, "alice", "wrong-password-0000")
    call_command("axes_reset_username", "alice")
    assert not AccessAttempt.objects.filter(username="alice").exists()
    assert _sign_in(Client(), "alice", PASSWORD).status_code == 302


def test_a_locked_signature_refuses_the_right_password_until_unlocked(cast: Any) -> None:
    plan = make_plan(cast)
    client = Client()
    client.force_login(cast.alice)
    url = reverse("plans:sign", kwargs={"pk": plan.pk})
    for _ in range(10):
        client.post(url, {"version": 1, "username": "alice", "password": "wrong-password-0000"})
    refused = client.post(url, {"version": 1, "username": "alice", "password": PASSWORD})
    assert refused.status_code == 429
    assert not plan.signatures.exists()
    call_command("axes_reset_username", "alice")
    assert client.post(url, {"version": 1, "username": "alice", "password": PASSWORD}).status_code == 302
    plan.refresh_from_db()
    assert plan.signatures.count() == 1 and plan.status == PlanStatus.DRAFT


def test_a_username_longer_than_any_account_is_counted_not_a_server_error(cast: Any) -> None:
    response = _sign_in(Client(), "x" * 10_000, "wrong-password-0000")
    assert response.status_code == 200
    assert AccessFailureLog.objects.filter(username="x" * 150).exists()
