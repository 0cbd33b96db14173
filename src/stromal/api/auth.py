"""Who is calling: an API token (``Authorization: Bearer …``) or a signed-in browser session.

Used by the REST API (as django-ninja auth classes, so the OpenAPI schema
documents both) and by the FHIR endpoints (``request_api_user``). A request
that presents a token is judged by that token alone: a bad token is refused
even when the browser also holds a session.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from stromal.accounts.models import User
from stromal.api.services import api_token_authenticate

BEARER = "bearer"


def _bearer(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer`` header; '' for another scheme; None without the header."""
    value = request.headers.get("Authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == BEARER else ""


def _token_user(request: HttpRequest, token: str) -> User | None:
    user = api_token_authenticate(token=token, method=request.method or "", path=request.get_full_path())
    if user is not None:
        # Downstream code (selectors, services, the audit trail) reads the user from the request.
        request.user = user
    return user


def request_api_user(request: HttpRequest) -> User | None:
    """The token's user, else the session's user, else None (the FHIR endpoints' entry check)."""
    token = _bearer(request)
    if token is not None:
        return _token_user(request, token) if token else None
    user = getattr(request, "user", None)
    return user if isinstance(user, User) and user.is_authenticated and user.is_active else None


class TokenAuth(HttpBearer):
    """``Authorization: Bearer stromal_…``: a per-user API token (see ``stromal api-token``)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return _token_user(request, token)


class SessionAuth(APIKeyCookie):
    """The web app's session cookie (a signed-in browser, e.g. the interactive docs); CSRF-checked on writes."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        if _bearer(request) is not None:
            return None  # a request with a token is judged by the token alone (no CSRF refusal either)
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        return user if isinstance(user, User) and user.is_authenticated and user.is_active else None
