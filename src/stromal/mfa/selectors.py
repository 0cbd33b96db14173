"""What the second-factor pages show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import Http404

from stromal.accounts.models import User
from stromal.mfa.policy import second_factor_required
from stromal.mfa.services import recovery_codes_left, totp_device


@dataclass(frozen=True)
class SecondFactorStatus:
    user: User
    required: bool
    authenticator: bool
    authenticator_since: dt.datetime | None
    recovery_codes_left: int


def second_factor_status(user: User) -> SecondFactorStatus:
    device = totp_device(user)
    return SecondFactorStatus(
        user=user,
        required=second_factor_required(user),
        authenticator=device is not None,
        authenticator_since=device.created_at if device is not None else None,
        recovery_codes_left=recovery_codes_left(user),
    )


def site_users_second_factor(*, admin: User) -> list[SecondFactorStatus]:
    """Every account of the administrator's site with its second-factor status, by username."""
    if admin.site_id is None:
        return []
    users = User.objects.filter(site_id=admin.site_id).order_by("username")
    return [second_factor_status(u) for u in users]


def site_user_get(*, admin: User, user_id: int) -> User:
    """An account of the administrator's site; another site's account is a 404 (never a hint)."""
    user = None if admin.site_id is None else User.objects.filter(pk=user_id, site_id=admin.site_id).first()
    if user is None:
        raise Http404("No such account at your site.")
    return user
