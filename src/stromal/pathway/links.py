"""Links to many records of one kind at the cost of one URL reversal.

A list page links every row to its record; reversing the URL once per row
(``reverse`` or ``{% url %}``) is a visible part of the page's time. The URL
patterns these lists use take the primary key as their only argument, so the
URL of any row is the URL of one row with the key swapped: ``pk_reverse``
reverses each URL name once (per script prefix) and fills in the key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.urls import get_script_prefix, reverse

from stromal.accounts.roles import CLINICAL_READERS, Role
from stromal.administrations.services import SESSION_RUNNERS
from stromal.examinations.services import SCHEDULERS as EXAM_SCHEDULERS
from stromal.pathway.timeline import Step
from stromal.plans.services import DECISION_RECORDERS, PHYSICIANS

_MARKER = 987654321987  # a key no table reaches, to find the key's place in the reversed URL


def pk_reverse(name: str, pk: int) -> str:
    """The same as ``reverse(name, args=[pk])`` for a URL whose only argument is ``pk``."""
    head, tail = _around_pk(name, get_script_prefix())
    return f"{head}{pk}{tail}"


@lru_cache(maxsize=256)
def _around_pk(name: str, script_prefix: str) -> tuple[str, str]:
    head, tail = reverse(name, args=[_MARKER]).split(str(_MARKER))
    return head, tail


# --- The "Next action" link: the page where the current step's action is done --------------------------
#
# A timeline step links the record it is about (``Step.link``); the next action must open the
# page where that action is *done* (the form), for a role that may do it, and otherwise the record
# itself, which every clinical role may read, never a page that answers 403.

_EVERYONE = frozenset(CLINICAL_READERS)
_PHYSICIANS = frozenset(PHYSICIANS)
_DECIDERS = frozenset(DECISION_RECORDERS)
_RUNNERS = frozenset(SESSION_RUNNERS)


@dataclass(frozen=True)
class SessionState:
    """What the next action of one administration depends on."""

    pk: int
    status: str
    has_product: bool
    awaiting_confirmation: bool
    given: bool


def _session_page(s: SessionState) -> tuple[str, frozenset[str]]:
    """The page where an administration's next action is done, and the roles that may open it."""
    if s.status == "scheduled" and not s.has_product:
        return "administrations:allocate", frozenset({Role.LAB})
    if s.status == "prepared":
        return "administrations:check", _RUNNERS
    if s.status == "checked":
        return "administrations:start", _RUNNERS
    if s.status == "running":
        return "administrations:vitals", _RUNNERS
    if s.status == "stopped" and not s.awaiting_confirmation and not s.given:
        return "administrations:given", _RUNNERS
    # scheduled with a unit (prepare), interrupted (resume), a stop to confirm: forms on the record page
    return "administrations:detail", _EVERYONE


def session_url(session: Any) -> str:
    """The page of the next step of an open administration, for the worklist's runners (nurse, physician).

    Reads only ``pk``, ``status`` and ``product_id``; a stopped session opens its record (its
    confirmation and amount given are reached from there).
    """
    state = SessionState(
        pk=session.pk,
        status=session.status,
        has_product=session.product_id is not None,
        awaiting_confirmation=session.status == "stopped",
        given=False,
    )
    return pk_reverse(_session_page(state)[0], session.pk)


def _pk_of(steps: Sequence[Step], code: str) -> int | None:
    step = next((s for s in steps if s.code == code), None)
    return step.link[1] if step is not None and step.link is not None else None


def next_action_url(
    *,
    step: Step | None,
    steps: Sequence[Step],
    role: str,
    patient_id: int,
    consent_given: bool,
    sessions: Sequence[SessionState],
) -> str:
    """Where a user of ``role`` does the action of the current ``step`` ("" when there is nothing to open).

    ``steps`` are the whole timeline (the examination and eligibility records are read from their
    steps' links); ``consent_given`` says whether the plan has a valid consent (consent is recorded
    before the decision); ``sessions`` are the plan's administrations.
    """
    if step is None:
        return ""
    record = pk_reverse(*step.link) if step.link else ""
    page: tuple[str, int, frozenset[str]] | None = None  # (url name, pk, roles that may open it)
    anchor = ""
    exam_pk = _pk_of(steps, "examination")
    if step.code == "examination":
        if exam_pk is None:
            page = ("examinations:schedule", patient_id, frozenset(EXAM_SCHEDULERS))
        else:
            page, anchor = ("examinations:detail", exam_pk, _EVERYONE), "#examination-form"
    elif step.code == "eligibility" and step.link is None and exam_pk is not None:
        page, anchor = ("examinations:detail", exam_pk, _EVERYONE), "#eligibility"
    elif step.code == "plan" and step.link is None:
        check_pk = _pk_of(steps, "eligibility")
        if check_pk is not None:
            page, anchor = ("plans:eligibility", check_pk, _EVERYONE), "#draft"
    elif step.code in ("meeting", "signatures", "revision", "decision") and step.link is not None:
        plan_pk = step.link[1]
        if step.code == "meeting":
            page = ("plans:meeting", plan_pk, _DECIDERS)
        elif step.code in ("signatures", "revision"):  # a revision is signed like the plan
            page = ("plans:sign", plan_pk, _PHYSICIANS)
        else:
            page = ("plans:decision" if consent_given else "plans:consent", plan_pk, _DECIDERS)
    elif step.code == "administrations" and step.link is not None:
        if step.link[0] == "plans:detail":  # nothing scheduled yet: the button is on the patient page
            page, anchor = ("pathway:patient", patient_id, _EVERYONE), "#course-administrations"
        else:
            session = next((s for s in sessions if s.pk == step.link[1]), None)
            if session is not None:
                name, roles = _session_page(session)
                page = (name, session.pk, roles)
    elif step.code == "discharge" and step.link is not None:
        page = ("followup:discharge", step.link[1], _PHYSICIANS)
        record = pk_reverse("plans:detail", step.link[1])  # the discharge page is the physicians' alone
    if page is None or role not in page[2]:
        return record
    return pk_reverse(page[0], page[1]) + anchor
