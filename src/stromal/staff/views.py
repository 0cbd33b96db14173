"""Administration screens (administrator of the site only): accounts, sites, the security log.

A refused form shows the page again with the message next to the field (400);
a GET of an address that only saves a form goes back to the page that holds it.
A new password link is shown once, on the account's page, after the redirect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from stromal.accounts.access import role_required
from stromal.accounts.models import User
from stromal.accounts.zones import format_when
from stromal.audit.selectors import record_history
from stromal.csv_export import csv_response
from stromal.forms_clinical import add_service_errors
from stromal.patients.guards import request_user
from stromal.staff import selectors, services
from stromal.staff.forms import (
    AccountEditForm,
    AccountForm,
    ActiveForm,
    NewPasswordForm,
    PasswordLinkForm,
    SecurityFilterForm,
    SiteEditForm,
    SiteNewForm,
    UnlockForm,
)
from stromal.staff.models import SecurityEvent

ADMINS = services.ADMINS
USERS_PER_PAGE = 50
EVENTS_PER_PAGE = 50
#: Session key of the password link just issued, shown once on the account's page.
NEW_LINK = "stromal_new_password_link"
LINK_SHOWN_ONCE = (
    "Hand this link to {name} in person or by a channel you trust. It works once, until "
    "{expires}, and sets a password under the password rules; it is not shown again."
)
SECURITY_CSV_HEADER = (
    "when",
    "event",
    "username",
    "account",
    "address",
    "locked_out",
    "path",
    "user_agent",
    "by",
    "detail",
)


def _remember_link(request: HttpRequest, user: User, path: str) -> None:
    request.session[NEW_LINK] = {"user_id": user.pk, "url": request.build_absolute_uri(path)}


def _pop_link(request: HttpRequest, user: User) -> str:
    link = request.session.get(NEW_LINK)
    if isinstance(link, dict) and link.get("user_id") == user.pk:
        del request.session[NEW_LINK]
        return str(link.get("url", ""))
    return ""


@role_required(*ADMINS)
def index(request: HttpRequest) -> HttpResponse:
    admin = request_user(request)
    return render(
        request,
        "staff/index.html",
        {
            "active_users": selectors.site_users(admin=admin, active=True).count(),
            "locked": sum(h.locked for h in selectors.held_failures(admin=admin)),
        },
    )


@role_required(*ADMINS)
def user_list(request: HttpRequest) -> HttpResponse:
    admin = request_user(request)
    search = request.GET.get("q", "")[:100]
    state = request.GET.get("state", "active")
    active = {"active": True, "inactive": False}.get(state)
    users = selectors.site_users(admin=admin, search=search, active=active)
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/users.html",
        {"page": page, "q": search, "state": state, "pager_query": query.urlencode()},
    )


def _account_data(form: Form) -> dict[str, Any]:
    return {k: v for k, v in form.cleaned_data.items() if k != "reason"}


@role_required(*ADMINS)
@require_http_methods(["GET", "POST"])
def user_new(request: HttpRequest) -> HttpResponse:
    admin = request_user(request)
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(admin=admin, **form.cleaned_data)
            path = services.password_link(
                admin=admin, user=user, request=request, reason="new account: first password"
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _remember_link(request, user, path)
            messages.success(request, f"Account {user.username} created at {user.site}.")
            return redirect("staff:user", user_id=user.pk)
    return render(
        request,
        "staff/form.html",
        {
            "form": form,
            "title": "New account",
            "submit": "Create the account",
            "back": reverse("staff:users"),
        },
        status=400 if request.method == "POST" else 200,
    )


def _user_page(request: HttpRequest, person: User, status: int = 200, **forms: Form) -> HttpResponse:
    admin = request_user(request)
    return render(
        request,
        "staff/user.html",
        {
            "person": person,
            "is_me": person.pk == admin.pk,
            "new_link": _pop_link(request, person),
            "link_note": LINK_SHOWN_ONCE.format(
                name=person.display_name(),
                expires=format_when(timezone.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)),
            ),
            "history": record_history(person, quiet_fields=("password", "last_login")),
            "active_form": forms.get("active_form") or ActiveForm(),
            "link_form": forms.get("link_form") or PasswordLinkForm(),
            "events": SecurityEvent.objects.filter(user=person).order_by("-at", "-id")[:10],
        },
        status=status,
    )


@role_required(*ADMINS)
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    return _user_page(request, selectors.site_user_get(admin=request_user(request), user_id=user_id))


@role_required(*ADMINS)
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    admin = request_user(request)
    person = selectors.site_user_get(admin=admin, user_id=user_id)
    initial = {name: getattr(person, name) for name in AccountForm.base_fields}
    form = AccountEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = {k: v for k, v in _account_data(form).items() if v != initial.get(k)}
        try:
            services.user_update(admin=admin, user=person, reason=form.cleaned_data["reason"], **changed)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Account {person.username} changed.")
            return redirect("staff:user", user_id=person.pk)
    return render(
        request,
        "staff/form.html",
        {
            "form": form,
            "title": f"Change the account {person.username}",
            "submit": "Save the change",
            "back": reverse("staff:user", args=[person.pk]),
        },
        status=400 if request.method == "POST" else 200,
    )


@role_required(*ADMINS)
@require_http_methods(["GET", "POST"])
def user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    admin = request_user(request)
    person = selectors.site_user_get(admin=admin, user_id=user_id)
    if request.method == "GET":
        return redirect("staff:user", user_id=person.pk)
    form = ActiveForm(request.POST)
    if form.is_valid():
        active = not person.is_active
        try:
            services.user_set_active(
                admin=admin, user=person, active=active, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            state = "reactivated" if active else "deactivated: they can no longer sign in"
            messages.success(request, f"Account {person.username} {state}.")
            return redirect("staff:user", user_id=person.pk)
    return _user_page(request, person, status=400, active_form=form)


@role_required(*ADMINS)
@require_http_methods(["GET", "POST"])
def user_password_link(request: HttpRequest, user_id: int) -> HttpResponse:
    admin = request_user(request)
    person = selectors.site_user_get(admin=admin, user_id=user_id)
    if request.method == "GET":
        return redirect("staff:user", user_id=person.pk)
    form = PasswordLinkForm(request.POST)
    if form.is_valid():
        try:
            path = services.password_link(
                admin=admin, user=person, request=request, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _remember_link(request, person, path)
            return redirect(reverse("staff:user", args=[person.pk]) + "#password-link")
    return _user_page(request, person, status=400, link_form=form)


@role_required(*ADMINS)
def site_list(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/sites.html", {"sites": selectors.sites_list()})


@role_required(*ADMINS)
@require_http_methods(["GET", "POST"])
def site_new(request: HttpRequest) -> HttpResponse:
    admin = request_user(request)
    form = SiteNewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            site, first, path = services.site_create(admin=admin, request=request, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Site {site} opened. Hand its first administrator, {first.username}, this one-time link "
                f"to set a password: {request.build_absolute_uri(path)}",
            )
            return redirect("staff:sites")
    return render(
        request,
        "staff/form.html",
        {
            "form": form,
            "title": "Open a new site",
            "intro": "A new site is opened with its first administrator, who then manages its accounts.",
            "submit": "Open the site",
            "back": reverse("staff:sites"),
        },
        status=400 if request.method == "POST" else 200,
    )


@role_required(*ADMINS)
@require_http_methods(["GET", "POST"])
def site_edit(request: HttpRequest, site_id: int) -> HttpResponse:
    admin = request_user(request)
    site = selectors.own_site(admin=admin, site_id=site_id)
    initial = {
        "name": site.name,
        "time_zone": site.time_zone,
        "barometric_pressure_mmhg": site.barometric_pressure_mmhg,
    }
    form = SiteEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.site_update(admin=admin, site=site, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Site {site.code} changed.")
            return redirect("staff:sites")
    return render(
        request,
        "staff/form.html",
        {
            "form": form,
            "title": f"Change the site {site}",
            "submit": "Save the change",
            "back": reverse("staff:sites"),
            "history": record_history(site),
        },
        status=400 if request.method == "POST" else 200,
    )


def _security_rows(events: Iterator[SecurityEvent]) -> Iterator[list[Any]]:
    for event in events:
        yield [
            timezone.localtime(event.at).isoformat(timespec="seconds"),
            event.get_kind_display(),
            event.username,
            event.user.display_name() if event.user else "",
            event.ip_address or "",
            event.locked_out,
            event.path,
            event.user_agent,
            event.actor.username if event.actor else "",
            event.detail,
        ]


@role_required(*ADMINS)
def security_log(request: HttpRequest) -> HttpResponseBase:
    admin = request_user(request)
    form = SecurityFilterForm(request.GET or None)
    filters = form.filters()
    events = (
        selectors.security_events(admin=admin, filters=filters)
        if filters is not None
        else SecurityEvent.objects.none()
    )
    if request.GET.get("format") == "csv":
        return csv_response(
            f"security-log-{timezone.localdate():%Y-%m-%d}.csv",
            SECURITY_CSV_HEADER,
            _security_rows(events.iterator(chunk_size=500)),
        )
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/security.html",
        {
            "form": form,
            "page": page,
            "pager_query": query.urlencode(),
            "csv_query": (query.urlencode() + "&" if query else "") + "format=csv",
        },
    )


@role_required(*ADMINS)
@require_http_methods(["GET", "POST"])
def locks(request: HttpRequest) -> HttpResponse:
    admin = request_user(request)
    form = UnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.lock_reset(admin=admin, request=request, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Unlocked: {event.detail}.")
            return redirect("staff:locks")
    return render(
        request,
        "staff/locks.html",
        {
            "held": selectors.held_failures(admin=admin),
            "form": form,
            "failed": request.method == "POST",
            "limit": settings.AXES_FAILURE_LIMIT,
        },
        status=400 if request.method == "POST" else 200,
    )


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The one-time link: set a password under the password validators, then sign in.

    Django's view checks the token (and moves it out of the address bar into the
    session before the form is shown); a deactivated account's link does not work.
    """

    form_class = NewPasswordForm
    template_name = "staff/password_set.html"
    success_url = reverse_lazy("accounts:login")
    post_reset_login = False

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form: Any) -> HttpResponse:
        services.password_set(
            user=form.user, password=form.cleaned_data["new_password1"], request=self.request
        )
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, "Your password is set; sign in with it.")
        return redirect(self.success_url)


password_set = PasswordSetView.as_view()
