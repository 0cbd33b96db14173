"""FHIR R4B endpoints: metadata, Patient read and ``$everything``, bulk ``$export``, laboratory import.

The same authentication as the REST API (an API token or a signed-in
session, ``stromal.api.auth.request_api_user``), the same roles (clinical
readers read; the examination services decide who writes) and the same
site scoping: another site's patient is a 404. Refusals are OperationOutcome.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, RawPostDataException
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from stromal.accounts.models import User
from stromal.accounts.roles import CLINICAL_READERS
from stromal.api.auth import request_api_user
from stromal.api.problems import NO_CREDENTIALS
from stromal.fhir.bundle import everything_bundle
from stromal.fhir.capability import capability_statement
from stromal.fhir.context import MapContext
from stromal.fhir.course import courses_load
from stromal.fhir.export import export_cancel, export_dir, export_kickoff, parse_types
from stromal.fhir.importing import ImportRefusedError, lab_import
from stromal.fhir.mappers import patient as patient_mapper
from stromal.fhir.models import ExportJob, ExportStatus
from stromal.fhir.responses import FHIR_NDJSON, fhir_json, outcome, refusal
from stromal.patients.guards import ROLE_REFUSED
from stromal.patients.selectors import patient_get

View = Callable[..., HttpResponseBase]
DB_BIGINT_MAX = 2**63 - 1
RETRY_AFTER_SECONDS = "5"
JSON_TYPES = ("application/fhir+json", "application/json")
NDJSON_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")


#: ``_format`` values and ``Accept`` types that mean JSON (FHIR R4B http.html#mime-type).
JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json", "application/json+fhir"})
#: Parameters every interaction takes.
COMMON_PARAMS = frozenset({"_format", "_pretty"})


def _format_refusal(request: HttpRequest) -> HttpResponse | None:
    """Only JSON is written: an asked-for XML or Turtle is refused (406), never answered with JSON."""
    asked = request.GET.get("_format", "").strip().lower()
    if asked and asked not in JSON_FORMATS:
        return refusal(
            406, f"_format: only JSON is served (application/fhir+json); got {asked!r}.", code="not-supported"
        )
    accept = request.headers.get("Accept", "")
    types = {part.split(";")[0].strip().lower() for part in accept.split(",") if part.strip()}
    if types and not types & (JSON_FORMATS | {"*/*", "application/*", "application/fhir+ndjson"}):
        return refusal(
            406, f"Accept: only JSON is served (application/fhir+json); got {accept!r}.", code="not-supported"
        )
    return None


def _parameter_refusal(request: HttpRequest, params: frozenset[str]) -> HttpResponse | None:
    """A parameter this interaction does not support is refused by name rather than ignored
    (FHIR R4B search.html#errors: a server that ignores one must say so; the Bulk Data IG asks
    the same for ``_typeFilter`` unless ``Prefer: handling=lenient``)."""
    lenient = "handling=lenient" in request.headers.get("Prefer", "").replace(" ", "").lower()
    unknown = sorted(set(request.GET) - params - COMMON_PARAMS)
    if unknown and not lenient:
        supported = ", ".join(sorted(params)) or "none"
        return refusal(
            400, f"{', '.join(unknown)}: not supported here (supported: {supported}).", code="not-supported"
        )
    return None


def fhir_view(*methods: str, params: Iterable[str] = ()) -> Callable[[View], View]:
    """Authenticate (token or session), require a clinical role, allow ``methods`` and the query
    ``params``; refusals as OperationOutcome."""
    allowed = frozenset(params)

    def decorator(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request_api_user(request)
            if user is None:
                return refusal(
                    401, NO_CREDENTIALS, code="login", headers={"WWW-Authenticate": 'Bearer realm="stromal"'}
                )
            if request.method not in methods:
                return refusal(
                    405,
                    f"{request.method} is not allowed here; use {', '.join(methods)}.",
                    code="not-supported",
                    headers={"Allow": ", ".join(methods)},
                )
            if not (user.is_active and user.role in {r.value for r in CLINICAL_READERS}):
                return refusal(
                    403,
                    ROLE_REFUSED.format(role=user.role or "none", action="read clinical records"),
                    code="forbidden",
                )
            refused = _format_refusal(request) or _parameter_refusal(request, allowed)
            if refused is not None:
                return refused
            if any(isinstance(v, int) and v > DB_BIGINT_MAX for v in kwargs.values()):
                return refusal(404, "No such record at your site.", code="not-found")
            request.user = user
            try:
                return view(request, user, *args, **kwargs)
            except Http404:
                return refusal(404, "No such record at your site.", code="not-found")
            except PermissionDenied as exc:
                return refusal(403, str(exc) or "You may not do this.", code="forbidden")

        return wrapped

    return decorator


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")


@fhir_view("GET")
def metadata(request: HttpRequest, user: User) -> HttpResponse:
    return fhir_json(capability_statement(_base(request)))


@fhir_view("GET")
def patient_read(request: HttpRequest, user: User, patient_id: int) -> HttpResponse:
    patient = patient_get(user=user, pk=patient_id)
    course = courses_load([patient.pk])[patient.pk]
    return fhir_json(next(patient_mapper.resources(course, MapContext(identified=True))))


@fhir_view("GET", params=("_type",))
def patient_everything(request: HttpRequest, user: User, patient_id: int) -> HttpResponse:
    """``$everything``: the patient's whole course (``_type`` limits the resource types)."""
    patient = patient_get(user=user, pk=patient_id)
    try:
        types = parse_types(request.GET.get("_type", ""))
    except ValidationError as exc:
        return refusal(400, " ".join(exc.messages), code="value")
    bundle = everything_bundle(
        patient=patient, base_url=_base(request), self_url=request.build_absolute_uri(), types=types
    )
    return fhir_json(bundle)


def _flag(request: HttpRequest, name: str) -> bool | None:
    value = request.GET.get(name, "false").strip().lower()
    return {"true": True, "false": False}.get(value)


@fhir_view("GET", "POST", params=("_type", "_outputFormat", "_since", "identified", "reason"))
def export_kickoff_view(request: HttpRequest, user: User) -> HttpResponse:
    """Bulk Data kick-off: 202 with ``Content-Location`` (the status address), or an OperationOutcome."""
    preferences = {part.strip().lower() for part in request.headers.get("Prefer", "").split(",")}
    if "respond-async" not in preferences:
        return refusal(
            400, "A bulk export runs in the background: send 'Prefer: respond-async'.", code="required"
        )
    output_format = request.GET.get("_outputFormat", FHIR_NDJSON)
    if output_format not in NDJSON_FORMATS:
        return refusal(400, f"_outputFormat: only {FHIR_NDJSON} is written.", code="not-supported")
    if "_since" in request.GET:
        return refusal(400, "_since is not supported: every export is complete.", code="not-supported")
    identified = _flag(request, "identified")
    if identified is None:
        return refusal(400, "identified: true or false.", code="value")
    try:
        job = export_kickoff(
            user=user,
            request_url=request.build_absolute_uri(),
            identified=identified,
            reason=request.GET.get("reason", "")[:2000],
            types=parse_types(request.GET.get("_type", "")),
        )
    except ValidationError as exc:
        return refusal(400, " ".join(exc.messages), code="value")
    status_url = request.build_absolute_uri(reverse("fhir:export_status", args=[job.pk]))
    return fhir_json(
        outcome([])
        | {"issue": [{"severity": "information", "code": "informational", "diagnostics": "Export queued."}]},
        status=202,
        headers={"Content-Location": status_url},
    )


def _own_job(user: User, job_id: Any) -> ExportJob:
    """Only the requester polls, downloads or deletes an export (another user's looks like none)."""
    return get_object_or_404(ExportJob, pk=job_id, requested_by=user)


@fhir_view("GET", "DELETE")
def export_status(request: HttpRequest, user: User, job_id: Any) -> HttpResponse:
    job = _own_job(user, job_id)
    if request.method == "DELETE":
        export_cancel(job=job, user=user)
        return fhir_json(
            outcome([])
            | {
                "issue": [
                    {"severity": "information", "code": "informational", "diagnostics": "Export deleted."}
                ]
            },
            status=202,
        )
    if job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        done = f"{job.patients_done}/{job.patients_total} patients" if job.patients_total else job.status
        return HttpResponse(status=202, headers={"X-Progress": done, "Retry-After": RETRY_AFTER_SECONDS})
    if job.status == ExportStatus.FAILED:
        return refusal(500, f"The export failed: {job.error}", code="exception")
    if job.status == ExportStatus.CANCELLED:
        return refusal(404, "This export was deleted.", code="not-found")
    manifest = {
        "transactionTime": (job.started_at or job.created_at).isoformat(),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {
                "type": item["type"],
                "url": request.build_absolute_uri(reverse("fhir:export_file", args=[job.pk, item["file"]])),
                "count": item["count"],
            }
            for item in job.output
        ],
        "error": [],
    }
    return HttpResponse(json.dumps(manifest), content_type="application/json", headers={"Expires": ""})


@fhir_view("GET")
def export_file(request: HttpRequest, user: User, job_id: Any, name: str) -> HttpResponseBase:
    job = _own_job(user, job_id)
    if job.status != ExportStatus.COMPLETED or name not in {item["file"] for item in job.output}:
        raise Http404("No such file.")
    path = export_dir(job.pk) / name
    if not path.is_file():
        raise Http404("No such file.")
    return FileResponse(path.open("rb"), content_type=FHIR_NDJSON)


@fhir_view("POST", params=("dryRun", "reason"))
def lab_import_view(request: HttpRequest, user: User, patient_id: int) -> HttpResponse:
    """``Patient/<id>/$lab-import``: a Bundle of Observations; ``?dryRun=true`` reports without saving."""
    patient = patient_get(user=user, pk=patient_id)
    dry_run = _flag(request, "dryRun")
    if dry_run is None:
        return refusal(400, "dryRun: true or false.", code="value")
    if request.content_type not in JSON_TYPES:
        return refusal(415, "Send the Bundle as application/fhir+json.", code="not-supported")
    try:
        bundle = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RawPostDataException):
        return refusal(400, "The body must be a FHIR Bundle in JSON.", code="structure")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return refusal(400, "The body must be a FHIR Bundle (resourceType Bundle).", code="structure")
    try:
        report = lab_import(
            user=user,
            patient=patient,
            bundle=bundle,
            dry_run=dry_run,
            reason=request.GET.get("reason", "")[:2000],
            source=f"api POST {request.path}",
        )
    except ImportRefusedError as refused:
        head = {
            "severity": "error",
            "code": "invalid",
            "diagnostics": "Nothing was saved: the Bundle was refused.",
        }
        return fhir_json(
            {"resourceType": "OperationOutcome", "issue": [head, *[i.as_dict() for i in refused.issues]]},
            status=422,
        )
    return fhir_json(outcome(report.issues()))
