"""The "Next action" link opens the page where the action is done, for every role, at every step."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from stromal.administrations import services as admin
from stromal.examinations.services import encounter_schedule, observations_record
from stromal.pathway.links import SessionState, next_action_url
from stromal.pathway.timeline import CourseFacts, build_timeline
from stromal.plans.services import (
    consent_record,
    decision_record,
    eligibility_check,
    meeting_record,
    plan_draft,
)
from tests.administrations.factories import (
    BASELINE,
    CONSENT_AGO,
    MEETING_AGO,
    STARTED_AGO,
    THAWED_AGO,
    due_now,
    product_type_for,
)
from tests.pathway.factories import CAST_BY_ROLE, DAY1_VALUES, approve, make_patient, protocol
from tests.products.factories import released_lot

pytestmark = pytest.mark.django_db

ROLES = ("physician", "nurse", "coordinator", "lab", "monitor", "investigator", "admin")
_NEXT = re.compile(r'<p id="next-action">.*?(?:<a href="([^"]+)">open</a>)?</p>', re.S)


def _next_link(client: Any, patient_pk: int) -> str:
    page = client.get(reverse("pathway:patient", kwargs={"pk": patient_pk}))
    assert page.status_code == 200
    match = _NEXT.search(page.content.decode())
    assert match is not None
    return match.group(1) or ""


def _course(cast: Any) -> Iterator[tuple[str, int, dict[str, str]]]:
    """One patient through the pathway: (stage, patient pk, {role that does it: url name of the link})."""
    patient = make_patient(cast.cora, "MRN-NEXT")
    yield "registered", patient.pk, {"coordinator": "schedule", "physician": "schedule"}
    encounter = encounter_schedule(patient=patient, user=cast.cora, scheduled_for=timezone.now())
    yield "examination scheduled", patient.pk, {r: "detail" for r in ("physician", "nurse", "lab")}
    observations_record(encounter=encounter, user=cast.nina, values=DAY1_VALUES, version=encounter.version)
    yield "results entered", patient.pk, {"physician": "detail"}
    check = eligibility_check(encounter=encounter, protocol_version=protocol(), user=cast.alice)
    yield "eligible", patient.pk, {"physician": "eligibility"}
    plan = plan_draft(check=check, user=cast.dora, arm_name="ucmsc_iv")
    yield "plan drafted", patient.pk, {"physician": "meeting", "coordinator": "meeting"}
    meeting_record(
        plan=plan,
        user=cast.alice,
        held_at=timezone.now() - MEETING_AGO,
        physicians=[cast.alice, cast.bob],
        options_discussed=["conventional", "ucmsc_iv"],
    )
    yield "meeting held", patient.pk, {"physician": "sign"}
    plan = approve(cast, plan)
    yield "approved", patient.pk, {"physician": "consent", "coordinator": "consent"}
    consent = consent_record(
        plan=plan,
        user=cast.alice,
        given_by="Test Person",
        given_at=timezone.now() - CONSENT_AGO,
        witness_name="Wendy Witness",
        information_sheet_version="PIS v2.1",
    )
    yield "consent given", patient.pk, {"physician": "decision", "coordinator": "decision"}
    decision_record(plan=plan, user=cast.alice, decision="accept", consent=consent)
    yield "accepted", patient.pk, {r: "patient" for r in ("physician", "nurse", "coordinator")}
    session = admin.sessions_schedule(plan=plan, user=cast.nina)[0]
    yield "administrations scheduled", patient.pk, {"lab": "allocate"}
    lot = released_lot(cast.luke, product_type=product_type_for(plan))
    session = admin.session_allocate(session=session, lot=lot, user=cast.luke, version=session.version)
    session = due_now(cast, session)  # today may not be its scheduled day: Dr Alice documents why
    yield "unit allocated", patient.pk, {"nurse": "detail", "physician": "detail"}
    session = admin.session_prepare(
        session=session, user=cast.nina, version=session.version, thawed_at=timezone.now() - THAWED_AGO
    )
    yield "prepared", patient.pk, {"nurse": "check", "physician": "check"}
    assert session.product is not None
    din = session.product.din + session.product.din_check
    for checker in (cast.nina, cast.alice):
        session = admin.identity_check(
            session=session,
            user=checker,
            version=session.version,
            patient_identifier=session.patient.mrn,
            product_identifier=din,
        ).session
    yield "checked", patient.pk, {"nurse": "start", "physician": "start"}
    session = admin.session_start(
        session=session,
        user=cast.nina,
        version=session.version,
        baseline=BASELINE,
        started_at=timezone.now() - STARTED_AGO,
    )
    yield "running", patient.pk, {"nurse": "vitals", "physician": "vitals"}


def test_every_role_gets_a_next_action_link_that_opens_and_the_doer_gets_the_form(
    client: Any, cast: Any
) -> None:
    for stage, patient_pk, doers in _course(cast):
        for role in ROLES:
            client.force_login(getattr(cast, CAST_BY_ROLE[role]))
            link = _next_link(client, patient_pk)
            if role in doers:
                assert link, (stage, role)
                assert resolve(link.split("#")[0]).url_name == doers[role], (stage, role, link)
            if link:
                opened = client.get(link.split("#")[0])
                assert opened.status_code == 200, (stage, role, link)


def _step(code: str, link: tuple[str, int] | None) -> Any:
    from stromal.pathway.timeline import CURRENT, Step

    return Step(code, code, CURRENT, link=link)


@pytest.mark.parametrize(
    ("state", "role", "url_name"),
    [
        (SessionState(1, "scheduled", False, False, False), "lab", "allocate"),
        (SessionState(1, "scheduled", True, False, False), "nurse", "detail"),
        (SessionState(1, "prepared", True, False, False), "nurse", "check"),
        (SessionState(1, "checked", True, False, False), "physician", "start"),
        (SessionState(1, "running", True, False, False), "nurse", "vitals"),
        (SessionState(1, "interrupted", True, False, False), "nurse", "detail"),
        (SessionState(1, "stopped", True, True, False), "physician", "detail"),
        (SessionState(1, "stopped", True, False, False), "nurse", "given"),
        (SessionState(1, "running", True, False, False), "monitor", "detail"),  # a reader gets the record
        (SessionState(1, "scheduled", False, False, False), "nurse", "detail"),
    ],
)
def test_an_administration_step_opens_the_page_of_the_sessions_next_step(
    state: SessionState, role: str, url_name: str
) -> None:
    step = _step("administrations", ("administrations:detail", 1))
    url = next_action_url(
        step=step, steps=[step], role=role, patient_id=9, consent_given=False, sessions=[state]
    )
    assert resolve(url).url_name == url_name


def test_the_discharge_step_opens_the_discharge_form_for_a_physician_and_the_plan_for_others() -> None:
    step = _step("discharge", ("followup:discharge", 5))
    for role, url_name in (("physician", "discharge"), ("nurse", "detail"), ("monitor", "detail")):
        url = next_action_url(
            step=step, steps=[step], role=role, patient_id=9, consent_given=True, sessions=[]
        )
        assert resolve(url).url_name == url_name


def test_nothing_pending_has_no_link() -> None:
    facts = CourseFacts(patient_id=1, registered_at=timezone.now())
    assert (
        next_action_url(
            step=None,
            steps=build_timeline(facts).steps,
            role="physician",
            patient_id=1,
            consent_given=False,
            sessions=[],
        )
        == ""
    )


def test_a_plan_revision_to_sign_opens_the_signing_page_for_a_physician_and_the_plan_for_others() -> None:
    step = _step("revision", ("plans:detail", 7))
    for role, url_name in (("physician", "sign"), ("coordinator", "detail"), ("monitor", "detail")):
        url = next_action_url(
            step=step, steps=[step], role=role, patient_id=9, consent_given=True, sessions=[]
        )
        assert resolve(url).url_name == url_name and resolve(url).kwargs["pk"] == 7
