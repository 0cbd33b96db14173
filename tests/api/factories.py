"""API clients of the cast: a test client that sends a user's API token."""

from __future__ import annotations

from typing import Any

from django.test import Client

from stromal.api.services import api_token_create


def token_for(user: Any, name: str = "test script") -> str:
    _row, token = api_token_create(user=user, name=name, actor=None)
    return token


def api_client(user: Any) -> Client:
    """A client whose every request carries ``user``'s API token (no session)."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
