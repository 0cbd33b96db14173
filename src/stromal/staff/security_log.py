"""Writing the security log from Django's sign-in signals (and from the administrators' actions).

Django's own sign-in view announces each sign-in, sign-out and failure
through ``user_logged_in``, ``user_logged_out`` and ``user_login_failed``;
django-axes counts the failures on the same signals and marks the request
when it locks the account or address (``request.axes_locked_out``). A
signature's password re-entry (``accounts.reauth``) goes through the same
``authenticate`` and is logged as a failed signature.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from stromal.accounts.models import User
from stromal.accounts.reauth import USERNAME_MAX_LENGTH, lockout_username, reauthenticating
from stromal.intake.client_address import request_client_address
from stromal.staff.models import SecurityEvent, SecurityEventKind

USER_AGENT_MAX_LENGTH = 255
PATH_MAX_LENGTH = 255


def _address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request_client_address(request) or None


def security_event(
    *,
    kind: SecurityEventKind,
    request: HttpRequest | None,
    username: str,
    user: User | None = None,
    locked_out: bool = False,
    actor: User | None = None,
    detail: str = "",
    site_id: int | None = None,
) -> SecurityEvent:
    """Append one entry to the security log; ``user`` is looked up from ``username`` when not
    given, ``site_id`` (the site whose administrators read it) is the user's unless given."""
    username = username[:USERNAME_MAX_LENGTH]
    if user is None and username:
        user = User.objects.filter(username=username).first()
    meta = request.META if request is not None else {}
    return SecurityEvent.objects.create(
        kind=kind,
        username=username,
        user=user,
        site_id=site_id if site_id is not None else (user.site_id if user is not None else None),
        ip_address=_address(request),
        user_agent=str(meta.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX_LENGTH],
        path=(request.path if request is not None else "")[:PATH_MAX_LENGTH],
        locked_out=locked_out,
        actor=actor,
        detail=detail[:300],
    )


def _signed_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    security_event(kind=SecurityEventKind.SIGN_IN, request=request, username=user.username, user=user)


def _signed_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is None:  # signing out without a session: nothing happened
        return
    security_event(kind=SecurityEventKind.SIGN_OUT, request=request, username=user.username, user=user)


def _failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = (
        lockout_username(request, credentials)
        if request is not None
        else str(credentials.get("username", ""))
    )
    kind = SecurityEventKind.SIGNATURE_FAILED if reauthenticating() else SecurityEventKind.SIGN_IN_FAILED
    security_event(
        kind=kind,
        request=request,
        username=username,
        locked_out=bool(getattr(request, "axes_locked_out", False)),
    )


def connect() -> None:
    """Listen to Django's sign-in signals (once; ``dispatch_uid`` guards a second call)."""
    user_logged_in.connect(_signed_in, dispatch_uid="stromal.staff.signed_in")
    user_logged_out.connect(_signed_out, dispatch_uid="stromal.staff.signed_out")
    user_login_failed.connect(_failed, dispatch_uid="stromal.staff.failed")
