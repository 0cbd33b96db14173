"""The administrator's API tokens page: issue a token (shown once), revoke one.

Only administrators, and only for the users of their own site. The new
token is shown on the page that answers the form, never stored: the page is
not cached (``no-store`` for signed-in users) and a reload issues nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from stromal.accounts.access import role_required
from stromal.api.forms import TokenCreateForm, TokenRevokeForm
from stromal.api.selectors import token_get, token_holders, tokens_of_site
from stromal.api.services import TOKEN_ADMINS, api_token_create, api_token_revoke
from stromal.forms_clinical import add_service_errors
from stromal.patients.guards import request_user


@role_required(*TOKEN_ADMINS)
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """The site's tokens, newest first, and the form that issues one."""
    me = request_user(request)
    form = TokenCreateForm(request.POST or None, holders=token_holders(user=me))
    if request.method == "POST" and form.is_valid():
        try:
            row, token = api_token_create(
                user=form.cleaned_data["user"], name=form.cleaned_data["name"], actor=me
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(request, "api/token_created.html", {"row": row, "token": token})
    status = 400 if request.method == "POST" else 200
    tokens = tokens_of_site(user=me)[:500]
    return render(request, "api/tokens.html", {"form": form, "tokens": tokens}, status=status)


@role_required(*TOKEN_ADMINS)
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    me = request_user(request)
    row = token_get(user=me, pk=pk)
    form = TokenRevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            api_token_revoke(token=row, actor=me, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Token {row.prefix}… of {row.user.username} revoked; it no longer works."
            )
            return redirect("api_tokens:list")
    status = 400 if request.method == "POST" else 200
    return render(request, "api/token_revoke.html", {"row": row, "form": form}, status=status)
