"""Enrolling, checking and resetting a user's second factor.

Each user has at most one confirmed authenticator (``TOTPDevice``) and one set of
recovery codes (``StaticDevice``, digests only, see ``recovery_codes``). Enrolment,
new recovery codes and an administrator's reset are audited (on the user's trail).
A wrong code counts like a wrong password (django-axes, through Django's
``user_login_failed`` signal) and slows the device down (django-otp's throttle).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.accounts.zones import format_when
from stromal.audit.services import audit_record, require_reason
from stromal.mfa import recovery_codes

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"

WRONG_CODE = "This code is not correct (or was already used); nothing was signed in."
CODE_FORMAT = "Type the 6 digits your authenticator app shows, or one recovery code."
THROTTLED = "Too many wrong codes: the next code is taken from {until}. Wait, then try again."
ALREADY_ENROLLED = "You already have an authenticator; an administrator can reset it."
RESET_REASON_REQUIRED = "Say why this second factor is reset (for example: phone lost, reported by phone)."
RESET_OTHER_SITE = "Only an administrator of the user's own site can reset their second factor."
NOTHING_TO_RESET = "This user has no second factor to reset."


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of a code typed at sign-in: the device it matched, or why it was refused."""

    device: Device | None
    refusal: str = ""
    recovery_code_used: bool = False


def totp_device(user: User) -> TOTPDevice | None:
    """``user``'s confirmed authenticator, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_device(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).first()


def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator ``user`` is setting up (a new random key on the first call).

    Raises:
        PermissionDenied: ``ALREADY_ENROLLED`` when a confirmed one exists (an
            attacker holding only the password must not add a device).
    """
    with transaction.atomic():
        if totp_device(user) is not None:
            raise PermissionDenied(ALREADY_ENROLLED)
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
        return device


def totp_enrolment_confirm(*, user: User, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the authenticator being set up with a ``code`` it shows; return it and new recovery codes.

    Raises:
        PermissionDenied: ``ALREADY_ENROLLED``.
        ValidationError: ``{"code": WRONG_CODE}`` (or ``CODE_FORMAT``) when the code does not match.
    """
    digits = "".join(code.split())
    with transaction.atomic():
        device = totp_enrolment_start(user=user)
        if not (digits.isascii() and digits.isdigit() and len(digits) == device.digits):
            raise ValidationError({"code": CODE_FORMAT})
        if not device.verify_token(digits):
            raise ValidationError({"code": WRONG_CODE})
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = _replace_recovery_codes(user)
        audit_record(
            actor=user,
            action="mfa_enrol",
            instance=user,
            changes={"second_factor": [None, AUTHENTICATOR_NAME], "recovery_codes": [None, len(codes)]},
            site_id=user.site_id,
        )
    return device, codes


def _replace_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = recovery_codes.new_codes()
    StaticToken.objects.bulk_create(
        [
            StaticToken(device=device, token=recovery_codes.digest(recovery_codes.normalise(c) or ""))
            for c in codes
        ]
    )
    return codes


def recovery_codes_regenerate(*, user: User) -> list[str]:
    """New recovery codes for ``user`` (the old ones stop working); shown once by the caller.

    Raises:
        PermissionDenied: ``NOTHING_TO_RESET`` when ``user`` has no authenticator.
    """
    with transaction.atomic():
        if totp_device(user) is None:
            raise PermissionDenied(NOTHING_TO_RESET)
        before = recovery_codes_left(user)
        codes = _replace_recovery_codes(user)
        audit_record(
            actor=user,
            action="mfa_recovery_codes_new",
            instance=user,
            changes={"recovery_codes": [before, len(codes)]},
            site_id=user.site_id,
        )
    return codes


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def _throttled_until(device: Device) -> dt.datetime | None:
    allowed, details = device.verify_is_allowed()
    if allowed:
        return None
    until = (details or {}).get("locked_until")
    return until if isinstance(until, dt.datetime) else timezone.now()


def second_factor_check(*, request: HttpRequest, user: User, code: str) -> CodeCheck:
    """Check ``code`` (six digits from the authenticator, or a recovery code) for ``user``.

    A recovery code is used up when it matches. A wrong code is reported to
    django-axes as a failed sign-in (it counts towards the lockout and lands in
    the security log, ``AccessFailureLog``) and slows the device down.
    """
    typed = "".join(code.split())
    if typed.isascii() and typed.isdigit():
        device: Device | None = totp_device(user)
        token = typed
    else:
        device = recovery_device(user)
        normalised = recovery_codes.normalise(typed)
        token = recovery_codes.digest(normalised) if normalised else ""
    refusal = WRONG_CODE
    until = _throttled_until(device) if device is not None else None
    if until is not None:
        # Counted as a failure too: hammering a slowed-down device still leads to the lockout.
        refusal = THROTTLED.format(until=_shown(until))
    elif device is not None and token and device.verify_token(token):
        if isinstance(device, StaticDevice):
            audit_record(
                actor=user,
                action="mfa_recovery_code_used",
                instance=user,
                changes={"recovery_codes": [None, recovery_codes_left(user)]},
                site_id=user.site_id,
            )
        return CodeCheck(device, recovery_code_used=isinstance(device, StaticDevice))
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
    return CodeCheck(None, refusal)


def _shown(when: dt.datetime) -> str:
    return format_when(when, "Y-m-d H:i:s")


def second_factor_reset(*, admin: User, user: User, reason: str) -> None:
    """Remove ``user``'s authenticator and recovery codes (lost phone), audited with ``reason``.

    ``user`` must set up a new authenticator at the next sign-in when the role requires one.

    Raises:
        PermissionDenied: ``admin`` is not an administrator of ``user``'s site.
        ValidationError: ``{"reason": RESET_REASON_REQUIRED}`` or ``{"reason": NOTHING_TO_RESET}``.
    """
    if not admin.has_role(Role.ADMIN) or admin.site_id is None or admin.site_id != user.site_id:
        raise PermissionDenied(RESET_OTHER_SITE)
    why = require_reason(reason, RESET_REASON_REQUIRED)
    with transaction.atomic():
        totp = TOTPDevice.objects.filter(user=user)
        static = StaticDevice.objects.filter(user=user)
        had = [name for name, q in ((AUTHENTICATOR_NAME, totp), (RECOVERY_NAME, static)) if q.exists()]
        if not had:
            raise ValidationError({"reason": NOTHING_TO_RESET})
        totp.delete()
        static.delete()
        audit_record(
            actor=admin,
            action="mfa_reset",
            instance=user,
            changes={"second_factor": [", ".join(had), None]},
            reason=why,
            site_id=user.site_id,
        )
