"""Where the change being audited came from: the screen or the command.

Set once per request by ``AuditSourceMiddleware`` (the URL name of the view,
e.g. ``web plans:sign``) and once per command by ``stromal.cli.main``
(``command stromal demo``); ``audit_record`` stores it on every event, so the
audit-trail screen can say where each change was made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI imports this module; `stromal assess` must not load Django
    from django.http import HttpRequest, HttpResponse

_SOURCE: ContextVar[str] = ContextVar("stromal_audit_source", default="")


def current_source() -> str:
    return _SOURCE.get()


@contextmanager
def audit_source(source: str) -> Iterator[None]:
    """Attribute every audit event written inside the block to ``source``."""
    token = _SOURCE.set(source[:200])
    try:
        yield
    finally:
        _SOURCE.reset(token)


class AuditSourceMiddleware:
    """Names the view that handles the request as the source of its audit events."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _SOURCE.set(f"web {request.method} {request.path}"[:200])
        try:
            return self.get_response(request)
        finally:
            _SOURCE.reset(token)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> None:
        match = request.resolver_match
        name = match.view_name if match and match.view_name else request.path
        # Reset by __call__ when the response is done.
        _SOURCE.set(f"web {request.method} {name}"[:200])
