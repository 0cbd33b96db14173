"""The Export page: ask for an export of the current cohort, follow its progress, download it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from stromal.accounts.access import role_required
from stromal.accounts.models import User
from stromal.exports import services
from stromal.exports.forms import ExportForm
from stromal.exports.models import ExportRun, ExportStatus
from stromal.forms_clinical import add_service_errors
from stromal.outcomes.scope import ANALYTICS_ROLES, reader_scope
from stromal.outcomes.selectors import cohort_from_query
from stromal.outcomes.views import PAGES, cohort_query
from stromal.patients.guards import request_user
from stromal.submissions.middleware import repeatable

RECENT = 10


def _own_run(user: User, pk: int) -> ExportRun:
    """The user's own export; anyone else's looks like no export at all (404)."""
    reader_scope(user)
    return get_object_or_404(ExportRun, pk=pk, requested_by=user)


@repeatable  # an export reads the registry as it is now: the same filters later are a new export
@require_http_methods(["GET", "POST"])
@role_required(*ANALYTICS_ROLES)
def export_index(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    cohort_form, cohort = cohort_from_query(user=user, query=request.GET)
    form = ExportForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and cohort is not None and form.is_valid():
        try:
            run = services.export_request(
                user=user,
                filters=cohort.filters,
                formats=form.cleaned_data["formats"],
                identified=form.cleaned_data["identified"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("identified", str(exc))
        else:
            return redirect("exports:detail", pk=run.pk)
    if request.method == "POST":
        status = 400
    if cohort is None:
        status = 400
    recent = ExportRun.objects.filter(requested_by=user)[:RECENT]
    context = {
        "form": form,
        "cohort_form": cohort_form,
        "cohort": cohort,
        "query": cohort_query(request.GET),
        "pages": PAGES,
        "recent": recent,
    }
    return render(request, "exports/index.html", context, status=status)


@require_GET
@role_required(*ANALYTICS_ROLES)
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _own_run(request_user(request), pk)
    return render(request, "exports/detail.html", {"run": run, "pages": PAGES})


@require_GET
@role_required(*ANALYTICS_ROLES)
def export_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The export's progress for the page's progress bar (polled)."""
    run = _own_run(request_user(request), pk)
    done = run.status == ExportStatus.DONE
    return JsonResponse(
        {
            "status": run.status,
            "status_display": run.get_status_display(),
            "progress": run.progress,
            "n_patients": run.n_patients,
            "download_url": reverse("exports:download", args=[run.pk]) if done and run.file_name else None,
            "error": run.error if run.status == ExportStatus.FAILED else "",
        }
    )


@require_GET
@role_required(*ANALYTICS_ROLES)
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    user = request_user(request)
    run = _own_run(user, pk)
    try:
        path = services.export_download_path(run=run, user=user)
    except FileNotFoundError:
        raise Http404("This export has no file (yet).") from None
    return FileResponse(path.open("rb"), as_attachment=True, filename=run.file_name)
