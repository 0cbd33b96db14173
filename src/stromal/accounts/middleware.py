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


#: Session keys: when the user signed in, and when they were last seen (seconds since the epoch).
SIGNED_IN_AT = "stromal_signed_in_at"
LAST_SEEN_AT = "stromal_last_seen_at"
#: How stale "last seen" may get before it is written again: saving the session on every
#: request would cost a database write per page; the idle limit is kept to within this.
LAST_SEEN_RESOLUTION_SECONDS = 60
SESSION_IDLE = "You were signed out after {minutes:g} minutes without activity; please sign in again."
SESSION_ENDED = "Your session ended after {hours:g} hours; please sign in again."


class SessionLimitsMiddleware:
    """Sign a user out after ``SESSION_IDLE_SECONDS`` without a request (to within a minute)
    or ``SESSION_ABSOLUTE_SECONDS`` after sign-in, however active (OWASP ASVS 3.3.2)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            started = float(session.setdefault(SIGNED_IN_AT, now))
            last_seen = float(session.get(LAST_SEEN_AT, now))
            ended = None
            if now - started > settings.SESSION_ABSOLUTE_SECONDS:
                ended = SESSION_ENDED.format(hours=settings.SESSION_ABSOLUTE_SECONDS / 3600)
            elif now - last_seen > settings.SESSION_IDLE_SECONDS:
                ended = SESSION_IDLE.format(minutes=settings.SESSION_IDLE_SECONDS / 60)
            if ended:
                logout(request)
                messages.info(request, ended)
                return redirect_to_login(request.get_full_path())
            if LAST_SEEN_AT not in session or now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
                session[LAST_SEEN_AT] = now
        return self.get_response(request)
