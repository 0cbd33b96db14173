"""What every endpoint of the REST API shares: the caller, the page of results, the filters.

Reads need one of the clinical roles (``CLINICAL_READERS``, as on the pages);
every query is scoped to the caller's site, so another site's record is a 404.
Lists are pages (``limit`` 1–500, ``offset``) with ``count`` and the ``next``
page's address; ``date_from`` / ``date_to`` (inclusive) filter each list on its
main date, named in the endpoint's description.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.params import Path
from pydantic import BeforeValidator

from stromal.accounts.models import User
from stromal.accounts.roles import CLINICAL_READERS
from stromal.patients.guards import ROLE_REFUSED

#: Primary keys are 64-bit; a larger number is refused as input (422), never sent to the database.
DB_BIGINT_MAX = 2**63 - 1
PAGE_MAX = 500
PAGE_DEFAULT = 50

#: A record id in a path.
RecordId = Annotated[int, Path(..., ge=1, le=DB_BIGINT_MAX, description="the record's id")]

M = TypeVar("M", bound=Model)


def caller(request: HttpRequest) -> User:
    """The authenticated user of an endpoint (token or session)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise PermissionDenied("Sign in or send an API token.")
    return user


def reader(request: HttpRequest) -> User:
    """The caller, if their role may read clinical records (every clinical role may, as on the pages)."""
    user = caller(request)
    if not (user.is_active and user.role in {r.value for r in CLINICAL_READERS}):
        raise PermissionDenied(ROLE_REFUSED.format(role=user.role or "none", action="read clinical records"))
    return user


class PageQuery(Schema):
    limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX, description="results per page (1–500)")
    offset: int = Field(0, ge=0, le=DB_BIGINT_MAX, description="results to skip")


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NOT_ISO_DATE = "must be a date written YYYY-MM-DD"


def _iso_date(value: object) -> object:
    """Only ``YYYY-MM-DD`` is a date here (pydantic alone would read ``0`` as 1970-01-01)."""
    if isinstance(value, str) and not ISO_DATE.fullmatch(value):
        raise ValueError(NOT_ISO_DATE)
    if isinstance(value, int | float):
        raise ValueError(NOT_ISO_DATE)
    return value


#: A date in a query string: ``YYYY-MM-DD`` and nothing else.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class DateRange(Schema):
    date_from: IsoDate | None = Field(None, description="on or after this date (inclusive), YYYY-MM-DD")
    date_to: IsoDate | None = Field(None, description="on or before this date (inclusive), YYYY-MM-DD")


class PageMeta(Schema):
    count: int = Field(description="results matching the filters, all pages together")
    limit: int
    offset: int
    next: str | None = Field(description="the address of the next page, or null on the last page")


def dated(qs: QuerySet[M], field: str, dates: DateRange) -> QuerySet[M]:
    """``qs`` narrowed to ``field`` (a date, or a date-time read as its date) within the range."""
    if dates.date_from is not None:
        qs = qs.filter(**{f"{field}__gte": dates.date_from})
    if dates.date_to is not None:
        qs = qs.filter(**{f"{field}__lte": dates.date_to})
    return qs


def page(
    request: HttpRequest,
    qs: QuerySet[M],
    query: PageQuery,
    present: Callable[[Sequence[M]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """One page of ``qs`` as ``{items, count, limit, offset, next}``; ``present`` turns the rows into items."""
    count = qs.count()
    rows = list(qs[query.offset : query.offset + query.limit])
    following = query.offset + query.limit
    next_url = None
    if following < count:
        params = request.GET.copy()
        params["offset"] = str(following)
        params["limit"] = str(query.limit)
        next_url = request.build_absolute_uri(f"{request.path}?{urlencode(sorted(params.items()))}")
    return {
        "items": present(rows),
        "count": count,
        "limit": query.limit,
        "offset": query.offset,
        "next": next_url,
    }


def username(user: Any) -> str | None:
    """A user as the API names them (the username; printed names are on signatures)."""
    return None if user is None else str(user.username)
