"""Request-level guards for every form of the app.

``SubmissionTokenMiddleware``: one user action, one record (see the package docstring).
``RefuseNulMiddleware``: a NUL character in any posted form value gets a clear 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url

from stromal.submissions.models import TOKEN_MAX_LENGTH, Submission

TOKEN_FIELD = "submission_token"
TOKEN_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{20,{TOKEN_MAX_LENGTH}}}")
TOKEN_DAMAGED = "The submission token of this form is damaged. Open the page again and resend the form."
ALREADY_SUBMITTED = (
    "This form had already been sent; nothing was saved twice. This is the result of the first submission."
)
NUL_REFUSED = (
    "The field “{field}” contains a NUL character (\\x00), which no text in this application may contain. "
    "Remove it and send again."
)

GetResponse = Callable[[HttpRequest], HttpResponse]


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
        if not TOKEN_PATTERN.fullmatch(token):
            return _refused(request, TOKEN_DAMAGED)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = Submission.objects.create(token=token, path=request.path[:500])
            except IntegrityError:
                # Claimed by an earlier request; a concurrent one waited above until it committed.
                return _repeat(request, Submission.objects.get(token=token))
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
            elif _is_result(response):
                claim.location = response["Location"]
                claim.save(update_fields=["location"])
            else:
                claim.delete()
            return response


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


class RefuseNulMiddleware:
    """Refuse a POST whose form values (or names) contain a NUL character, with a clear 400.

    PostgreSQL text cannot hold NUL, so such a value reached the database as a
    500; no field of the application needs one, and refusing the whole form here
    keeps every form, present and future, from storing or choking on it. Query
    strings are left to the pages that read them (the patient search, for one,
    treats control characters as matching nothing).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            for key, values in request.POST.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return _refused(request, NUL_REFUSED.format(field=key.replace("\x00", "")))
        return self.get_response(request)
