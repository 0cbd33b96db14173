"""Reads of patients, always scoped to the user's site."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from stromal.accounts.models import User
from stromal.patients.guards import site_id_of
from stromal.patients.models import Patient


def patient_list(*, user: User, search: str = "") -> QuerySet[Patient]:
    qs = Patient.objects.filter(site_id=site_id_of(user))
    if search:
        qs = qs.filter(
            Q(mrn__icontains=search) | Q(family_name__icontains=search) | Q(given_name__icontains=search)
        )
    return qs


def patient_get(*, user: User, pk: int) -> Patient:
    """The patient if it belongs to the user's site; otherwise 404 (never 403, which would leak existence)."""
    return get_object_or_404(Patient, pk=pk, site_id=site_id_of(user))
