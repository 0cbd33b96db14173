"""Who must use a second factor, and whether this session has passed it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_otp import user_has_device

from stromal.accounts.models import User


def second_factor_required(user: User) -> bool:
    """True when ``user``'s role is listed in ``settings.MFA_REQUIRED_ROLES`` (``STROMAL_MFA_REQUIRED_ROLES``)."""
    return user.role in settings.MFA_REQUIRED_ROLES


def has_second_factor(user: User) -> bool:
    """True when ``user`` holds a confirmed device (an authenticator app, or recovery codes)."""
    return bool(user_has_device(user, confirmed=True))


def session_verified(request: HttpRequest) -> bool:
    """True when this session signed in with a second factor (set by django-otp's middleware)."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified is not None and is_verified())
