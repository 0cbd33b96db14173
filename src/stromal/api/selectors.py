"""Reads of API tokens, scoped to the administrator's site."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from stromal.accounts.models import User
from stromal.api.models import ApiToken
from stromal.patients.guards import site_id_of


def tokens_of_site(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user__site_id=site_id_of(user)).select_related(
        "user", "created_by", "revoked_by"
    )


def token_get(*, user: User, pk: int) -> ApiToken:
    """The token if its user belongs to the administrator's site; otherwise 404."""
    return get_object_or_404(tokens_of_site(user=user), pk=pk)


def token_holders(*, user: User) -> QuerySet[User]:
    """The site's active users with a role: those a token may be issued to."""
    return User.objects.filter(site_id=site_id_of(user), is_active=True).exclude(role="").order_by("username")
