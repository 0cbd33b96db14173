"""Request-wide rules for signed-in users: their site's time zone; no caching of their pages."""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from stromal.accounts.models import Site, User


class SiteTimeZoneMiddleware:
    """Activate the site's zone for the request (after ``AuthenticationMiddleware``).

    Anonymous users and users without a site see ``settings.TIME_ZONE``
    (``STROMAL_TIME_ZONE``). Forms read entered date-times in the same zone,
    so what a nurse types is what she sees.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = site_zone_name(request.user)
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def site_zone_name(user: object) -> str | None:
    """The zone name of ``user``'s site, or ``None`` (anonymous, no site)."""
    if not isinstance(user, User) or user.site_id is None:
        return None
    zone = Site.objects.filter(pk=user.site_id).values_list("time_zone", flat=True).first()
    return zone or None


class NoStoreForSignedInMiddleware:
    """Pages seen by a signed-in user hold patient data: never cached, by the browser or on the way.

    Sets ``Cache-Control: no-store`` (and ``private``) on every response to a
    signed-in user that did not set its own caching (OWASP ASVS 8.2.1).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


#: Session key holding when the user signed in (seconds since the epoch).
SIGNED_IN_AT = "stromal_signed_in_at"
SESSION_ENDED = "Your session ended after {hours:g} hours; please sign in again."


class AbsoluteSessionLimitMiddleware:
    """Sign a user out ``SESSION_ABSOLUTE_SECONDS`` after sign-in, however active they are.

    The idle limit is the session cookie's age, renewed on every request
    (``SESSION_SAVE_EVERY_REQUEST``); this one does not move.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            started = request.session.setdefault(SIGNED_IN_AT, now)
            limit = settings.SESSION_ABSOLUTE_SECONDS
            if now - float(started) > limit:
                logout(request)
                messages.info(request, SESSION_ENDED.format(hours=limit / 3600))
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)
