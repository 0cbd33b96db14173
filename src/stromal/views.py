"""Project-level views: the landing page, a health check and error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers. Reveals nothing clinical."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception else "You may not open this page."
    return render(request, "errors/403.html", {"message": message}, status=403)


def _machine_error(request: HttpRequest, status: int, detail: str) -> HttpResponse | None:
    """The REST API answers problem+json (RFC 9457) and FHIR an OperationOutcome, even where Django
    itself refuses (an unknown address, a body over DATA_UPLOAD_MAX_MEMORY_SIZE); None elsewhere."""
    if request.path.startswith("/api/"):
        from stromal.api.problems import problem

        return problem(request, status, detail)
    if request.path.startswith("/fhir/"):
        from stromal.fhir.responses import refusal

        return refusal(status, detail, code="not-found" if status == 404 else "invalid")
    return None


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    detail = (
        "The request body is larger than this server accepts; nothing was read or saved."
        if isinstance(exception, RequestDataTooBig)
        else "The request could not be read; nothing was saved."
    )
    return _machine_error(request, 400, detail) or render(
        request, "errors/400.html", {"message": detail}, status=400
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _machine_error(request, 404, "No such address or record.") or render(
        request, "errors/404.html", status=404
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)
