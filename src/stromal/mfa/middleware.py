"""No page before the second factor: a signed-in user who has one (or whose role needs one) must pass it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode

from stromal.accounts.models import User
from stromal.mfa.policy import has_second_factor, second_factor_required, session_verified

#: Pages open between the password and the second factor: the code page, enrolment, signing out.
OPEN_VIEWS = frozenset({"mfa:verify", "mfa:enrol", "accounts:logout", "healthz"})
#: Session key: the signed-in user (by id) held no second factor when this session looked.
HOLDS_NO_DEVICE = "stromal_mfa_holds_no_device"


class SecondFactorMiddleware:
    """After the password, send the user to the code page (a confirmed device) or to enrolment
    (none yet, and the role requires one, ``STROMAL_MFA_REQUIRED_ROLES``); nothing else opens
    until then. Runs after django-otp's ``OTPMiddleware``, which knows whether the session passed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        step = self._pending_step(request)
        if step is not None:
            return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _pending_step(request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if not isinstance(user, User) or session_verified(request):
            return None
        try:
            if resolve(request.path_info).view_name in OPEN_VIEWS:
                return None
        except Resolver404:
            return None
        if _holds_a_device(request, user):
            return "mfa:verify"
        if second_factor_required(user):
            return "mfa:enrol"
        return None


def _holds_a_device(request: HttpRequest, user: User) -> bool:
    """Whether ``user`` holds a confirmed device; a "no" is kept in the session (two queries less a page).

    A device set up in this session verifies it at once; one set up in another session is
    asked for at the next sign-in. The enrolment page itself always asks the database.
    """
    if request.session.get(HOLDS_NO_DEVICE) == user.pk:
        return False
    holds = has_second_factor(user)
    if not holds:
        request.session[HOLDS_NO_DEVICE] = user.pk
    return holds
