"""The per-role worklist: what each user must do today, section by section, always site-scoped.

Each section (``SectionSpec``) is a deterministically ordered query reading only
the columns its lines show; the worklist shows the head of each and the
section page the whole, a page at a time (``stromal.pathway.sections``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from stromal.accounts.models import User
from stromal.accounts.roles import Role
from stromal.accounts.zones import format_when
from stromal.examinations.models import Encounter, EncounterKind, EncounterStatus, Observation
from stromal.followup.course import COURSE_SECTIONS
from stromal.intake.models import OPEN_STATUSES, ConsultationRequest
from stromal.monitoring.worklist import QUERY_SECTIONS
from stromal.pathway.links import pk_reverse
from stromal.pathway.sections import Line, Section, SectionSpec, section_head, visible
from stromal.pathway.templatetags.display import plan_arm
from stromal.patients.guards import site_id_of
from stromal.plans.models import Consent, EligibilityCheck, PlanSignature, PlanStatus, TreatmentPlan
from stromal.plans.selectors import protocols_letting_drafters_sign

_PATIENT = ("patient__given_name", "patient__family_name", "patient__mrn")


def _requests(user: User, today: dt.date) -> QuerySet[ConsultationRequest]:
    return ConsultationRequest.objects.filter(site_id=site_id_of(user), status__in=OPEN_STATUSES).only(
        "id", "full_name", "status", "created_at"
    )


def _open_examinations(user: User, today: dt.date) -> QuerySet[Encounter]:
    """Examinations due today or earlier that are not closed yet.

    "Today or earlier" is "before tomorrow's midnight" (local time), a range the
    index on ``scheduled_for`` serves, not a date cast of every row.
    """
    tomorrow = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time()))
    return (
        Encounter.objects.filter(patient__site_id=site_id_of(user), scheduled_for__lt=tomorrow)
        .exclude(status=EncounterStatus.CLOSED)
        .select_related("patient")
        .only("id", "patient_id", "kind", "status", "scheduled_for", *_PATIENT)
        .order_by("scheduled_for", "id")
    )


def _to_check(user: User, today: dt.date) -> QuerySet[Encounter]:
    """Examinations with results, no eligibility check, of a patient without a live plan."""
    return (
        Encounter.objects.filter(patient__site_id=site_id_of(user), kind=EncounterKind.EXAMINATION)
        .filter(Exists(Observation.objects.filter(encounter=OuterRef("pk"))))
        .exclude(Exists(EligibilityCheck.objects.filter(encounter=OuterRef("pk"))))
        .exclude(
            Exists(
                TreatmentPlan.objects.filter(
                    patient=OuterRef("patient"), status__in=[PlanStatus.DRAFT, PlanStatus.APPROVED]
                )
            )
        )
        .select_related("patient")
        .only("id", "patient_id", "scheduled_for", *_PATIENT)
    )


_PLAN_LINE = (
    "id",
    "patient_id",
    "protocol_version_id",
    "arm_name",
    "status",
    "created_at",
    "protocol_version__title",
    "protocol_version__definition",  # the arm's label (what it gives) is read from the definition
    *_PATIENT,
)


def _live_plans(user: User) -> QuerySet[TreatmentPlan]:
    return (
        TreatmentPlan.objects.filter(patient__site_id=site_id_of(user))
        .select_related("patient", "protocol_version")
        .only(*_PLAN_LINE)
    )


def _to_sign(user: User, today: dt.date) -> QuerySet[TreatmentPlan]:
    mine = PlanSignature.objects.filter(plan=OuterRef("pk"), signer=user, voided_at__isnull=True)
    # The drafter does not sign, unless the plan's protocol lets drafters sign.
    own_draft = Q(drafted_by=user) & ~Q(protocol_version_id__in=protocols_letting_drafters_sign())
    return _live_plans(user).filter(status=PlanStatus.DRAFT).exclude(Exists(mine)).exclude(own_draft)


def _to_decide(user: User, today: dt.date) -> QuerySet[TreatmentPlan]:
    """Live plans whose latest decision on the plan as it stands is missing or "defer".

    The plan services keep that fact in ``awaiting_decision`` (draft, edit, withdrawal,
    decision), which a partial index serves, instead of anti-joins over every plan and
    decision at each request.
    """
    consent = Consent.objects.filter(plan=OuterRef("pk"), withdrawn_at__isnull=True)
    return _live_plans(user).filter(awaiting_decision=True).annotate(has_consent=Exists(consent))


def _decision_url(p: TreatmentPlan) -> str:
    """Consent is recorded first, then the decision: the line opens whichever form comes next."""
    return pk_reverse("plans:decision" if getattr(p, "has_consent", False) else "plans:consent", p.pk)


def _exam_url(e: Encounter) -> str:
    return pk_reverse("examinations:detail", e.pk)


PATHWAY_SECTIONS: list[SectionSpec] = [
    SectionSpec(
        "wl-requests",
        "Requests to triage",
        frozenset({Role.COORDINATOR}),
        _requests,
        lambda r: Line(
            r.full_name,
            pk_reverse("intake:detail", r.pk),
            f"{r.get_status_display()} · {format_when(r.created_at)}",
        ),
    ),
    SectionSpec(
        "wl-exams",
        "Examinations to complete",
        frozenset({Role.PHYSICIAN, Role.NURSE, Role.LAB}),
        _open_examinations,
        lambda e: Line(
            f"{e.patient.full_name} ({e.patient.mrn})",
            _exam_url(e),
            f"{e.get_kind_display()} · {e.get_status_display()} · {format_when(e.scheduled_for)}",
        ),
    ),
    SectionSpec(
        "wl-check",
        "Eligibility to check",
        frozenset({Role.PHYSICIAN}),
        _to_check,
        lambda e: Line(f"{e.patient.full_name} ({e.patient.mrn})", _exam_url(e) + "#eligibility"),
    ),
    SectionSpec(
        "wl-sign",
        "Plans awaiting your signature",
        frozenset({Role.PHYSICIAN}),
        _to_sign,
        lambda p: Line(
            f"{p.patient.full_name} · {p.protocol_version.title} · {plan_arm(p)}",
            pk_reverse("plans:sign", p.pk),
        ),
    ),
    SectionSpec(
        "wl-decide",
        "Plans awaiting the patient's decision",
        frozenset({Role.PHYSICIAN, Role.COORDINATOR}),
        _to_decide,
        lambda p: Line(f"{p.patient.full_name} · {p.get_status_display()}", _decision_url(p)),
    ),
]

# Every section, in the order the worklist shows them.
SECTIONS: list[SectionSpec] = [*PATHWAY_SECTIONS, *COURSE_SECTIONS, *QUERY_SECTIONS]


@dataclass(frozen=True)
class Worklist:
    sections: list[Section]

    @property
    def empty(self) -> bool:
        return not self.sections


def worklist(*, user: User, today: dt.date | None = None) -> Worklist:
    """What this user must do today, by role: the head of every non-empty section."""
    today = today or timezone.localdate()
    heads = [section_head(spec, user, today) for spec in visible(SECTIONS, user.role)]
    return Worklist([h for h in heads if h.total])


def worklist_section(*, user: User, key: str) -> SectionSpec:
    """One section of the user's worklist by key; 404 for a section the user's role does not have."""
    for spec in visible(SECTIONS, user.role):
        if spec.key == key:
            return spec
    raise Http404(f"No worklist section {key!r} for this role.")
