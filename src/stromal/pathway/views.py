from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from stromal.accounts.access import role_required
from stromal.accounts.models import User
from stromal.accounts.roles import CLINICAL_READERS, Role
from stromal.examinations.services import SCHEDULERS
from stromal.followup.selectors import outcome_series
from stromal.pathway.course_charts import course_charts
from stromal.pathway.followup_charts import followup_charts
from stromal.pathway.links import SessionState, next_action_url, pk_reverse
from stromal.pathway.sections import SECTION_PAGE_ROWS
from stromal.pathway.selectors import PatientPage, patient_page
from stromal.pathway.worklist import worklist, worklist_section
from stromal.patients.guards import request_user
from stromal.patients.services import PATIENT_WRITERS

READERS = tuple(CLINICAL_READERS)


@role_required(*READERS)
def worklist_view(request: HttpRequest) -> HttpResponse:
    work = worklist(user=request_user(request))
    read_only = request_user(request).has_role(Role.MONITOR, Role.INVESTIGATOR)
    return render(request, "pathway/worklist.html", {"work": work, "read_only": read_only})


@role_required(*READERS)
def worklist_section_view(request: HttpRequest, key: str) -> HttpResponse:
    """One worklist section in full, a page at a time (the worklist shows only its head)."""
    me = request_user(request)
    spec = worklist_section(user=me, key=key)
    page = Paginator(spec.rows(me, timezone.localdate()), SECTION_PAGE_ROWS).get_page(request.GET.get("page"))
    return render(
        request,
        "pathway/worklist_section.html",
        {"key": spec.key, "title": spec.title, "page": page, "lines": [spec.line(r) for r in page]},
    )


def _next_action_url(me: User, page: PatientPage) -> str:
    """The page where this user does the next action (``stromal.pathway.links.next_action_url``)."""
    current = page.timeline.current
    plan_pk = current.link[1] if current and current.link and current.link[0] == "plans:detail" else None
    return next_action_url(
        step=current,
        steps=page.timeline.steps,
        role=me.role,
        patient_id=page.patient.pk,
        consent_given=any(p.pk == plan_pk and getattr(p, "consent_at", None) for p in page.plans),
        sessions=[
            SessionState(
                pk=s.pk,
                status=s.status,
                has_product=s.product_id is not None,
                awaiting_confirmation=s.awaiting_stop_confirmation,
                given=s.volume_given_ml is not None,
            )
            for s in page.course["sessions"]
        ],
    )


@role_required(*READERS)
def patient_page_view(request: HttpRequest, pk: int) -> HttpResponse:
    me = request_user(request)
    page = patient_page(user=me, pk=pk)
    outcomes = outcome_series(page.patient) if page.course["has_followup"] else None
    # Each row's link is built here with one URL reversal per kind of link (pk_reverse),
    # not one {% url %} per row.
    return render(
        request,
        "pathway/patient.html",
        {
            "patient": page.patient,
            "timeline": page.timeline,
            "steps": [(step, pk_reverse(*step.link) if step.link else "") for step in page.timeline.steps],
            "current_url": _next_action_url(me, page),
            "encounters": [(e, pk_reverse("examinations:detail", e.pk)) for e in page.encounters],
            "plans": [(p, pk_reverse("plans:detail", p.pk)) for p in page.plans],
            "family": page.family,
            "course": page.course,
            "sessions": [(s, pk_reverse("administrations:detail", s.pk)) for s in page.course["sessions"]],
            "adverse_events": [
                (e, pk_reverse("administrations:ae_detail", e.pk)) for e in page.course["adverse_events"]
            ],
            "charts": course_charts(page),
            "outcomes": outcomes,
            "followup_charts": followup_charts(outcomes),
            "can_edit": me.has_role(*PATIENT_WRITERS),
            "can_schedule": me.has_role(*SCHEDULERS),
        },
    )
