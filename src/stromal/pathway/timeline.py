"""The course of one patient as a timeline, with the current step and the next action.

Pure: ``build_timeline(facts)`` reads a ``CourseFacts`` snapshot (plain
values, no database) and applies the step rules in ``PATHWAY_STEPS`` in
order. The first step that is not done is the current one; its action is
the next action. Issue 4 adds administration, discharge and follow-up steps
by appending rules to ``PATHWAY_STEPS`` and facts to ``CourseFacts.extra``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DONE, CURRENT, UPCOMING, SKIPPED, BLOCKED = "done", "current", "upcoming", "skipped", "blocked"


@dataclass(frozen=True)
class PlanRevisionFact:
    """A later revision of the course's plan (``plans.services.plan_revise``)."""

    plan_id: int
    revision: int
    arm_name: str
    status: str  # draft / approved / superseded / withdrawn
    reason: str
    at: dt.datetime
    approved_at: dt.datetime | None = None
    signature_count: int = 0


@dataclass(frozen=True)
class CourseFacts:
    """What happened so far in one patient's course (read by ``pathway.selectors.patient_page``)."""

    patient_id: int
    registered_at: dt.datetime
    requested_at: dt.datetime | None = None
    examination_id: int | None = None
    examination_status: str | None = None  # scheduled / open / closed
    examination_at: dt.datetime | None = None
    examination_has_results: bool = False
    eligibility_id: int | None = None
    eligible: bool | None = None
    eligibility_overridden: bool = False
    eligibility_at: dt.datetime | None = None
    plan_id: int | None = None
    plan_status: str | None = None  # draft / approved / withdrawn
    plan_at: dt.datetime | None = None
    plan_is_control: bool = False
    protocol_label: str = ""
    signature_count: int = 0
    approved_at: dt.datetime | None = None
    meeting_at: dt.datetime | None = None
    consent_at: dt.datetime | None = None
    decision: str | None = None  # accept / decline / defer for the plan as it stands
    decision_at: dt.datetime | None = None
    revisions: tuple[PlanRevisionFact, ...] = ()  # revisions after the first plan, oldest first
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    code: str
    title: str
    state: str  # done / current / upcoming / skipped / blocked (set by build_timeline for the current one)
    at: dt.datetime | None = None
    detail: str = ""
    action: str = ""  # what must happen next, when this is the current step
    roles: tuple[str, ...] = ()  # who does it
    link: tuple[str, int] | None = None  # (url name, pk) of the record to open


@dataclass(frozen=True)
class Timeline:
    steps: tuple[Step, ...]

    @property
    def current(self) -> Step | None:
        for step in self.steps:
            if step.state in (CURRENT, BLOCKED):
                return step
        return None

    @property
    def next_action(self) -> str:
        step = self.current
        return step.action if step else "Nothing pending in this part of the pathway."

    @property
    def ended(self) -> bool:
        return self.current is None


StepRule = Callable[[CourseFacts], Step | None]  # None: the step does not apply to this course


def _request(f: CourseFacts) -> Step:
    if f.requested_at is None:
        return Step("request", "Consultation request", SKIPPED, detail="registered directly")
    return Step("request", "Consultation request", DONE, f.requested_at)


def _registered(f: CourseFacts) -> Step:
    return Step("patient", "Patient registered", DONE, f.registered_at)


def _examination(f: CourseFacts) -> Step:
    title = "Day 1 examination"
    link = ("examinations:detail", f.examination_id) if f.examination_id else None
    if f.examination_id is None:
        return Step(
            "examination", title, UPCOMING, action="Schedule the Day 1 examination", roles=("coordinator",)
        )
    if f.examination_status == "closed" or f.eligibility_id is not None:
        return Step(
            "examination", title, DONE, f.examination_at, detail=f.examination_status or "", link=link
        )
    if not f.examination_has_results:
        action = "Enter the Day 1 results (vitals, blood gas, labs, imaging)"
    else:
        action = "Complete the results and check eligibility"
    return Step(
        "examination",
        title,
        UPCOMING,
        f.examination_at,
        detail=f.examination_status or "",
        action=action,
        roles=("physician", "nurse", "lab"),
        link=link,
    )


def _eligibility(f: CourseFacts) -> Step:
    title = "Eligibility"
    link = ("plans:eligibility", f.eligibility_id) if f.eligibility_id else None
    if f.eligibility_id is None:
        return Step(
            "eligibility",
            title,
            UPCOMING,
            action="Check eligibility against a protocol",
            roles=("physician",),
        )
    if f.eligible or f.eligibility_overridden:
        detail = "eligible" if f.eligible else "override documented"
        return Step("eligibility", title, DONE, f.eligibility_at, detail=detail, link=link)
    detail = "criteria unmet" if f.eligible is False else "criteria missing"
    return Step(
        "eligibility",
        title,
        BLOCKED,
        f.eligibility_at,
        detail=detail,
        action="Complete missing results, or document an override with a reason",
        roles=("physician",),
        link=link,
    )


def _plan(f: CourseFacts) -> Step:
    title = "Treatment plan drafted"
    if f.plan_id is None:
        return Step(
            "plan", title, UPCOMING, action="Draft the treatment plan from the protocol", roles=("physician",)
        )
    return Step("plan", title, DONE, f.plan_at, detail=f.protocol_label, link=("plans:detail", f.plan_id))


def _meeting(f: CourseFacts) -> Step:
    title = "Plan meeting with patient and family"
    link = ("plans:detail", f.plan_id) if f.plan_id else None
    if f.meeting_at is not None:
        return Step("meeting", title, DONE, f.meeting_at, link=link)
    return Step(
        "meeting",
        title,
        UPCOMING,
        action="Record the plan meeting (participants, options discussed)",
        roles=("physician", "coordinator"),
        link=link,
    )


def _signatures(f: CourseFacts) -> Step:
    title = "Approval by two physicians"
    link = ("plans:detail", f.plan_id) if f.plan_id else None
    if f.plan_status == "approved":
        return Step("signatures", title, DONE, f.approved_at, detail="2 of 2 signatures", link=link)
    return Step(
        "signatures",
        title,
        UPCOMING,
        detail=f"{f.signature_count} of 2 signatures",
        action="Sign the plan (second physician)"
        if f.signature_count == 1
        else "Sign the plan (two physicians)",
        roles=("physician",),
        link=link,
    )


def _decision(f: CourseFacts) -> Step:
    title = "Patient's decision"
    link = ("plans:detail", f.plan_id) if f.plan_id else None
    if f.decision in ("accept", "decline"):
        detail = (
            "accepted, consent recorded"
            if f.decision == "accept"
            else "declined: conventional treatment only"
        )
        return Step("decision", title, DONE, f.decision_at, detail=detail, link=link)
    detail = "deferred" if f.decision == "defer" else ""
    return Step(
        "decision",
        title,
        UPCOMING,
        f.decision_at,
        detail=detail,
        action="Record consent and the patient's decision (accept / decline / defer)",
        roles=("physician", "coordinator"),
        link=link,
    )


def _plan_change(f: CourseFacts) -> Step | None:
    """The latest revision of the plan: in force (done) or awaiting two signatures. None without one."""
    if not f.revisions:
        return None
    latest = f.revisions[-1]
    title = f"Plan revision {latest.revision}"
    detail = f"arm {latest.arm_name} · reason: {latest.reason}"
    link = ("plans:detail", latest.plan_id)
    if latest.status in ("approved", "superseded"):
        return Step("revision", title, DONE, latest.approved_at, detail=detail, link=link)
    if latest.status == "withdrawn":
        return Step("revision", title, SKIPPED, latest.at, detail=f"withdrawn · {detail}", link=link)
    return Step(
        "revision",
        title,
        UPCOMING,
        latest.at,
        detail=f"{detail} · {latest.signature_count} of 2 signatures",
        action="Sign the plan revision (two physicians); the plan in force applies until then",
        roles=("physician",),
        link=link,
    )


PATHWAY_STEPS: list[StepRule] = [
    _request,
    _registered,
    _examination,
    _eligibility,
    _plan,
    _meeting,
    _signatures,
    _decision,
    _plan_change,
]


def _ends_course(f: CourseFacts) -> bool:
    """A declined plan or a withdrawn one ends this half of the pathway (conventional treatment)."""
    return f.decision == "decline" or f.plan_status == "withdrawn"


def build_timeline(facts: CourseFacts, rules: Sequence[StepRule] | None = None) -> Timeline:
    steps: list[Step] = []
    found_current = _ends_course(facts)
    for rule in rules if rules is not None else PATHWAY_STEPS:
        step = rule(facts)
        if step is None:
            continue
        if step.state in (DONE, SKIPPED):
            steps.append(step)
        elif found_current:
            steps.append(_replace_state(step, SKIPPED if _ends_course(facts) else UPCOMING))
        else:
            found_current = True
            steps.append(step if step.state == BLOCKED else _replace_state(step, CURRENT))
    return Timeline(tuple(steps))


def _replace_state(step: Step, state: str) -> Step:
    return Step(step.code, step.title, state, step.at, step.detail, step.action, step.roles, step.link)
