"""Writes of administration: accounts, password links, sites, unlocking. Every change is audited.

An administrator manages the accounts of their own site (every user holds
one role at one site, and each site's people see only that site); a new site
is opened together with its first administrator, who then manages it.
Accounts are never deleted: a person who leaves is deactivated, so every
record they made keeps naming them. Changing or deactivating an account, or
changing a site, is a correction and states its reason.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from axes.utils import reset as axes_reset
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from stromal.accounts.models import Site, User, validate_time_zone
from stromal.accounts.roles import Role
from stromal.audit.services import audit_record, diff, require_reason
from stromal.patients.guards import require_role, site_id_of
from stromal.staff.models import SecurityEvent, SecurityEventKind
from stromal.staff.security_log import security_event

ADMINS = (Role.ADMIN,)

#: The account fields an administrator sets, as the audit trail shows them (never the password).
ACCOUNT_FIELDS = ("username", "first_name", "last_name", "printed_name", "email", "role", "site", "is_active")
USERNAME_TAKEN = "The username {username!r} is taken (usernames are compared without regard to case)."
USERNAME_NEEDED = "Give a username."
PRINTED_NAME_NEEDED = "Give the printed name: it is shown on every signature of this person."
ROLE_UNKNOWN = "{role!r} is not a role; choose one of the list."
OWN_ROLE = "You cannot change your own role; another administrator can."
OWN_ACCOUNT_OFF = "You cannot deactivate your own account; another administrator can."
NOT_YOUR_SITE = "This account belongs to another site."
EDIT_NEEDS_REASON = "Give the reason for this change to the account."
ACTIVE_NEEDS_REASON = "Give the reason for deactivating or reactivating the account."
LINK_NEEDS_REASON = "Give the reason for the password link (for example: forgotten password)."
INACTIVE_NO_LINK = "This account is deactivated; reactivate it before issuing a password link."
ALREADY = "The account is already {state}."
SITE_CODE_TAKEN = "The site code {code!r} is taken."
SITE_EDIT_NEEDS_REASON = "Give the reason for changing the site's settings."
OTHER_SITE_EDIT = "You administer {site}; another site's settings are changed by its own administrator."
PRESSURE_RANGE = (
    "Barometric pressure {value:g} mmHg is outside the accepted range {low:g}–{high:g} mmHg "
    "(sea level is about 760 mmHg; 5,000 m is about 405 mmHg)."
)
NOTHING_CHANGED = "Nothing was changed."
FIRST_ADMIN_LINK = "first administrator of a new site: first password"
UNLOCK_NEEDS_REASON = "Give the reason for unlocking."
UNLOCK_WHAT = "Name the account (username) or the address to unlock."
NOT_AN_ADDRESS = "{value!r} is not an IP address (for example 192.0.2.10 or 2001:db8::10)."
NOTHING_LOCKED = "No failed attempts are held for {what}; nothing to unlock."
#: Range of ``Site.barometric_pressure_mmhg`` (U.S. Standard Atmosphere 1976: 760 mmHg at sea
#: level, about 405 mmHg at 5,000 m; the shore of the Dead Sea, the lowest land, about 800 mmHg).
PRESSURE_MIN_MMHG = 400.0
PRESSURE_MAX_MMHG = 800.0


def _account(user: User) -> dict[str, Any]:
    """What the audit trail keeps of an account: the fields an administrator sets, site by code."""
    values = {name: getattr(user, name) for name in ACCOUNT_FIELDS if name != "site"}
    values["site"] = user.site.code if user.site is not None else None
    return values


def _audit_account(
    admin: User | None, action: str, user: User, before: dict[str, Any] | None, reason: str = ""
) -> None:
    audit_record(
        actor=admin or user,
        action=action,
        instance=user,
        changes=diff(before or {}, _account(user)),
        reason=reason,
        site_id=user.site_id,
    )


def _require_admin_of(admin: User, user: User) -> None:
    require_role(admin, "administer accounts", *ADMINS)
    if user.site_id != site_id_of(admin):
        raise PermissionDenied(NOT_YOUR_SITE)


def _check_username(username: str, *, exclude: int | None = None) -> str:
    username = username.strip()
    if not username:
        raise ValidationError({"username": USERNAME_NEEDED})
    taken = User.objects.filter(username__iexact=username)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError({"username": USERNAME_TAKEN.format(username=username)})
    return username


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise ValidationError({"role": ROLE_UNKNOWN.format(role=role)})
    return role


def _clean(user: User) -> None:
    """The model's own rules (username characters, lengths, e-mail), named by field."""
    user.full_clean(exclude=["password", "last_login", "date_joined"])


@transaction.atomic
def user_create(
    *,
    admin: User,
    username: str,
    role: str,
    printed_name: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    site: Site | None = None,
) -> User:
    """A new account at ``site`` (default: the administrator's own), with no password yet.

    The person sets their password through a one-time link (``password_link``).
    ``site`` other than the administrator's own is only for a site being opened
    (``site_create``).
    """
    require_role(admin, "create accounts", *ADMINS)
    home = site or Site.objects.get(pk=site_id_of(admin))
    if not printed_name.strip():
        raise ValidationError({"printed_name": PRINTED_NAME_NEEDED})
    user = User(
        username=_check_username(username),
        role=_check_role(role),
        site=home,
        printed_name=printed_name.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
    )
    user.set_unusable_password()
    _clean(user)
    user.save()
    _audit_account(admin, "create", user, None)
    return user


@transaction.atomic
def user_update(*, admin: User, user: User, reason: str, **fields: Any) -> User:
    """Change an account's role, names or e-mail (``fields``), with the reason."""
    _require_admin_of(admin, user)
    why = require_reason(reason, EDIT_NEEDS_REASON)
    locked = User.objects.select_for_update(of=("self",)).select_related("site").get(pk=user.pk)
    before = _account(locked)
    if "username" in fields:
        fields["username"] = _check_username(fields["username"], exclude=locked.pk)
    if "role" in fields:
        _check_role(fields["role"])
        if locked.pk == admin.pk and fields["role"] != locked.role:
            raise ValidationError({"role": OWN_ROLE})
    if "printed_name" in fields and not str(fields["printed_name"]).strip():
        raise ValidationError({"printed_name": PRINTED_NAME_NEEDED})
    allowed = {"username", "role", "printed_name", "first_name", "last_name", "email"}
    for name, value in fields.items():
        if name not in allowed:
            raise ValidationError({name: "not a field an administrator sets here"})
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    if _account(locked) == before:
        raise ValidationError(NOTHING_CHANGED)
    _clean(locked)
    locked.save(update_fields=sorted(fields))
    _audit_account(admin, "update", locked, before, why)
    return locked


@transaction.atomic
def user_set_active(*, admin: User, user: User, active: bool, reason: str) -> User:
    """Deactivate (the person can no longer sign in; their sessions end) or reactivate an account."""
    _require_admin_of(admin, user)
    why = require_reason(reason, ACTIVE_NEEDS_REASON)
    locked = User.objects.select_for_update(of=("self",)).select_related("site").get(pk=user.pk)
    if locked.pk == admin.pk and not active:
        raise ValidationError(OWN_ACCOUNT_OFF)
    if locked.is_active == active:
        raise ValidationError(ALREADY.format(state="active" if active else "deactivated"))
    before = _account(locked)
    locked.is_active = active
    locked.save(update_fields=["is_active"])
    _audit_account(admin, "reactivate" if active else "deactivate", locked, before, why)
    return locked


def password_link_path(user: User) -> str:
    """The path of a one-time link that lets ``user`` set a password.

    Django's ``PasswordResetTokenGenerator`` signs the account's current password
    hash and last sign-in into the token, so setting a password through the link
    (or any other password change, or a sign-in) makes it invalid: it works once.
    It also expires after ``PASSWORD_RESET_TIMEOUT`` seconds.
    """
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("password_set", kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)})


@transaction.atomic
def password_link(*, admin: User, user: User, request: HttpRequest | None, reason: str) -> str:
    """Issue a one-time password link for ``user`` (the administrator hands it over); audited.

    Issuing it does not change the password: the person's old password works
    until they set a new one.
    """
    _require_admin_of(admin, user)
    why = require_reason(reason, LINK_NEEDS_REASON)
    if not user.is_active:
        raise ValidationError(INACTIVE_NO_LINK)
    path = password_link_path(user)
    event = security_event(
        kind=SecurityEventKind.PASSWORD_LINK, request=request, username=user.username, user=user, actor=admin
    )
    audit_record(
        actor=admin,
        action="password_link",
        instance=event,
        changes={"account": [None, user.username]},
        reason=why,
        site_id=user.site_id,
    )
    return path


@transaction.atomic
def password_set(*, user: User, password: str, request: HttpRequest | None) -> User:
    """The person sets their password through the link (the form has checked the validators)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    event = security_event(
        kind=SecurityEventKind.PASSWORD_SET, request=request, username=user.username, user=user
    )
    audit_record(
        actor=user,
        action="password_set",
        instance=event,
        changes={"account": [None, user.username]},
        site_id=user.site_id,
    )
    return user


def _check_pressure(value: float) -> float:
    if not PRESSURE_MIN_MMHG <= value <= PRESSURE_MAX_MMHG:
        raise ValidationError(
            {
                "barometric_pressure_mmhg": PRESSURE_RANGE.format(
                    value=value, low=PRESSURE_MIN_MMHG, high=PRESSURE_MAX_MMHG
                )
            }
        )
    return value


def _site_values(site: Site) -> dict[str, Any]:
    return {
        "code": site.code,
        "name": site.name,
        "time_zone": site.time_zone,
        "barometric_pressure_mmhg": site.barometric_pressure_mmhg,
    }


def _check_zone(zone: str) -> str:
    zone = zone.strip()
    try:
        validate_time_zone(zone)
    except ValidationError as exc:
        raise ValidationError({"time_zone": exc.messages}) from None
    return zone


@transaction.atomic
def site_create(
    *,
    admin: User,
    code: str,
    name: str,
    time_zone: str,
    barometric_pressure_mmhg: float,
    admin_username: str,
    admin_printed_name: str,
    request: HttpRequest | None = None,
) -> tuple[Site, User, str]:
    """Open a new site with its first administrator (who then manages its accounts).

    Returns the site, its administrator and the path of the one-time link that lets
    them set a password (issued, logged and audited here).
    """
    require_role(admin, "open sites", *ADMINS)
    site_id_of(admin)
    code = code.strip()
    if Site.objects.filter(code__iexact=code).exists():
        raise ValidationError({"code": SITE_CODE_TAKEN.format(code=code)})
    site = Site(
        code=code,
        name=name.strip(),
        time_zone=_check_zone(time_zone),
        barometric_pressure_mmhg=_check_pressure(barometric_pressure_mmhg),
    )
    site.full_clean()
    site.save()
    audit_record(
        actor=admin, action="create", instance=site, changes=diff({}, _site_values(site)), site_id=site.pk
    )
    try:
        first = user_create(
            admin=admin, username=admin_username, role=Role.ADMIN, printed_name=admin_printed_name, site=site
        )
    except ValidationError as exc:
        # The form names these fields admin_username and admin_printed_name.
        errors = getattr(exc, "error_dict", None)
        if errors:
            raise ValidationError({f"admin_{k}": v for k, v in errors.items()}) from None
        raise
    path = password_link_path(first)
    event = security_event(
        kind=SecurityEventKind.PASSWORD_LINK,
        request=request,
        username=first.username,
        user=first,
        actor=admin,
    )
    audit_record(
        actor=admin,
        action="password_link",
        instance=event,
        changes={"account": [None, first.username]},
        reason=FIRST_ADMIN_LINK,
        site_id=site.pk,
    )
    return site, first, path


@transaction.atomic
def site_update(
    *, admin: User, site: Site, reason: str, name: str, time_zone: str, barometric_pressure_mmhg: float
) -> Site:
    """Change the administrator's own site: its name, time zone or barometric pressure, with the reason."""
    require_role(admin, "change sites", *ADMINS)
    if site.pk != site_id_of(admin):
        raise PermissionDenied(OTHER_SITE_EDIT.format(site=admin.site))
    why = require_reason(reason, SITE_EDIT_NEEDS_REASON)
    locked = Site.objects.select_for_update().get(pk=site.pk)
    before = _site_values(locked)
    locked.name = name.strip()
    locked.time_zone = _check_zone(time_zone)
    locked.barometric_pressure_mmhg = _check_pressure(barometric_pressure_mmhg)
    if _site_values(locked) == before:
        raise ValidationError(NOTHING_CHANGED)
    locked.full_clean()
    locked.save()
    audit_record(
        actor=admin,
        action="update",
        instance=locked,
        changes=diff(before, _site_values(locked)),
        reason=why,
        site_id=locked.pk,
    )
    return locked


@transaction.atomic
def lock_reset(
    *, admin: User, request: HttpRequest | None, username: str = "", address: str = "", reason: str
) -> SecurityEvent:
    """Unlock an account (its username) or an address locked after failed passwords, with a reason.

    Removes django-axes' held failures for it (``axes.utils.reset``), so the next
    sign-in or signature counts from zero; logged and audited.
    """
    require_role(admin, "unlock accounts", *ADMINS)
    site_id_of(admin)
    why = require_reason(reason, UNLOCK_NEEDS_REASON)
    username, address = username.strip(), address.strip()
    if bool(username) == bool(address):
        raise ValidationError(UNLOCK_WHAT)
    if username:
        owner = User.objects.filter(username=username).first()
        if owner is not None and owner.site_id != admin.site_id:
            raise PermissionDenied(NOT_YOUR_SITE)
        removed = axes_reset(username=username)
        what = f"account {username}"
    else:
        try:
            address = str(ipaddress.ip_address(address))
        except ValueError:
            raise ValidationError({"address": NOT_AN_ADDRESS.format(value=address[:60])}) from None
        removed = axes_reset(ip=address)
        what = f"address {address}"
    if not removed:
        raise ValidationError(NOTHING_LOCKED.format(what=what))
    event = security_event(
        kind=SecurityEventKind.UNLOCK,
        request=request,
        username=username,
        actor=admin,
        detail=f"{what}: {removed} held failure record(s) removed",
        # An address belongs to no site: the unlocking administrator's site keeps the entry.
        site_id=admin.site_id,
    )
    audit_record(
        actor=admin,
        action="unlock",
        instance=event,
        changes={"unlocked": [None, what], "held_records_removed": [None, removed]},
        reason=why,
        site_id=admin.site_id,
    )
    return event
