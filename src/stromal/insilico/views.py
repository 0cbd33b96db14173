"""The trial designer (investigators): design a trial, follow its run, read and download its results.

Runs belong to a site: an investigator sees the runs of their own site; another site's run
looks like no run at all (404). The report is the engine's own ``report.html`` (Plotly with
inline scripts), served to a sandboxed frame under a policy of its own: an opaque origin that
may run its inline scripts but reaches nothing of this site (no cookies, no requests, no forms).
"""

from __future__ import annotations

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from stromal.accounts.access import role_required
from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.insilico import services
from stromal.insilico.forms import ArmsTrialForm, TomlTrialForm
from stromal.insilico.models import RunStatus, TrialRun
from stromal.model import TrialConfigError
from stromal.patients.guards import request_user, site_id_of

#: Who designs and runs in-silico trials.
TRIAL_ROLES = (Role.INVESTIGATOR,)
RECENT = 50

#: The policy of the report frame's document (see the module docstring).
REPORT_POLICY = {
    "default-src": [NONE],
    "script-src": [UNSAFE_INLINE],
    "style-src": [UNSAFE_INLINE],
    "img-src": ["data:"],
    "font-src": ["data:"],
    "connect-src": [NONE],
    "form-action": [NONE],
    "frame-ancestors": [SELF],
    "sandbox": ["allow-scripts"],
}


def _site_run(user: User, pk: int) -> TrialRun:
    """A run of the user's site; another site's run is a 404."""
    return get_object_or_404(TrialRun, pk=pk, site_id=site_id_of(user))


@require_GET
@role_required(*TRIAL_ROLES)
def trial_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    runs = TrialRun.objects.filter(site_id=site_id_of(user)).select_related("requested_by")[:RECENT]
    return render(request, "insilico/trial_list.html", {"runs": runs})


@require_http_methods(["GET", "POST"])
@role_required(*TRIAL_ROLES)
def trial_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    posted = request.POST if request.method == "POST" else None
    # Two forms on one page; anything but the designer's own "arms" is the TOML form.
    which = ("arms" if posted.get("design") == "arms" else "toml") if posted is not None else ""
    arms_form = ArmsTrialForm(posted if which == "arms" else None, prefix="arms")
    toml_form = TomlTrialForm(posted if which == "toml" else None)
    if posted is not None:
        form: ArmsTrialForm | TomlTrialForm = arms_form if which == "arms" else toml_form
        if form.is_valid():
            try:
                if isinstance(form, ArmsTrialForm):
                    from stromal.model import trial_config_from_dict

                    config = trial_config_from_dict(form.trial_dict())
                    text = ""
                else:
                    text = form.cleaned_data["config_toml"]
                    config = services.trial_config_from_toml(text)
                run = services.trial_run_request(user=user, config=config, source=which, config_toml=text)
            except TrialConfigError as exc:
                form.show_config_error(exc)
            else:
                return redirect("insilico:trial_detail", pk=run.pk)
    context = {
        "arms_form": arms_form,
        "toml_form": toml_form,
        "limit": services.WEB_MAX_PATIENTS,
        "open": which or "arms",
    }
    return render(request, "insilico/trial_new.html", context, status=400 if posted is not None else 200)


@require_GET
@role_required(*TRIAL_ROLES)
def trial_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    run = _site_run(request_user(request), pk)
    if request.GET.get("format") == "json":
        try:
            path = services.run_file(run=run, name="summary.json")
        except FileNotFoundError:
            return JsonResponse({"status": run.status, "detail": "The run has no summary (yet)."}, status=404)
        return FileResponse(path.open("rb"), content_type="application/json")
    context = {"run": run, "downloads": list(services.DOWNLOADS)}
    return render(request, "insilico/trial_detail.html", context)


@require_GET
@role_required(*TRIAL_ROLES)
def trial_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The run's progress for the page's progress bar (polled)."""
    run = _site_run(request_user(request), pk)
    return JsonResponse(
        {
            "status": run.status,
            "status_display": run.get_status_display(),
            "chunks_done": run.chunks_done,
            "chunks_total": run.chunks_total,
            "progress": run.progress,
            "finished": run.finished,
            "error": run.error if run.status in (RunStatus.FAILED, RunStatus.CANCELLED) else "",
            "detail_url": reverse("insilico:trial_detail", args=[run.pk]),
        }
    )


@require_POST
@role_required(*TRIAL_ROLES)
def trial_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    run = _site_run(user, pk)
    try:
        services.trial_run_cancel(run=run, user=user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Cancel requested: the run stops at the end of the current chunk.")
    return redirect("insilico:trial_detail", pk=run.pk)


@require_GET
@role_required(*TRIAL_ROLES)
def trial_download(request: HttpRequest, pk: int, name: str) -> FileResponse:
    run = _site_run(request_user(request), pk)
    try:
        path = services.run_file(run=run, name=name)
    except FileNotFoundError:
        raise Http404("This run has no such file (yet).") from None
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"trial-{run.pk}-{name}",
        content_type=services.DOWNLOADS[name],
    )


@require_GET
@role_required(*TRIAL_ROLES)
@xframe_options_sameorigin
@csp_replace(REPORT_POLICY)  # type: ignore[arg-type]  # django-csp types views as (request) only
def trial_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The engine's report.html for the results page's sandboxed frame."""
    run = _site_run(request_user(request), pk)
    try:
        path = services.run_file(run=run, name="report.html")
    except FileNotFoundError:
        raise Http404("This run has no report (yet).") from None
    return HttpResponse(path.read_bytes(), content_type=services.DOWNLOADS["report.html"])
