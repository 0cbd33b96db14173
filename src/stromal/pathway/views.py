from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from stromal.accounts.access import role_required
from stromal.accounts.roles import CLINICAL_READERS, Role
from stromal.examinations.services import SCHEDULERS
from stromal.followup.course import patient_course
from stromal.pathway.selectors import patient_timeline, worklist
from stromal.patients.guards import request_user
from stromal.patients.selectors import patient_get
from stromal.patients.services import PATIENT_WRITERS

READERS = tuple(CLINICAL_READERS)


@role_required(*READERS)
def worklist_view(request: HttpRequest) -> HttpResponse:
    work = worklist(user=request_user(request))
    read_only = request_user(request).has_role(Role.MONITOR, Role.INVESTIGATOR)
    return render(request, "pathway/worklist.html", {"work": work, "read_only": read_only})


@role_required(*READERS)
def patient_page(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_get(user=request_user(request), pk=pk)
    me = request_user(request)
    return render(
        request,
        "pathway/patient.html",
        {
            "patient": patient,
            "timeline": patient_timeline(patient),
            "encounters": patient.encounters.all(),
            "plans": patient.plans.select_related("protocol_version"),
            "family": patient.related_persons.all(),
            "course": patient_course(patient),
            "can_edit": me.has_role(*PATIENT_WRITERS),
            "can_schedule": me.has_role(*SCHEDULERS),
        },
    )
