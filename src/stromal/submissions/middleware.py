"""Request-level guards for every form of the app.

``SubmissionTokenMiddleware``: one user action, one record (see the package docstring).
``RefuseNulMiddleware``: a NUL, another control character or an invisible format
character (a bidirectional override) in any posted form value gets a clear 400.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import Resolver404, resolve
from django.utils import timezone

from stromal.submissions.models import TOKEN_MAX_LENGTH, Submission

TOKEN_FIELD = "submission_token"
#: 32 random URL-safe characters (192 bits), a dot, the issue time in whole seconds since the epoch, base 36.
TOKEN_PATTERN = re.compile(
    rf"(?P<nonce>[A-Za-z0-9_-]{{32}})\.(?P<issued>[0-9a-z]{{1,{TOKEN_MAX_LENGTH - 33}}})"
)
TOKEN_DAMAGED = "The submission token of this form is damaged. Open the page again and resend the form."
#: How long a form page may stay open before it is sent. Longer than the absolute session limit
#: (8 hours), so only a form older than any session meets it; claimed tokens older than this are
#: pruned, which is safe because such a token is refused before it could be claimed again.
TOKEN_MAX_AGE = dt.timedelta(hours=24)
#: A clock step between issue and use that is still not a damaged token.
TOKEN_CLOCK_SKEW = dt.timedelta(minutes=5)
TOKEN_EXPIRED = (
    "This form was opened more than {hours} hours ago, so it may show what was true then. "
    "Nothing was saved. Open the page again and resend the form."
)
ALREADY_SUBMITTED = (
    "This form had already been sent; nothing was saved twice. This is the result of the first submission."
)
NUL_REFUSED = (
    "The field “{field}” contains a NUL character (\\x00), which no text in this application may contain. "
    "Remove it and send again."
)

INVISIBLE_REFUSED = (
    "The field “{field}” contains an invisible control character ({code}, {name}), which can make text "
    "read differently from what is stored (a right-to-left override, for one). Remove it and send again."
)
#: Fields that are not what the person typed: left out of a form's fingerprint.
UNTYPED_FIELDS = frozenset({"csrfmiddlewaretoken", TOKEN_FIELD})
#: How long the same user posting the same values to the same form page counts as a repeat of
#: the first post (the browser's Back button restores typed values under a fresh token).
REPEAT_WINDOW = dt.timedelta(minutes=10)
SAME_VALUES_REPEATED = (
    "The same values were sent to this form {minutes} minutes ago or less; nothing was saved twice. "
    "This is the result of the first submission. To record a second, identical entry, wait or change "
    "a value."
)

GetResponse = Callable[[HttpRequest], HttpResponse]
ViewFunction = TypeVar("ViewFunction", bound=Callable[..., Any])


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "submissions/refused.html", {"message": message}, status=400)


class SubmissionTokenMiddleware:
    """Claim a form's one-time token in the same transaction as the view's writes."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or TOKEN_FIELD not in request.POST:
            return self.get_response(request)
        token = request.POST[TOKEN_FIELD]
        match = TOKEN_PATTERN.fullmatch(token)
        if match is None:
            return _refused(request, TOKEN_DAMAGED)
        age = timezone.now() - dt.datetime.fromtimestamp(int(match["issued"], 36), tz=dt.UTC)
        if age < -TOKEN_CLOCK_SKEW:
            return _refused(request, TOKEN_DAMAGED)
        if age > TOKEN_MAX_AGE:
            return _refused(request, TOKEN_EXPIRED.format(hours=_max_age_hours()))
        fingerprint = form_fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = Submission.objects.create(
                        token=token, path=request.path[:500], fingerprint=fingerprint
                    )
            except IntegrityError:
                # Claimed by an earlier request; a concurrent one waited above until it committed.
                return _repeat(request, Submission.objects.get(token=token))
            earlier = None if _repeatable(request) else _same_values_recently(fingerprint, exclude=claim)
            if earlier is not None:
                claim.delete()
                messages.info(request, SAME_VALUES_REPEATED.format(minutes=_window_minutes()))
                return HttpResponseRedirect(earlier.location)
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
            elif _is_result(response):
                claim.location = response["Location"]
                claim.save(update_fields=["location"])
                prune_expired_claims()
            else:
                claim.delete()
            return response


def new_token(now: dt.datetime | None = None) -> str:
    """A fresh submission token: 32 random URL-safe characters, ".", the issue time (base 36 seconds)."""
    issued = int((now or timezone.now()).timestamp())
    return f"{secrets.token_urlsafe(24)}.{_base36(issued)}"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if number == 0:
            return text


def prune_expired_claims(now: dt.datetime | None = None) -> int:
    """Delete claims older than ``TOKEN_MAX_AGE`` (their tokens can no longer be sent); the number deleted.

    Runs after each carried-out submission: an indexed range delete that usually finds
    nothing, so the table holds at most one day of submissions.
    """
    cutoff = (now or timezone.now()) - TOKEN_MAX_AGE
    deleted, _ = Submission.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _max_age_hours() -> int:
    return int(TOKEN_MAX_AGE.total_seconds() // 3600)


def form_fingerprint(request: HttpRequest) -> str:
    """The user, the path (with its query) and every posted value except the tokens, hashed (SHA-256, hex).

    Empty for a visitor who is not signed in: the public forms have their own
    rate limit, and two people at one address may well send the same text.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    values = sorted((k, v) for k, vs in request.POST.lists() if k not in UNTYPED_FIELDS for v in vs)
    files = sorted((k, f.name or "", f.size or 0) for k, fs in request.FILES.lists() for f in fs)
    text = json.dumps([user.pk, request.get_full_path(), values, files], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _same_values_recently(fingerprint: str, *, exclude: Submission) -> Submission | None:
    """The carried-out submission with the same fingerprint inside ``REPEAT_WINDOW``, if any."""
    if not fingerprint:
        return None
    return (
        Submission.objects.filter(fingerprint=fingerprint, created_at__gte=timezone.now() - REPEAT_WINDOW)
        .exclude(pk=exclude.pk)
        .exclude(location="")
        .order_by("-created_at", "-id")
        .first()
    )


def repeatable(view: ViewFunction) -> ViewFunction:
    """Mark a view whose form reads rather than records (an export of the registry as it is now):
    the same values sent again are a new request, not a repeat. The one-time token still holds
    (a double click or a resent page gives the first result)."""
    view.submission_repeatable = True  # type: ignore[attr-defined]
    return view


def _repeatable(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return bool(getattr(match.func, "submission_repeatable", False))


def _window_minutes() -> int:
    return int(REPEAT_WINDOW.total_seconds() // 60)


def _is_result(response: HttpResponse) -> bool:
    """A redirect is how every view of this app answers a carried-out form (post/redirect/get);
    a redirect to the login page is not one (the session had expired)."""
    if response.status_code not in (301, 302, 303, 307, 308):
        return False
    location = str(response.get("Location", ""))
    return bool(location) and not location.startswith(str(resolve_url(settings.LOGIN_URL)))


def _repeat(request: HttpRequest, first: Submission) -> HttpResponse:
    messages.info(request, ALREADY_SUBMITTED)
    return HttpResponseRedirect(first.location or request.path)


#: Ordinary whitespace, the only control characters a typed text may hold.
ALLOWED_CONTROLS = frozenset("\t\n\r")
#: Zero-width non-joiner and joiner: format characters that Persian, Arabic and Indic names
#: need to be spelled right (Unicode Standard, chapter 23.2); they reorder nothing.
ALLOWED_FORMAT = frozenset("\u200c\u200d")


def invisible_character(text: str) -> str | None:
    """The first control (Unicode category Cc, except tab and line breaks) or format character
    (Cf: bidirectional overrides and isolates such as U+202E, zero-width spaces, the byte-order
    mark; except the joiners in ``ALLOWED_FORMAT``) in ``text``, or ``None``."""
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc" and char not in ALLOWED_CONTROLS:
            return char
        if category == "Cf" and char not in ALLOWED_FORMAT:
            return char
    return None


class RefuseNulMiddleware:
    """Refuse a POST whose form values (or names) hold an invisible character, with a clear 400.

    PostgreSQL text cannot hold NUL, so such a value reached the database as a
    500; a right-to-left override (U+202E) makes a stored name read backwards
    on screen and in exports (the "Trojan Source" class, Boucher & Anderson,
    USENIX Security 2023). No field of the application needs either, and
    refusing the whole form here keeps every form, present and future, from
    storing them. Query strings are left to the pages that read them (the
    patient search, for one, treats control characters as matching nothing).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            for key, values in request.POST.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return _refused(request, NUL_REFUSED.format(field=key.replace("\x00", "")))
                for text in (key, *values):
                    char = invisible_character(text)
                    if char is not None:
                        field = "".join(c for c in key if invisible_character(c) is None)
                        return _refused(request, _invisible_message(field, char))
        return self.get_response(request)


def _invisible_message(field: str, char: str) -> str:
    name = unicodedata.name(char, "control character")
    return INVISIBLE_REFUSED.format(field=field, code=f"U+{ord(char):04X}", name=name)
