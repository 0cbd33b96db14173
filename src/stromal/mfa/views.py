"""Second-factor pages: the code after the password, enrolment, recovery codes, an administrator's reset.

Every page needs a signed-in user; the code and enrolment pages are the only ones
open between the password and the second factor (``middleware.OPEN_VIEWS``).
"""

from __future__ import annotations

import base64

from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from stromal.accounts.access import role_required
from stromal.accounts.reauth import reauthenticate
from stromal.accounts.roles import Role
from stromal.forms_clinical import add_service_errors
from stromal.mfa import selectors, services
from stromal.mfa.forms import CodeForm, EnrolForm, PasswordForm, ResetForm
from stromal.mfa.policy import has_second_factor, second_factor_required, session_verified
from stromal.mfa.qr import qr_svg
from stromal.patients.guards import request_user

EVERY_ROLE = tuple(Role)
#: Session key holding freshly made recovery codes until the codes page has shown them once.
NEW_CODES = "stromal_mfa_new_codes"
#: Set when the second factor was a recovery code: the next page says how many are left.
RECOVERY_USED = "stromal_mfa_recovery_used"


def _next(request: HttpRequest) -> str:
    """Where to go after the second factor: ``next`` when it is a path on this site, else the start page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return str(resolve_url("home"))


def _signed_in_with(request: HttpRequest, device: object) -> None:
    otp_login(request, device)
    # A new session key once the second factor is passed (OWASP ASVS 3.2.1).
    request.session.cycle_key()


@role_required(*EVERY_ROLE)
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponseBase:
    user = request_user(request)
    if session_verified(request) or not has_second_factor(user):
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        check = services.second_factor_check(request=request, user=user, code=form.cleaned_data["code"])
        if getattr(request, "axes_locked_out", False):
            # Too many wrong codes: the account is locked and signed out; django-axes'
            # middleware answers with its lockout page.
            logout(request)
            return HttpResponse(status=429)
        if check.device is not None:
            _signed_in_with(request, check.device)
            if check.recovery_code_used:
                request.session[RECOVERY_USED] = True
                return redirect("mfa:manage")
            return redirect(_next(request))
        form.add_error("code", check.refusal)
        status = 400
    elif request.method == "POST":
        status = 400
    return render(request, "mfa/verify.html", {"form": form, "next": _next(request)}, status=status)


@role_required(*EVERY_ROLE)
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponseBase:
    user = request_user(request)
    if has_second_factor(user):
        # Never a second authenticator on the strength of a password alone.
        return redirect("mfa:manage" if session_verified(request) else "mfa:verify")
    form = EnrolForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                device, codes = services.totp_enrolment_confirm(user=user, code=form.cleaned_data["code"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                _signed_in_with(request, device)
                request.session[NEW_CODES] = codes
                return redirect(f"{resolve_url('mfa:codes')}?{urlencode({'next': _next(request)})}")
    device = services.totp_enrolment_start(user=user)
    context = {
        "form": form,
        "qr": qr_svg(device.config_url),
        "secret": _grouped_secret(device.bin_key),
        "required": second_factor_required(user),
        "next": _next(request),
    }
    return render(request, "mfa/enrol.html", context, status=status)


def _grouped_secret(key: bytes) -> str:
    """The key as authenticator apps take it typed in: base-32, in groups of four."""
    text = base64.b32encode(key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@role_required(*EVERY_ROLE)
@require_http_methods(["GET"])
def codes(request: HttpRequest) -> HttpResponseBase:
    """New recovery codes, shown once: the session forgets them as this page is drawn."""
    fresh = request.session.pop(NEW_CODES, None)
    return render(request, "mfa/codes.html", {"codes": fresh or [], "next": _next(request)})


@role_required(*EVERY_ROLE)
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest) -> HttpResponseBase:
    user = request_user(request)
    form = PasswordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            refusal = reauthenticate(
                request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
            if refusal:
                form.add_error("password", refusal.replace("nothing was signed", "no new codes were made"))
            else:
                try:
                    request.session[NEW_CODES] = services.recovery_codes_regenerate(user=user)
                except PermissionDenied as exc:
                    form.add_error(None, str(exc))
                else:
                    return redirect("mfa:codes")
    context = {
        "status": selectors.second_factor_status(user),
        "form": form,
        "recovery_used": request.session.pop(RECOVERY_USED, False),
    }
    return render(request, "mfa/manage.html", context, status=status)


@role_required(Role.ADMIN)
@require_http_methods(["GET"])
def site_users(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.site_users_second_factor(admin=request_user(request))
    return render(request, "mfa/users.html", {"rows": rows})


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest, user_id: int) -> HttpResponseBase:
    admin = request_user(request)
    user = selectors.site_user_get(admin=admin, user_id=user_id)
    form = ResetForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.second_factor_reset(admin=admin, user=user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("mfa:users")
    context = {"form": form, "status": selectors.second_factor_status(user)}
    return render(request, "mfa/reset.html", context, status=status)
