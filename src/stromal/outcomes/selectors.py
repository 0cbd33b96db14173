"""Reads the pages of ``outcomes`` and ``exports`` share: the cohort of a query string."""

from __future__ import annotations

from django.http import QueryDict

from stromal.accounts.models import User
from stromal.outcomes.cohort import Cohort, CohortFilter, cohort_build
from stromal.outcomes.forms import COHORT_KEYS, CohortForm
from stromal.outcomes.scope import reader_scope


def cohort_from_query(*, user: User, query: QueryDict) -> tuple[CohortForm, Cohort | None]:
    """The cohort builder's form bound to ``query`` and its cohort (None while the form has errors).

    Raises:
        PermissionDenied: not an analytics reader, or a site outside the reader's scope.
    """
    scope = reader_scope(user)
    bound = any(query.get(key) for key in COHORT_KEYS)
    form = CohortForm(query if bound else None, scope=scope)
    if bound and not form.is_valid():
        return form, None
    filters = form.filters() if bound else CohortFilter()
    return form, cohort_build(scope=scope, filters=filters)
