"""Re-entering one's own credentials to sign (21 CFR 11.200(a)(1)), counted like a sign-in.

Signatures ask for username and password again. The check goes through
``django.contrib.auth.authenticate`` and so through django-axes, which
counts a wrong password exactly as on the sign-in page and locks the account
(and address) after too many; a locked account cannot sign even with the
right password until it is unlocked.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest

WRONG_CREDENTIALS = "Username or password is not correct; nothing was signed."
ACCOUNT_LOCKED = (
    "This account is locked after too many wrong passwords; nothing was signed. "
    "An administrator can unlock it."
)


#: True while a signature's password re-entry is being checked, so the security log can tell
#: a failed signature from a failed sign-in (both are counted by django-axes alike).
_REAUTHENTICATING: ContextVar[bool] = ContextVar("stromal_reauthenticating", default=False)


def reauthenticating() -> bool:
    return _REAUTHENTICATING.get()


def reauthenticate(request: HttpRequest, *, username: str, password: str) -> str | None:
    """``None`` when ``username`` and ``password`` are the signed-in user's own; else the refusal."""
    token = _REAUTHENTICATING.set(True)
    try:
        user = authenticate(request, username=username.strip(), password=password)
    finally:
        _REAUTHENTICATING.reset(token)
    if getattr(request, "axes_locked_out", False):
        return ACCOUNT_LOCKED
    if user is None or user.pk != request.user.pk:
        return WRONG_CREDENTIALS
    return None


#: Longest username the account model stores; longer input can name no account.
USERNAME_MAX_LENGTH = 150


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The username django-axes counts failures for (``AXES_USERNAME_CALLABLE``).

    Cut to what an account can hold, so a 10,000-character "username" posted to
    the sign-in page is counted, not a database error (its column holds 255).
    """
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username", "")
    return str(value)[:USERNAME_MAX_LENGTH]
