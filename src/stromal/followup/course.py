"""Database facts and worklist sections for the second half of the pathway,
feeding ``stromal.pathway`` (timeline facts, worklist, patient page)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.administrations import selectors as admin_selectors
from stromal.administrations.models import OPEN_STATES, AdministrationSession, AdverseEvent
from stromal.followup import selectors as followup_selectors
from stromal.followup.models import Discharge, FollowUpVisit, VisitStatus
from stromal.pathway.links import pk_reverse, session_url
from stromal.pathway.sections import Line, SectionSpec
from stromal.patients.guards import site_id_of
from stromal.patients.models import Patient
from stromal.plans.models import PlanStatus, TreatmentPlan
from stromal.plans.selectors import plan_lineage, ready_for_treatment


def course_extra(
    patient: Patient, plan: TreatmentPlan | None, today: dt.date | None = None
) -> dict[str, Any]:
    """The facts ``stromal.followup.steps`` reads, for one patient's current plan."""
    if plan is None:
        return {}
    course = frozenset(version.pk for version in plan_lineage(plan))
    discharge = Discharge.objects.filter(plan_id__in=course).only("discharged_at").first()
    return course_extra_from(
        plan=plan,
        sessions=list(AdministrationSession.objects.filter(plan_id__in=course).order_by("sequence")),
        visits=list(FollowUpVisit.objects.filter(plan_id__in=course).order_by("target_date")),
        discharge_at=discharge.discharged_at if discharge else None,
        today=today,
        course_plan_ids=course,
    )


def course_extra_from(
    *,
    plan: TreatmentPlan,
    sessions: Sequence[AdministrationSession],
    visits: Sequence[FollowUpVisit],
    discharge_at: dt.datetime | None,
    today: dt.date | None = None,
    course_plan_ids: frozenset[int] | None = None,
) -> dict[str, Any]:
    """``course_extra`` from rows already read (the patient page reads them once for all its parts).

    ``sessions`` and ``visits`` may hold other plans' rows; only those of the course count:
    ``plan`` and the revisions it supersedes (``course_plan_ids``, default ``plan`` alone),
    so what was given under an earlier revision stays in the course.
    """
    today = today or timezone.localdate()
    course = course_plan_ids or frozenset({plan.pk})
    mine = sorted(
        (s for s in sessions if s.plan_id in course), key=lambda s: (s.scheduled_date, s.sequence, s.pk)
    )
    plan_visits = sorted((v for v in visits if v.plan_id in course), key=lambda v: (v.target_date, v.pk))
    open_visits = [v for v in plan_visits if v.status == VisitStatus.SCHEDULED]
    nxt = open_visits[0] if open_visits else None
    return {
        "plan_id": plan.pk,
        "sessions": [
            {
                "id": s.pk,
                "sequence": s.sequence,
                "day": s.protocol_day,
                "date": s.scheduled_date.isoformat(),
                "status": s.status,
                "has_product": s.product_id is not None,
                "awaiting_confirmation": s.awaiting_stop_confirmation,
                "given": s.volume_given_ml is not None,
            }
            for s in mine
        ],
        "n_administrations": (plan.dose or {}).get("n_administrations"),
        "discharge_at": discharge_at,
        "visits_total": len(plan_visits),
        "visits_closed": len(plan_visits) - len(open_visits),
        "next_visit": {
            "name": nxt.name,
            "window_start": nxt.window_start.isoformat(),
            "window_end": nxt.window_end.isoformat(),
            "overdue": nxt.window_end < today,
        }
        if nxt
        else None,
    }


# Worklist sections of the second half of the pathway (shown by ``stromal.pathway``).
# Each query reads only the columns its line shows.
_PATIENT = ("patient__given_name", "patient__family_name", "patient__mrn")
_SESSION = ("id", "patient_id", "sequence", "protocol_day", "scheduled_date", "status", *_PATIENT)


def _administrations_due(user: User, today: dt.date) -> QuerySet[AdministrationSession]:
    return (
        admin_selectors.sessions_today(user=user, day=today)
        .exclude(product__isnull=True)
        .select_related(None)
        .select_related("patient")
        .only(*_SESSION, "product_id")
    )


def _stops(user: User, today: dt.date) -> QuerySet[AdministrationSession]:
    return admin_selectors.sessions_awaiting_confirmation(user=user).only(*_SESSION, "stop_reason")


def _units(user: User, today: dt.date) -> QuerySet[AdministrationSession]:
    return (
        admin_selectors.sessions_needing_product(user=user)
        .select_related(None)
        .select_related("patient")
        .only(*_SESSION)
    )


def _ungraded(user: User, today: dt.date) -> QuerySet[AdverseEvent]:
    return (
        admin_selectors.adverse_events_ungraded(user=user)
        .select_related(None)
        .select_related("patient")
        .only("id", "patient_id", "term", "onset_at", *_PATIENT)
    )


def _expedited(user: User, today: dt.date) -> QuerySet[AdverseEvent]:
    return (
        admin_selectors.adverse_events_expedited(user=user)
        .select_related(None)
        .select_related("patient")
        .only("id", "patient_id", "term", "onset_at", "ctcae_grade", "serious", *_PATIENT)
    )


def _to_discharge(user: User, today: dt.date) -> QuerySet[TreatmentPlan]:
    """Approved plans with administrations, all of them ended, and no discharge yet."""
    sessions = AdministrationSession.objects.filter(plan=OuterRef("pk"))
    return (
        TreatmentPlan.objects.filter(patient__site_id=site_id_of(user), status=PlanStatus.APPROVED)
        .filter(Exists(sessions))
        .exclude(Exists(sessions.filter(status__in=OPEN_STATES)))
        .exclude(Exists(Discharge.objects.filter(plan=OuterRef("pk"))))
        .select_related("patient")
        .only("id", "patient_id", "created_at", *_PATIENT)
    )


_VISIT = ("id", "patient_id", "name", "window_end", *_PATIENT)


def _overdue(user: User, today: dt.date) -> QuerySet[FollowUpVisit]:
    return followup_selectors.visits_overdue(user=user, today=today).only(*_VISIT)


def _due(user: User, today: dt.date) -> QuerySet[FollowUpVisit]:
    return followup_selectors.visits_due(user=user, today=today).only(*_VISIT)


def _session_line(s: AdministrationSession) -> Line:
    """A session due today opens the page of its next step (``stromal.pathway.links.session_url``)."""
    return Line(f"{s.patient.full_name} ({s.patient.mrn}) · {s} · {s.get_status_display()}", session_url(s))


def _ae_url(e: AdverseEvent) -> str:
    return pk_reverse("administrations:ae_detail", e.pk)


COURSE_SECTIONS: list[SectionSpec] = [
    SectionSpec(
        "wl-administrations",
        "Administrations to run",
        frozenset({Role.NURSE, Role.PHYSICIAN}),
        _administrations_due,
        _session_line,
    ),
    SectionSpec(
        "wl-stops",
        "Stopping-rule events to confirm",
        frozenset({Role.PHYSICIAN}),
        _stops,
        lambda s: Line(f"{s.patient.full_name} · {s.stop_reason}", _detail(s)),
    ),
    SectionSpec(
        "wl-grade",
        "Adverse events to grade",
        frozenset({Role.PHYSICIAN}),
        _ungraded,
        lambda e: Line(f"{e.patient.full_name} · {e.term}", pk_reverse("administrations:ae_grade", e.pk)),
    ),
    SectionSpec(
        "wl-discharge",
        "Patients to discharge",
        frozenset({Role.PHYSICIAN}),
        _to_discharge,
        lambda p: Line(f"{p.patient.full_name} ({p.patient.mrn})", pk_reverse("followup:discharge", p.pk)),
    ),
    SectionSpec(
        "wl-units",
        "Administrations waiting for a unit",
        frozenset({Role.LAB}),
        _units,
        lambda s: Line(f"{s.patient.full_name} · {s}", pk_reverse("administrations:allocate", s.pk)),
    ),
    SectionSpec(
        "wl-overdue",
        "Overdue follow-up visits",
        frozenset({Role.COORDINATOR}),
        _overdue,
        lambda v: Line(
            f"{v.patient.full_name} · {v.name} (window closed {v.window_end:%Y-%m-%d})", _calendar(v)
        ),
    ),
    SectionSpec(
        "wl-visits-due",
        "Follow-up visits due now",
        frozenset({Role.COORDINATOR}),
        _due,
        lambda v: Line(f"{v.patient.full_name} · {v.name} (until {v.window_end:%Y-%m-%d})", _calendar(v)),
    ),
    SectionSpec(
        "wl-expedited",
        "Serious adverse events — expedited review",
        frozenset({Role.PHYSICIAN, Role.MONITOR, Role.INVESTIGATOR}),
        _expedited,
        lambda e: Line(f"{e.patient.full_name} · {e}", _ae_url(e)),
    ),
]


def _detail(s: AdministrationSession) -> str:
    return pk_reverse("administrations:detail", s.pk)


def _calendar(v: FollowUpVisit) -> str:
    return pk_reverse("followup:calendar", v.patient_id)


def patient_course(patient: Patient) -> dict[str, Any]:
    """Administrations, adverse events and follow-up for the patient page."""
    live = patient.plans.filter(status=PlanStatus.APPROVED).select_related("protocol_version").first()
    return patient_course_from(
        live=live,
        sessions=list(AdministrationSession.objects.filter(patient=patient).select_related("product")),
        adverse_events=list(AdverseEvent.objects.filter(patient=patient)),
        has_followup=FollowUpVisit.objects.filter(patient=patient).exists(),
        course_plan_ids=frozenset(p.pk for p in plan_lineage(live)) if live else None,
    )


def patient_course_from(
    *,
    live: TreatmentPlan | None,
    sessions: Sequence[AdministrationSession],
    adverse_events: Sequence[AdverseEvent],
    has_followup: bool,
    course_plan_ids: frozenset[int] | None = None,
) -> dict[str, Any]:
    """``patient_course`` from rows already read; ``live`` is the patient's approved plan, if any.

    The treatment gate (``ready_for_treatment``, two queries) is asked only for an
    approved plan whose course (``live`` and the revisions it supersedes,
    ``course_plan_ids``) has no administration yet, the one case where it matters.
    """
    course = course_plan_ids or (frozenset({live.pk}) if live is not None else frozenset())
    schedulable = (
        live
        if live is not None
        and not any(s.plan_id in course for s in sessions)
        and ready_for_treatment(live)
        and not live.protocol_version.to_protocol().arm(live.arm_name).is_control
        else None
    )
    return {
        "schedulable_plan": schedulable,
        "sessions": sessions,
        "adverse_events": adverse_events,
        "has_followup": has_followup,
    }
