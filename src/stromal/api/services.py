"""Writes for API tokens: create (the token is returned once), revoke, and authenticate a use.

A token is ``stromal_<prefix>_<secret>``: the 12-character prefix finds the row,
the SHA-256 of the whole token must equal the stored hash. The secret has 256
bits of entropy (``secrets.token_urlsafe(32)``), so a fast hash is enough: a
stolen table cannot be turned back into tokens by guessing. Creation,
revocation and every use are audited (the use with the method and path).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.api.models import ApiToken
from stromal.audit.services import audit_record
from stromal.patients.guards import require_role
from stromal.submissions.middleware import invisible_character

TOKEN_START = "stromal_"
PREFIX_LENGTH = 12
NAME_MAX_LENGTH = 100
TOKEN_ADMINS = (Role.ADMIN,)

NAME_REQUIRED = "name: say what the token is for (e.g. 'laboratory interface'), at most 100 characters."
NAME_INVISIBLE = "name: contains an invisible control character; type the name again."
USER_CANNOT_HOLD = (
    "user: {username} has no role or no site (or is inactive), so a token of theirs could read nothing."
)
ALREADY_REVOKED = "This token was already revoked."


def token_hash(token: str) -> str:
    """SHA-256 of the whole token, hex (what the database keeps)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def split_token(token: str) -> tuple[str, str] | None:
    """(prefix, token) of a well-formed token, or None."""
    if not token.startswith(TOKEN_START) or len(token) > 200:
        return None
    rest = token[len(TOKEN_START) :]
    prefix, sep, secret = (
        rest[:PREFIX_LENGTH],
        rest[PREFIX_LENGTH : PREFIX_LENGTH + 1],
        rest[PREFIX_LENGTH + 1 :],
    )
    if sep != "_" or len(prefix) != PREFIX_LENGTH or not secret:
        return None
    return prefix, token


def _require_same_site(actor: User | None, user: User) -> None:
    """An administrator manages the tokens of their own site only (another site's look like none)."""
    if actor is not None and actor.site_id != user.site_id:
        raise Http404("No such user at your site.")


@transaction.atomic
def api_token_create(*, user: User, name: str, actor: User | None) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; returns the row and the token, which is shown once and never stored.

    ``actor`` is the administrator (``None`` for the ``stromal api-token`` command, run by whoever
    holds the server). Raises ``ValidationError`` naming ``name`` or ``user``.
    """
    if actor is not None:
        require_role(actor, "create API tokens", *TOKEN_ADMINS)
    _require_same_site(actor, user)
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": NAME_REQUIRED})
    if invisible_character(name) is not None:
        raise ValidationError({"name": NAME_INVISIBLE})
    if not (user.is_active and user.role and user.site_id):
        raise ValidationError({"user": USER_CANNOT_HOLD.format(username=user.username)})
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    token = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, token_hash=token_hash(token), created_by=actor
    )
    audit_record(
        actor=actor,
        action="api_token_create",
        instance=row,
        changes={"user": [None, user.username], "name": [None, name], "prefix": [None, prefix]},
        site_id=user.site_id,
    )
    return row, token


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None, reason: str = "") -> ApiToken:
    """Revoke for good: the token stops working at once. Audited with the reason given."""
    if actor is not None:
        require_role(actor, "revoke API tokens", *TOKEN_ADMINS)
    _require_same_site(actor, token.user)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise ValidationError(ALREADY_REVOKED)
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(
        revoked_at=now, revoked_by=actor, revoke_reason=reason.strip()
    )
    token.refresh_from_db()
    audit_record(
        actor=actor,
        action="api_token_revoke",
        instance=token,
        changes={"revoked_at": [None, now.isoformat()]},
        reason=reason.strip(),
        site_id=token.user.site_id,
    )
    return token


def api_token_authenticate(*, token: str, method: str, path: str) -> User | None:
    """The active user of an active token, or None; a successful use is audited (method and path)."""
    parts = split_token(token)
    if parts is None:
        return None
    row = ApiToken.objects.select_related("user").filter(prefix=parts[0]).first()
    if row is None or not hmac.compare_digest(row.token_hash, token_hash(parts[1])):
        return None
    user = row.user
    if row.revoked_at is not None or not user.is_active:
        return None
    with transaction.atomic():
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        audit_record(
            actor=user,
            action="api_token_use",
            instance=row,
            changes={"request": f"{method} {path}"[:500]},
            site_id=user.site_id,
        )
    return user
