from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from stromal.accounts.models import User
from stromal.examinations.models import Assessment, Encounter
from stromal.patients.guards import site_id_of


def encounter_get(*, user: User, pk: int) -> Encounter:
    return get_object_or_404(
        Encounter.objects.select_related("patient", "patient__site"), pk=pk, patient__site_id=site_id_of(user)
    )


def encounters_for_patient(*, user: User, patient_id: int) -> QuerySet[Encounter]:
    return Encounter.objects.filter(patient_id=patient_id, patient__site_id=site_id_of(user))


def assessment_latest(encounter: Encounter) -> Assessment | None:
    return encounter.assessments.order_by("-sequence").first()
