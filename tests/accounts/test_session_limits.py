"""Sessions end after 15 idle minutes (configurable) and, however active, 8 hours after sign-in."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from stromal.accounts.middleware import LAST_SEEN_AT, SIGNED_IN_AT

pytestmark = pytest.mark.django_db


def test_a_session_idle_for_more_than_15_minutes_ends(cast: Any) -> None:
    assert settings.SESSION_IDLE_SECONDS == 15 * 60
    client = Client()
    client.force_login(cast.alice)
    assert client.get(reverse("patients:list")).status_code == 200
    session = client.session
    session[LAST_SEEN_AT] = time.time() - 15 * 60 - 1
    session.save()
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_activity_keeps_a_session_alive(cast: Any) -> None:
    client = Client()
    client.force_login(cast.alice)
    client.get(reverse("patients:list"))
    session = client.session
    session[LAST_SEEN_AT] = time.time() - 14 * 60
    session.save()
    assert client.get(reverse("patients:list")).status_code == 200
    assert time.time() - client.session[LAST_SEEN_AT] < 5  # refreshed by that request


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
