"""Patients of the caller's site."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from stromal.api.common import DateRange, PageMeta, PageQuery, RecordId, dated, page, reader
from stromal.patients.models import Patient
from stromal.patients.selectors import patient_get, patient_list

router = Router(tags=["patients"])


class PatientOut(Schema):
    id: int
    site: str = Field(description="the site's code")
    mrn: str = Field(description="medical record number, unique at the site")
    given_name: str
    family_name: str
    sex: str
    date_of_birth: dt.date
    height_cm: float | None
    email: str
    phone: str
    synthetic: bool = Field(description="invented demo data")
    created_at: dt.datetime = Field(description="registration")
    version: int


class PatientPage(PageMeta):
    items: list[PatientOut]


class PatientFilters(DateRange):
    q: str = Field("", max_length=100, description="words of the name or record number, any order")


def present(patients: Sequence[Patient]) -> list[dict[str, Any]]:
    return [
        {
            "id": p.pk,
            "site": p.site.code,
            "mrn": p.mrn,
            "given_name": p.given_name,
            "family_name": p.family_name,
            "sex": p.sex,
            "date_of_birth": p.date_of_birth,
            "height_cm": p.height_cm,
            "email": p.email,
            "phone": p.phone,
            "synthetic": p.synthetic,
            "created_at": p.created_at,
            "version": p.version,
        }
        for p in patients
    ]


@router.get("/patients", response=PatientPage, summary="List patients")
def patients(
    request: HttpRequest, filters: Query[PatientFilters], paging: Query[PageQuery]
) -> dict[str, Any]:
    """The site's patients, by name; ``date_from``/``date_to`` filter on the registration date."""
    qs = patient_list(user=reader(request), search=filters.q).select_related("site")
    return page(request, dated(qs, "created_at__date", filters), paging, present)


@router.get("/patients/{int:patient_id}", response=PatientOut, summary="One patient")
def patient(request: HttpRequest, patient_id: RecordId) -> dict[str, Any]:
    return present([patient_get(user=reader(request), pk=patient_id)])[0]
