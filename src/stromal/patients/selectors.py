"""Reads of patients, always scoped to the user's site."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from stromal.accounts.models import User
from stromal.patients.guards import site_id_of
from stromal.patients.models import Patient
from stromal.patients.names import same_name, search_terms

SEARCH_MAX_TERMS = 6  # more words than a name and a record number hold only slow the query down


def patient_list(*, user: User, search: str = "") -> QuerySet[Patient]:
    """The site's patients; with ``search``, those whose name or record number holds every word of it.

    Words match in any order, ignoring case and accents: "Ada Lovelace", "lovelace ada",
    "LOVELACE" and "Zoe" (for "Zoë") all find; so does the record number or a part of it.
    """
    qs = Patient.objects.filter(site_id=site_id_of(user))
    terms = search_terms(search)[:SEARCH_MAX_TERMS]
    if search and not terms:  # only punctuation or control characters: nothing can match
        return qs.none()
    for term in terms:
        qs = qs.filter(search_text__contains=term)
    return qs


def patients_with_same_name_and_birth(
    *, user: User, given_name: str, family_name: str, date_of_birth: dt.date
) -> list[Patient]:
    """Patients of the user's site who may be the same person: same date of birth, same name
    (folded, in any order; ``stromal.patients.names.same_name``)."""
    candidates = Patient.objects.filter(site_id=site_id_of(user), date_of_birth=date_of_birth)
    return [p for p in candidates if same_name(p.given_name, p.family_name, given_name, family_name)]


def patient_get(*, user: User, pk: int) -> Patient:
    """The patient if it belongs to the user's site; otherwise 404 (never 403, which would leak existence)."""
    return get_object_or_404(Patient, pk=pk, site_id=site_id_of(user))
