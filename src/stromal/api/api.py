"""The REST API at ``/api/v1/``: django-ninja, OpenAPI at ``/api/v1/openapi.json``, docs at ``/api/v1/docs``.

Authentication: an API token (``Authorization: Bearer``) or the web app's
session. Every refusal is ``application/problem+json`` (``stromal.api.problems``).
The interactive docs are Swagger UI from django-ninja's own static files
(``ninja`` is an installed app, so no CDN is used; the validator badge, which
would call validator.swagger.io, is switched off) and run no inline script.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, RawPostDataException
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from stromal import __version__
from stromal.api import problems
from stromal.api.auth import SessionAuth, TokenAuth, request_api_user
from stromal.api.problems import FieldError, problem
from stromal.api.routers import administrations, encounters, followup, patients, plans, products
from stromal.audit.locking import StaleEditError
from stromal.audit.services import CASEBOOK_LOCKED

DESCRIPTION = """
Read the registry and record observations, with the same rules as the web pages: your role and
your site decide what you may see and do; another site's record is a 404.

**Authentication.** `Authorization: Bearer <token>` with a per-user API token (an administrator
creates it on the API tokens page or with `stromal api-token create USERNAME`), or the web app's
session when you are signed in. Every use of a token is recorded in the audit trail.

**Errors** are `application/problem+json` (RFC 9457); refused input lists each field with the
rule it broke. **Lists** are pages (`limit`, `offset`, `count`, `next`) filtered by date
(`date_from`, `date_to`, inclusive) and status.

Research and clinical-study software, not a medical device.
"""


def _docs_access(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The schema and the docs need a token or a signed-in user, like every other address."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request_api_user(request) is None:
            if request.path.endswith(".json"):
                return problem(
                    request,
                    401,
                    problems.NO_CREDENTIALS,
                    type_=problems.NOT_AUTHENTICATED,
                    headers=_challenge(),
                )
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="stromal"'}


#: The body of every refusal (RFC 9457), for the OpenAPI schema.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string", "description": "a URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "pointer", "rule", "detail"],
                "properties": {
                    "field": {"type": "string"},
                    "pointer": {"type": "string", "description": "JSON Pointer into the request"},
                    "rule": {"type": "string"},
                    "detail": {"type": "string"},
                },
            },
        },
    },
}
PROBLEM_RESPONSES = {
    "401": "No valid API token and no signed-in session",
    "403": "Your role may not do this (or the patient's casebook is locked)",
    "404": "No such record at your site",
    "422": "Input refused: each field with the rule it broke; nothing was saved",
}
WRITE_RESPONSES = {
    "400": "The body is not JSON",
    "415": "The body is not sent as JSON",
    "409": "The record changed since the version you sent",
}


class StromalAPI(NinjaAPI):
    """django-ninja's API with every refusal documented as ``application/problem+json``."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem_content = {problems.PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                refusals = PROBLEM_RESPONSES | (WRITE_RESPONSES if method != "get" else {})
                for status, description in refusals.items():
                    operation["responses"].setdefault(
                        status, {"description": description, "content": problem_content}
                    )
        return schema


api = StromalAPI(
    title="Stromal REST API",
    version="1",
    description=DESCRIPTION,
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api-v1",
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs_decorator=_docs_access,
    openapi_extra={"info": {"x-stromal-version": __version__}},
)
for module in (patients, encounters, plans, products, administrations, followup):
    api.add_router("", module.router)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(
        request, 401, problems.NO_CREDENTIALS, type_=problems.NOT_AUTHENTICATED, headers=_challenge()
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    detail = str(exc) or "You may not do this."
    kind = problems.LOCKED if detail == CASEBOOK_LOCKED else problems.FORBIDDEN
    return problem(request, 403, detail, type_=kind)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(request, 404, problems.NOT_FOUND_DETAIL, type_=problems.NOT_FOUND)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(request, exc.status_code, str(exc))


@api.exception_handler(RawPostDataException)
def _not_json(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
    # A form-encoded or multipart body was read as a form by the middleware; the API takes JSON only.
    return problem(request, 415, "Send the body as JSON (Content-Type: application/json).")


@api.exception_handler(StaleEditError)
def _stale(request: HttpRequest, exc: StaleEditError) -> HttpResponse:
    return problem(request, 409, " ".join(exc.messages), type_=problems.STALE_VERSION)


def _nothing_saved(request: HttpRequest) -> str:
    """A refused write says nothing was saved; a refused read has nothing to save."""
    return "" if request.method in ("GET", "HEAD", "OPTIONS") else "Nothing was saved. "


def _sent_value_keys(request: HttpRequest) -> frozenset[str]:
    try:
        values = json.loads(request.body or b"{}").get("values")
    except (ValueError, AttributeError, RawPostDataException):
        return frozenset()
    return frozenset(str(k) for k in values) if isinstance(values, dict) else frozenset()


@api.exception_handler(DjangoValidationError)
def _refused(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors = problems.field_errors(exc, prefix="/values", prefixed=_sent_value_keys(request))
    detail = "; ".join(e.detail for e in errors)
    return problem(
        request, 422, f"{_nothing_saved(request)}{detail}", type_=problems.INVALID_INPUT, errors=errors
    )


@api.exception_handler(NinjaValidationError)
def _malformed(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ninja puts the source first (body, query, path) and the schema's argument name second.
        fields = loc[2:] if len(loc) > 2 else loc[1:]
        field = ".".join(fields) or (loc[0] if loc else "request")
        errors.append(
            FieldError(
                field, str(error.get("type", "invalid")), str(error.get("msg", "")), "#/" + "/".join(fields)
            )
        )
    detail = "; ".join(f"{e.field}: {e.detail}" for e in errors) or "The request is malformed."
    return problem(
        request, 422, f"{_nothing_saved(request)}{detail}", type_=problems.INVALID_INPUT, errors=errors
    )


def _problem_for_method(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """django-ninja answers a method an address does not take with plain text; say it as a problem."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/"):
            allowed = response.get("Allow", "")
            detail = f"{request.method} is not allowed here; use {allowed}."
            return problem(
                request, 405, detail, type_=problems.METHOD_NOT_ALLOWED, headers={"Allow": allowed}
            )
        return response

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]  # as django-ninja's own views
    return wrapped


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under ``/api/v1/``: a problem, not the web app's HTML page."""
    return problem(request, 404, "No such API address.", type_=problems.NOT_FOUND)


def urlpatterns() -> list[URLPattern | URLResolver]:
    """The API's URL patterns (ninja's, with problem+json for wrong methods)."""
    patterns, _app_name, _namespace = api.urls
    wrapped: list[URLPattern | URLResolver] = []
    for entry in patterns:
        if isinstance(entry, URLPattern):
            entry = path(str(entry.pattern), _problem_for_method(entry.callback), name=entry.name)
        wrapped.append(entry)
    return wrapped
