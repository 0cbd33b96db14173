"""Sessions end after 15 idle minutes (configurable) and, however active, 8 hours after sign-in."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from stromal.accounts.middleware import SIGNED_IN_AT

pytestmark = pytest.mark.django_db


def test_the_idle_limit_is_15_minutes_renewed_by_every_request() -> None:
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_an_active_session_ends_at_the_absolute_limit(cast: Any) -> None:
    client = Client()
    client.force_login(cast.alice)
    assert client.get(reverse("patients:list")).status_code == 200
    session = client.session
    session[SIGNED_IN_AT] = time.time() - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert client.get(reverse("patients:list")).status_code == 302  # signed out, not just redirected
