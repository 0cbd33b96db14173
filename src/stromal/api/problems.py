"""Errors as ``application/problem+json`` (RFC 9457, "Problem Details for HTTP APIs").

Every refusal of the API is one JSON object: ``type`` (a URI naming the kind
of problem), ``title``, ``status``, ``detail`` (in words), ``instance`` (the
request path) and, for refused input, ``errors``: one item per field with
``field`` (the key the client sent), ``pointer`` (a JSON Pointer into the
request body, RFC 6901, as RFC 9457 §3 suggests), ``rule`` (what the field
accepts) and ``detail`` (the refusal in words, the same text the web form
shows next to the field).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse

from stromal.examinations.fields import SPECS

PROBLEM_JSON = "application/problem+json"
#: Problem types: URNs, so that no client is sent to a web address that may not answer.
INVALID_INPUT = "urn:stromal:problem:invalid-input"
STALE_VERSION = "urn:stromal:problem:stale-version"
NOT_AUTHENTICATED = "urn:stromal:problem:not-authenticated"
FORBIDDEN = "urn:stromal:problem:forbidden"
NOT_FOUND = "urn:stromal:problem:not-found"
METHOD_NOT_ALLOWED = "urn:stromal:problem:method-not-allowed"
LOCKED = "urn:stromal:problem:casebook-locked"

NO_CREDENTIALS = (
    "Send an API token as 'Authorization: Bearer <token>' (an administrator creates one), "
    "or sign in to the web app first."
)
NOT_FOUND_DETAIL = "No such record at your site."


@dataclass(frozen=True)
class FieldError:
    """One refused field: the key sent, where it is in the body, the rule, and the refusal in words."""

    field: str
    rule: str
    detail: str
    pointer: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "pointer": self.pointer or f"#/{self.field}",
            "rule": self.rule,
            "detail": self.detail,
        }


def problem(
    request: HttpRequest,
    status: int,
    detail: str,
    *,
    type_: str = "about:blank",
    errors: Iterable[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """A problem+json response; ``title`` is the status phrase (RFC 9457 §4.2 for about:blank)."""
    body: dict[str, Any] = {
        "type": type_,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    items = [e.as_dict() for e in errors]
    if items:
        body["errors"] = items
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def rule_of(field: str) -> str:
    """What ``field`` accepts, in words: the observation's rule (units, range) where it is one."""
    spec = SPECS.get(field)
    return spec.rule_text() if spec is not None else "see detail"


#: The rule an unknown observation key broke.
UNKNOWN_KEY_RULE = "must be an examination value key (GET /api/v1/openapi.json lists them)"


def field_errors(
    exc: DjangoValidationError,
    *,
    prefix: str = "",
    fallback: str = "request",
    prefixed: frozenset[str] = frozenset(),
) -> list[FieldError]:
    """A service's ``ValidationError`` as field errors (a message without a field names ``fallback``).

    ``prefix`` is the JSON Pointer of the object the fields belong to (``/values`` for observations):
    a known value key, or one of ``prefixed`` (the keys the client sent there, unknown ones included),
    points inside it; any other field (``reason``, ``version``) points at the top level.
    """
    if not hasattr(exc, "error_dict"):
        return [FieldError(fallback, "see detail", " ".join(exc.messages), f"#/{fallback}")]
    errors = []
    for field, messages in exc.message_dict.items():
        name = fallback if field == "__all__" else field
        inside = name in SPECS or name in prefixed
        pointer = f"#{prefix}/{name}" if inside else f"#/{name}"
        rule = rule_of(name) if name in SPECS or not inside else UNKNOWN_KEY_RULE
        errors.append(FieldError(name, rule, " ".join(messages), pointer))
    return errors
