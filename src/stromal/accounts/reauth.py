"""Re-entering one's own credentials to sign (21 CFR 11.200(a)(1)), counted like a sign-in.

Signatures ask for username and password again. The check goes through
``django.contrib.auth.authenticate`` and so through django-axes, which
counts a wrong password exactly as on the sign-in page and locks the account
(and address) after too many; a locked account cannot sign even with the
right password until it is unlocked.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest

WRONG_CREDENTIALS = "Username or password is not correct; nothing was signed."
ACCOUNT_LOCKED = (
    "This account is locked after too many wrong passwords; nothing was signed. "
    "An administrator can unlock it."
)


def reauthenticate(request: HttpRequest, *, username: str, password: str) -> str | None:
    """``None`` when ``username`` and ``password`` are the signed-in user's own; else the refusal."""
    user = authenticate(request, username=username.strip(), password=password)
    if getattr(request, "axes_locked_out", False):
        return ACCOUNT_LOCKED
    if user is None or user.pk != request.user.pk:
        return WRONG_CREDENTIALS
    return None
