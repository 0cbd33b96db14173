"""Login and role checks for views.

Every view of the app is wrapped in ``role_required``; a wrong role gets a
403 page (never a redirect loop, never data), an anonymous user the login page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from stromal.accounts.roles import Role

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])

ROLE_REFUSED = "Your role ({role}) may not do this. It needs one of: {allowed}."


def role_required(*roles: Role) -> Callable[[ViewFunc], ViewFunc]:
    """Require a signed-in, active user holding one of ``roles``."""

    allowed = frozenset(r.value for r in roles)

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if getattr(user, "role", None) not in allowed:
                raise PermissionDenied(
                    ROLE_REFUSED.format(
                        role=getattr(user, "role", "none") or "none",
                        allowed=", ".join(sorted(allowed)),
                    )
                )
            return view(request, *args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorator
